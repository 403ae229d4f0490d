"""Sign-in rules: locked accounts stay locked until an admin releases them (CJIS 5.5.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class RsoitsAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, refusing users whose account is locked."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None

    def _check_password(self, user: Any, password: str) -> Any:
        # allauth "stashes" a user whose password matched but who may not authenticate, and its
        # login form then signs that user in if they are active — which a locked user is. So a
        # locked account is refused here outright, as if the password were wrong (no hint that
        # it was right), and never stashed.
        if user is not None and getattr(user, "locked_at", None) is not None:
            user.check_password(password)  # same work, same timing
            self._did_check_password = True
            return None
        return super()._check_password(user, password)


class AccountAdapter(DefaultAccountAdapter):
    """No self-service sign-up: accounts are created by agency and system admins."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """First enrolment straight after a password sign-in (and viewing the recovery codes it
        produced) needs no second password prompt: with REQUIRE_MFA the user is sent to enrolment
        right after signing in. A user who had an authenticator before this sign-in is asked
        again, as allauth does, for any change."""
        if app == "allauth.mfa" and self._just_signed_in_without_mfa():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def _just_signed_in_without_mfa(self) -> bool:
        import time

        from allauth.account import app_settings as account_settings
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.mfa.models import Authenticator

        request = self.request
        user = getattr(request, "user", None)
        if request is None or user is None or not user.is_authenticated:
            return False
        records = [r for r in get_authentication_records(request, user) if r.get("method") == "password"]
        if not records or time.time() - records[-1]["at"] >= account_settings.REAUTHENTICATION_TIMEOUT:
            return False
        signed_in_at = datetime.fromtimestamp(records[-1]["at"], tz=UTC)
        return not Authenticator.objects.filter(user=user, created_at__lt=signed_in_at).exists()

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        # Backstop for every allauth sign-in path (password, MFA stage, password reset): a
        # locked account never gets a session.
        if getattr(user, "locked_at", None) is not None:
            return lockout_response(request)
        return super().pre_login(request, user, **kwargs)


def lockout_username(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """The account an attempt is counted against (AXES_USERNAME_CALLABLE): the username as typed,
    case-folded, since sign-in matches usernames case-insensitively — so varying the case does
    not escape the count."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("login") or data.get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


class RsoitsAxesHandler(AxesDatabaseHandler):
    """axes' database handler, with a strict 15-minute window.

    axes alone counts failures since the last success until 15 minutes pass *without* a failure,
    so five failures ten minutes apart would still lock. Here a failure counts only if it is both
    after the last success (the AccessAttempt rows, which a success deletes) and within the last
    AXES_COOLOFF_TIME (the AccessFailureLog rows). Both sets are "failures after some instant",
    so their intersection has the size of the smaller one.
    """

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        consecutive = super().get_failures(request, credentials)
        username = lockout_username(request, credentials)
        if not consecutive or username is None:
            return consecutive
        from axes.models import AccessFailureLog

        since = timezone.now() - settings.AXES_COOLOFF_TIME
        recent = AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count()
        # axes logs the failure being handled only after counting it.
        recent += int(getattr(request, "_rsoits_failure_pending", False))
        return min(consecutive, recent)

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
        if request is not None:
            request._rsoits_failure_pending = True
        try:
            super().user_login_failed(sender, credentials, request=request, **kwargs)
        finally:
            if request is not None:
                request._rsoits_failure_pending = False


@receiver(user_locked_out)
def lock_account(sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any) -> None:
    """Five consecutive failures within 15 minutes lock the account until an admin releases it."""
    from .services import user_lock

    if username:
        user_lock(username=username, reason="Five consecutive failed sign-in attempts", request=request)


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "account/locked.html", {"now": timezone.now()}, status=403)
