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


def _binary_types(connection: Any, fields: Sequence[models.Field]) -> list[str] | None:
    """The column types to declare for a binary ``COPY`` of ``fields`` (SQL types without their
    modifiers: ``varchar(100)`` is ``varchar``), or ``None`` when one has no binary adapter in
    psycopg (then the text format is used)."""
    from psycopg import adapters

    types = []
    for field in fields:
        db_type = field.db_type(connection) or ""
        name = db_type.split("(")[0].strip()
        if "[" in db_type or adapters.types.get(name) is None:
            return None
        types.append(name)
    return types


def _copy(cursor: Any, table: str, fields: Sequence[models.Field], rows: Sequence[tuple], connection: Any) -> None:
    """``COPY`` ``rows`` (one value per field, Python types as the fields hold them) into ``table``.
    The binary format where every column has a binary adapter: the server then reads values as
    they are instead of parsing text (about half the time for a wide row, client side included)."""
    quoted = ", ".join(f'"{f.column}"' for f in fields)
    types = _binary_types(connection, fields)
    options = " (FORMAT BINARY)" if types is not None else ""
    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN{options}') as copy:
        if types is not None:
            copy.set_types(types)
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
        for obj, pk in zip(objs, _next_ids(raw, opts.db_table, opts.pk.column, len(objs)), strict=True):
            obj.pk = pk
        fields = list(opts.concrete_fields)
        _copy(raw, opts.db_table, fields, _rows(objs, fields), connection)

        history = model.history.model  # type: ignore[attr-defined]
        fixed = {
            "history_date": now,
            "history_type": "+",
            "history_change_reason": None,
            "history_user_id": getattr(actor, "pk", None),
        }
        hfields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
        _copy(raw, history._meta.db_table, hfields, _rows(objs, hfields, fixed), connection)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def _next_ids(cursor: Any, table: str, column: str, count: int) -> list[int]:
    """``count`` new keys from the sequence of ``table.column``, in one statement. The sequence
    is named once, as a constant: ``pg_get_serial_sequence`` in the select list would look it
    up in the catalogue again for every key."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [pk for (pk,) in cursor.fetchall()]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence (PostgreSQL)."""
    if not count:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    with connection.cursor() as cursor:
        return _next_ids(cursor, opts.db_table, opts.pk.column, count)


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
    history = model.history.model  # type: ignore[attr-defined]
    hopts = history._meta
    extra = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": None,
        "history_user_id": getattr(actor, "pk", None),
    }
    history_fields = [hopts.get_field(f.name) for f in [opts.pk, *fields]]
    history_fields += [hopts.get_field(name) for name in extra]
    history_extra = tuple(extra.values())
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor, for COPY; errors surface as Django's (IntegrityError)
        full = [(pk, *row, *defaults) for pk, row in zip(ids, rows, strict=True)]
        for i in json_at:  # positions in ``full``
            full = [(*row[:i], None if row[i] is None else Jsonb(row[i]), *row[i + 1 :]) for row in full]
        _copy(raw, opts.db_table, [opts.pk, *fields], full, connection)
        _copy(raw, hopts.db_table, history_fields, [row + history_extra for row in full], connection)
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
    fields = [model._meta.get_field(name) for name in columns]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        _copy(cursor.cursor, model._meta.db_table, fields, rows, connection)
