"""Top-level URLs: the UI, the sign-in pages, the API under /api/v1/, and the health check."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.root, name="root"),
    path("home/", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("", include("rsoits.ui_urls")),
    path("tokens/", include("rsoits.token_urls")),
    path("registrants/", include("registrants.urls")),
    path("cases/", include("cases.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("rsoits.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api_redoc"),
    path("healthz", views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
]
