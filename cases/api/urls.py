from rest_framework.routers import DefaultRouter

from .dod import MonitoringViewSet, SeparationNoticeViewSet

router = DefaultRouter()
router.register("monitoring", MonitoringViewSet, basename="monitoring")
router.register("separation-notices", SeparationNoticeViewSet, basename="separationnotice")
urlpatterns = router.urls
