"""The audit trail: who changed what (django-simple-history) and who read what (AccessLog).

Every write in a service runs inside ``acting_as(actor)``, so history rows name the acting user
whether the write comes from a request, a Celery task or a management command.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from simple_history.manager import HistoryDescriptor
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


class _HistoryDescriptor(HistoryDescriptor):
    """simple-history's ``Model.history`` descriptor, with the manager class built once per model.

    simple-history builds a new manager class (``from_queryset``, which inspects every method
    of the queryset class) on each access, and it reads ``instance.history`` for every history
    row it writes: a fifth of a millisecond a row, several rows to a request."""

    def __get__(self, instance: Any, owner: Any) -> Any:
        manager_class = self.__dict__.get("_built_manager_class")
        if manager_class is None:
            manager_class = self._built_manager_class = self.manager_class.from_queryset(self.queryset_class)
        return manager_class(self.model, instance)


class AuditHistoricalRecords(HistoricalRecords):
    """simple-history's records, optionally with only the indexes the audit trail is read by.

    By default the history table copies every index of the model (each indexed field and foreign
    key) and indexes ``id`` and ``history_date`` apart, so a table written in bulk pays for each
    of them on every change. The trail is read one record at a time, newest first
    (``obj.history``, ``history_rows``). With ``indexed`` given, the history table has one index
    on (``id``, ``history_date``) for that, one on ``history_user`` (simple-history's, for the
    user's foreign key) and one on each field named in ``indexed``; no other copied field is
    indexed."""

    def __init__(self, *args: Any, indexed: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexed = None if indexed is None else frozenset(indexed)

    @property
    def _date_indexing(self) -> bool | str:
        if self.indexed is not None:
            return False  # in the (id, history_date) index instead
        return super()._date_indexing

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        descriptor = sender.__dict__.get(self.manager_name)
        if type(descriptor) is HistoryDescriptor:  # (this model's own, just set)
            setattr(
                sender,
                self.manager_name,
                _HistoryDescriptor(
                    descriptor.model, manager=descriptor.manager_class, queryset=descriptor.queryset_class
                ),
            )

    def copy_fields(self, model: Any) -> dict[str, Any]:
        fields = super().copy_fields(model)
        if self.indexed is not None:
            for name, field in fields.items():
                if name not in self.indexed:
                    field.db_index = False
        return fields

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        options = super().get_meta_options(model)
        if self.indexed is not None:
            from django.db import models

            options["indexes"] = [models.Index(fields=[model._meta.pk.attname, "history_date"])]
        return options


def audit_history(*, indexed: Iterable[str] | None = None, **kwargs: Any) -> HistoricalRecords:
    """The ``history`` field every RSOITS model carries. ``indexed``: see ``AuditHistoricalRecords``
    (``None`` keeps simple-history's copy of every index)."""
    kwargs.setdefault("get_user", history_user_getter)
    kwargs.setdefault("cascade_delete_history", False)
    return AuditHistoricalRecords(indexed=indexed, **kwargs)


def history_rows(obj: Any, *, exclude: tuple[str, ...] = (), records: list | None = None) -> list[dict[str, Any]]:
    """The record's history rows, newest first, with the fields each changed: one query (none
    when the caller passes the ``records``, newest first, read with the record), each row
    diffed against the one before it (not one query per row)."""
    if records is None:
        records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id"))
    deltas = [
        [c for c in record.diff_against(records[i + 1]).changes if c.field not in exclude]
        if record.history_type == "~" and i + 1 < len(records)
        else []
        for i, record in enumerate(records)
    ]
    shown = _ChangeText(type(obj), [c for delta in deltas for c in delta])
    rows = []
    for record, delta in zip(records, deltas, strict=True):
        changes = [
            f"{shown.label(c.field)}: {shown.value(c.field, c.old)} → {shown.value(c.field, c.new)}" for c in delta
        ]
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


class _ChangeText:
    """A changed field as a person reads it: its verbose name, a choice's label, yes or no, the
    user name of a user (the users of all the rows read in one query), "—" for nothing. Other
    related records stay a number: the reader of this history may not see them."""

    def __init__(self, model: Any, changes: list[Any]) -> None:
        from django.contrib.auth import get_user_model

        self.fields = {}
        for change in changes:
            try:
                self.fields[change.field] = model._meta.get_field(change.field)
            except FieldDoesNotExist:
                continue
        user_model = get_user_model()
        ids = {
            value
            for change in changes
            if getattr(self.fields.get(change.field), "related_model", None) is user_model
            for value in (change.old, change.new)
            if value is not None
        }
        self.users = (
            {pk: user.get_username() for pk, user in user_model._default_manager.in_bulk(ids).items()} if ids else {}
        )
        self.user_model = user_model

    def label(self, name: str) -> str:
        field = self.fields.get(name)
        return str(field.verbose_name) if field is not None else name

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        field = self.fields.get(name)
        if field is None:
            return str(value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        if field.many_to_one:
            return self.users.get(value, f"#{value}") if field.related_model is self.user_model else f"#{value}"
        return str(value)
