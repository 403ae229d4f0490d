from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .forms import SYSTEM_USE_NOTICE
from .navigation import nav_for
from .principal import principal_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "principal": None, "system_use_notice": SYSTEM_USE_NOTICE}
    principal = principal_for(user)
    return {"nav_items": nav_for(principal), "principal": principal}
