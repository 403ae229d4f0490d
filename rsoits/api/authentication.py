"""API token authentication."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    """django-rest-knox's token authentication, without its sweep of the user's other tokens on
    every request (one more query per API call, for every token the user holds). An expired
    token is refused as before; expired tokens are deleted by the hourly
    ``rsoits.purge_expired_tokens`` beat task."""

    def _cleanup_token(self, auth_token: Any) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of these tokens: knox's (``Authorization: Token <key>``)."""

    target_class = "rsoits.api.authentication.TokenAuthentication"
