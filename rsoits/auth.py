"""Sign-in rules: locked accounts stay locked until an admin releases them (CJIS 5.5.3)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class RsoitsAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, refusing users whose account is locked."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None


class AccountAdapter(DefaultAccountAdapter):
    """No self-service sign-up: accounts are created by agency and system admins."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


@receiver(user_locked_out)
def lock_account(sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any) -> None:
    """Five consecutive failures within 15 minutes lock the account until an admin releases it."""
    from .services import user_lock

    if username:
        user_lock(username=username, reason="Five consecutive failed sign-in attempts", request=request)


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "account/locked.html", {"now": timezone.now()}, status=403)
