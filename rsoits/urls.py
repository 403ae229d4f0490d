"""Top-level URLs: the UI, the sign-in pages, the API under /api/v1/, and the health check."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

REDOC_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

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
    # (the page's script served apart from it, as the content security policy wants)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    # Redoc draws with styles it writes into the page and searches in a worker it makes from a blob:
    # allowed there, and only there.
    path(
        "api/redoc/",
        csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema")),
        name="api_redoc",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
]
