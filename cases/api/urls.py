from rest_framework.routers import DefaultRouter

from .dod import MonitoringViewSet, SeparationNoticeViewSet
from .foreign import ForeignNoticeViewSet, InboundForeignNoticeViewSet, PassportActionViewSet
from .hits import HitViewSet
from .views import CaseViewSet, TravelNoticeViewSet

router = DefaultRouter()
router.register("hits", HitViewSet, basename="hit")
router.register("travel-notices", TravelNoticeViewSet, basename="travelnotice")
router.register("cases", CaseViewSet, basename="case")
router.register("foreign-notices", ForeignNoticeViewSet, basename="foreignnotice")
router.register("inbound-foreign-notices", InboundForeignNoticeViewSet, basename="inboundforeignnotice")
router.register("passport-actions", PassportActionViewSet, basename="passportaction")
router.register("monitoring", MonitoringViewSet, basename="monitoring")
router.register("separation-notices", SeparationNoticeViewSet, basename="separationnotice")
urlpatterns = router.urls
