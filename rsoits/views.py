"""Core views: the root (sign-in or home), each role's home page, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from .choices import Role
from .principal import principal_for

# The home page each role lands on, most specific first.
HOME_TEMPLATES = [
    (Role.SYSTEM_ADMIN, "rsoits/home_system_admin.html"),
    (Role.NSOTC_SUPERVISOR, "rsoits/home_nsotc.html"),
    (Role.NSOTC_ANALYST, "rsoits/home_nsotc.html"),
    (Role.USNCB_OFFICER, "rsoits/home_usncb.html"),
    (Role.SORA_SUPERVISOR, "rsoits/home_sora.html"),
    (Role.SORA_STAFF, "rsoits/home_sora.html"),
    (Role.INSTALLATION_LEA, "rsoits/home_installation.html"),
    (Role.COMPONENT_HR, "rsoits/home_hr.html"),
    (Role.AUDITOR, "rsoits/home_auditor.html"),
    (Role.AGENCY_ADMIN, "rsoits/home_agency_admin.html"),
    (Role.SYSTEM_CLIENT, "rsoits/home_system_client.html"),
]


def root(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    return redirect("account_login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request.user)
    template = "rsoits/home_none.html"
    role = None
    for candidate, candidate_template in HOME_TEMPLATES:
        if candidate in principal.roles:
            template, role = candidate_template, candidate
            break
    from .registry import home_panels

    panels = home_panels(request) if role else []
    context = {
        "home_role": Role(role).label if role else None,
        "home_panels": panels,
        "home_charts": any(panel.charts for panel in panels),
    }
    return render(request, template, context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the state of the database and the broker; 503 when either is down."""
    from django.conf import settings

    state: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state["database"] = "ok"
    except Exception as exc:
        state["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            state["broker"] = "ok"
        except Exception as exc:
            state["broker"] = f"error: {exc.__class__.__name__}"
    else:
        state["broker"] = "in-process"
    healthy = all(v in ("ok", "in-process") for v in state.values())
    return JsonResponse({"status": "ok" if healthy else "error", **state}, status=200 if healthy else 503)
