from rest_framework.routers import DefaultRouter

from .views import HitViewSet

router = DefaultRouter()
router.register("hits", HitViewSet, basename="hit")
urlpatterns = router.urls
