"""Fast inserts of many new rows with their history rows.

On PostgreSQL the rows and their history rows are streamed with ``COPY`` (psycopg 3): primary
keys are reserved from the table's sequence in one statement, so child rows can point at their
parents before anything is written, and no model instance is compiled into an ``INSERT``. On any
other database (the embedded SQLite default) it is simple-history's ``bulk_create_with_history``.
Either way every row gets its "created" history row naming the acting user, as a service write does.

Callers validate first (``full_clean``); database constraints still guard uniqueness, and a
violation raises, so run it inside ``transaction.atomic()`` and fall back to the careful path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone


def _rows(objs: Sequence[models.Model], fields: list[models.Field], fixed: dict[str, Any] | None = None) -> list[tuple]:
    """COPY rows: attribute values as they are (psycopg adapts them), JSON wrapped as jsonb."""
    from psycopg.types.json import Jsonb

    fixed = fixed or {}
    getters = []
    for field in fields:
        if field.attname in fixed:
            getters.append((field.attname, "fixed"))
        elif isinstance(field, models.JSONField):
            getters.append((field.attname, "json"))
        else:
            getters.append((field.attname, ""))
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = []
        for attname, how in getters:
            if how == "fixed":
                row.append(fixed[attname])
            elif how == "json":
                value = values[attname]
                row.append(None if value is None else Jsonb(value))
            else:
                row.append(values[attname])
        rows.append(tuple(row))
    return rows


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple]) -> None:
    quoted = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert_with_history(objs: Sequence[models.Model], model: type[models.Model], *, actor: Any = None) -> list:
    """Insert ``objs`` (new, unsaved instances of ``model``) and one "+" history row each; the
    instances come back with their primary keys set."""
    objs = list(objs)
    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        from simple_history.utils import bulk_create_with_history

        return bulk_create_with_history(objs, model, default_user=actor)

    now = timezone.now()
    opts = model._meta
    for obj in objs:
        for field in opts.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                setattr(obj, field.attname, now)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor, for COPY; errors surface as Django's (IntegrityError)
        raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, raw.fetchall(), strict=True):
            obj.pk = pk
        fields = list(opts.concrete_fields)
        _copy(raw, opts.db_table, [f.column for f in fields], _rows(objs, fields))

        history = model.history.model  # type: ignore[attr-defined]
        fixed = {
            "history_date": now,
            "history_type": "+",
            "history_change_reason": None,
            "history_user_id": getattr(actor, "pk", None),
        }
        hfields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
        _copy(
            raw,
            history._meta.db_table,
            [f.column for f in hfields],
            _rows(objs, hfields, fixed),
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence, in one statement (PostgreSQL)."""
    if not count:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def copy_with_history(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    actor: Any = None,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Insert new rows given as plain tuples of ``columns`` (attribute names, primary key not
    included) and one "+" history row each, without building model instances; returns the new
    primary keys in row order. Concrete fields not in ``columns`` get their default (``auto_now``
    fields the current time). ``ids`` are keys already taken with ``reserve_ids``, so that the
    caller could point child rows at these before they are written.

    PostgreSQL: two ``COPY`` streams, the history rows being the same tuples plus the history
    columns. Elsewhere: model instances through simple-history's ``bulk_create_with_history``."""
    if not rows:
        return []
    columns = list(columns)
    alias = router.db_for_write(model)
    connection = connections[alias]
    opts = model._meta
    now = timezone.now()
    rest = [f for f in opts.concrete_fields if f.attname not in columns and not f.primary_key]
    defaults = tuple(
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in rest
    )
    if connection.vendor != "postgresql":
        from simple_history.utils import bulk_create_with_history

        names = columns + [f.attname for f in rest]
        objs = [model(**dict(zip(names, row + defaults, strict=True))) for row in rows]
        if ids is not None:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
        bulk_create_with_history(objs, model, default_user=actor)
        return [obj.pk for obj in objs]

    from psycopg.types.json import Jsonb

    ids = list(ids) if ids is not None else reserve_ids(model, len(rows))
    fields = [opts.get_field(name) for name in columns] + rest
    json_at = [i + 1 for i, f in enumerate(fields[: len(columns)]) if isinstance(f, models.JSONField)]
    defaults = tuple(Jsonb(v) if isinstance(f, models.JSONField) else v for f, v in zip(rest, defaults, strict=True))
    db_columns = [opts.pk.column] + [f.column for f in fields]
    history = model.history.model  # type: ignore[attr-defined]
    hopts = history._meta
    extra = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": None,
        "history_user_id": getattr(actor, "pk", None),
    }
    history_columns = [hopts.get_field(f.name).column for f in [opts.pk, *fields]]
    history_columns += [hopts.get_field(name).column for name in extra]
    history_extra = tuple(extra.values())
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor, for COPY; errors surface as Django's (IntegrityError)
        full = [(pk, *row, *defaults) for pk, row in zip(ids, rows, strict=True)]
        for i in json_at:  # positions in ``full``
            full = [(*row[:i], None if row[i] is None else Jsonb(row[i]), *row[i + 1 :]) for row in full]
        _copy(raw, opts.db_table, db_columns, full)
        _copy(raw, hopts.db_table, history_columns, [row + history_extra for row in full])
    return ids


def bulk_insert_plain(model: type[models.Model], rows: Sequence[tuple], columns: Sequence[str]) -> None:
    """Insert rows of derived data that keeps no history (e.g. matching keys), given as tuples
    of ``columns`` (attribute names): ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=5000)
        return
    db_columns = [model._meta.get_field(name).column for name in columns]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        _copy(cursor.cursor, model._meta.db_table, db_columns, list(rows))
