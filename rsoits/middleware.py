"""Session limits, MFA enforcement and logging of refused requests."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .choices import AccessAction, AccessOutcome

SESSION_STARTED = "rsoits_session_started"
SESSION_LAST_SEEN = "rsoits_last_seen"
LAST_SEEN_RESOLUTION = 30  # seconds


class SessionTimeoutMiddleware:
    """End an idle session after SESSION_IDLE_TIMEOUT (30 min) and any session after
    SESSION_ABSOLUTE_TIMEOUT (12 h), server-side (CJIS Security Policy 5.5.5 session lock)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            started = request.session.get(SESSION_STARTED)
            last_seen = request.session.get(SESSION_LAST_SEEN)
            expired = (started is not None and now - started > settings.SESSION_ABSOLUTE_TIMEOUT) or (
                last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT
            )
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                # MessageMiddleware has not run yet; the sign-in page says why instead.
                query = urlencode({"next": request.get_full_path(), "session": "ended"})
                return redirect(f"{reverse('account_login')}?{query}")
            if started is None:
                request.session[SESSION_STARTED] = now
            # Written at most every LAST_SEEN_RESOLUTION seconds: a session save per request would
            # cost a query on every page for no gain in precision that matters.
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class RequireMFAMiddleware:
    """With REQUIRE_MFA on, a signed-in user without an authenticator can reach only the
    enrolment, recovery-code and sign-out pages."""

    allowed_prefixes = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.REQUIRE_MFA
            and request.user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and not getattr(request, "auth", None)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": "Multi-factor sign-in must be set up first."}, status=403)
                messages.warning(request, "Set up multi-factor sign-in to continue.")
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class DeniedAccessLogMiddleware:
    """Log every 401/403 answer as a refused attempt. (404s for records outside a user's scope
    are logged where they are decided, in ``get_visible_or_404``.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        from .access import flush_deferred, log_access

        # Outside the request's transaction now: refusals logged during it survive its rollback.
        flush_deferred(request)
        if response.status_code in (401, 403) and not request.path.startswith("/static/"):
            log_access(request, AccessAction.DENIED, outcome=AccessOutcome.DENIED)
        return response
