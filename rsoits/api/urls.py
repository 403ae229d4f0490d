from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("agency-contacts", views.AgencyContactViewSet, basename="agencycontact")
router.register("agency-endpoints", views.AgencyEndpointViewSet, basename="agencyendpoint")
router.register("installations", views.InstallationViewSet, basename="installation")
router.register("users", views.UserViewSet, basename="user")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("access-log", views.AccessLogViewSet, basename="accesslog")
urlpatterns = router.urls
