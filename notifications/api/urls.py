from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import DisclosureViewSet, NotificationViewSet, RoutingRuleViewSet

router = DefaultRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("routing-rules", RoutingRuleViewSet, basename="routingrule")

urlpatterns = [
    *router.urls,
    path(
        "registrants/<int:registrant_pk>/disclosures/",
        DisclosureViewSet.as_view({"get": "list"}),
        name="registrant-disclosures",
    ),
]
