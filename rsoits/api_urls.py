"""One router at /api/v1/: each app contributes its viewsets through its api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("rsoits.api.urls")),
    path("", include("registrants.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("notifications.api.urls")),
]
