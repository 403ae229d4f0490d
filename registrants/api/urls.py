from rest_framework.routers import DefaultRouter

from .views import RegistrantViewSet

router = DefaultRouter()
router.register("registrants", RegistrantViewSet, basename="registrant")
urlpatterns = router.urls
