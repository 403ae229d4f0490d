"""Writing the read-access log: every read of personal data and every refused attempt."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from .choices import AccessAction, AccessOutcome
from .models import AccessLog
from .principal import principal_for


def client_ip(request: Any) -> str | None:
    # Behind the production proxy the real address is the first X-Forwarded-For hop.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def log_access(
    request: Any,
    action: str,
    *,
    obj: models.Model | None = None,
    model: type[models.Model] | None = None,
    object_id: str | int | None = None,
    outcome: str = AccessOutcome.ALLOWED,
    count: int | None = None,
    user: Any = None,
    defer: bool = False,
) -> AccessLog:
    """Append one access-log row for ``request``: who, agency and ORI, what, when, IP, user agent.

    With ``defer`` the row is written after the response, outside the request's transaction:
    a refusal ends in an exception that rolls that transaction back, and the row must survive it.
    """
    user = user if user is not None else getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    agency = principal_for(user).primary_agency if authenticated else None
    target = obj.__class__ if obj is not None else model
    meta = request.META if request is not None else {}
    entry = AccessLog(
        user=user if authenticated else None,
        username=(user.get_username() if authenticated else ""),
        agency_id=agency[0] if agency else None,
        agency_code=agency[1] if agency else "",
        ori=agency[2] if agency else "",
        action=action,
        outcome=outcome,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(obj.pk if obj is not None else (object_id or ""))[:64],
        object_repr=(str(obj)[:200] if obj is not None else ""),
        count=count,
        path=(request.path[:500] if request is not None else ""),
        query=(meta.get("QUERY_STRING", "")[:500]),
        ip=client_ip(request) if request is not None else None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
    )
    if defer and request is not None:
        base = getattr(request, "_request", request)  # DRF wraps Django's request
        pending = getattr(base, "_rsoits_pending_access_log", None)
        if pending is None:
            pending = base._rsoits_pending_access_log = []
        pending.append(entry)
        return entry
    entry.save()
    return entry


def flush_deferred(request: Any) -> None:
    """Write the rows deferred during a request (called by DeniedAccessLogMiddleware)."""
    for entry in getattr(request, "_rsoits_pending_access_log", ()):
        entry.save()
    request._rsoits_pending_access_log = []


def get_visible_or_404(request: Any, queryset: models.QuerySet, action: str = "view", *, log: bool = True, **lookup):
    """Fetch one object the user may ``action`` (the ``access_*_by_id`` pattern): a row outside
    the user's scope answers 404, and the refusal is logged."""
    try:
        obj = queryset.visible_to(request.user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        log_access(
            request,
            AccessAction.DENIED,
            model=queryset.model,
            object_id=next(iter(lookup.values()), None),
            outcome=AccessOutcome.DENIED,
            defer=True,
        )
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None
    if log and action == "view":
        log_access(request, AccessAction.VIEW, obj=obj)
    return obj
