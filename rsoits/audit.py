"""The audit trail: who changed what (django-simple-history) and who read what (AccessLog).

Every write in a service runs inside ``acting_as(actor)``, so history rows name the acting user
whether the write comes from a request, a Celery task or a management command.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from simple_history.models import HistoricalRecords

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("rsoits_actor", default=None)

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Attribute every history row written inside the block to ``actor``."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Any:
    return _actor.get()


def audited_service(func: F) -> F:
    """Decorate a service taking ``actor=`` so its writes are attributed to that actor."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with acting_as(kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def history_user_getter(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    actor = _actor.get()
    if actor is not None and getattr(actor, "pk", None):
        return actor
    if request is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        return request.user
    return None


def audit_history(**kwargs: Any) -> HistoricalRecords:
    """The ``history`` field every RSOITS model carries."""
    kwargs.setdefault("get_user", history_user_getter)
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**kwargs)


def history_rows(obj: Any, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The record's history rows, newest first, with the fields each changed: one query, each
    row diffed against the one before it (not one query per row)."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id"))
    rows = []
    for i, record in enumerate(records):
        changes: list[str] = []
        if record.history_type == "~" and i + 1 < len(records):
            delta = record.diff_against(records[i + 1])
            changes = [f"{c.field}: {c.old!s} → {c.new!s}" for c in delta.changes if c.field not in exclude]
        rows.append(
            {
                "who": record.history_user,
                "when": record.history_date,
                "type": record.get_history_type_display(),
                "history_type": record.history_type,
                "changes": changes,
                "reason": record.history_change_reason,
            }
        )
    return rows
