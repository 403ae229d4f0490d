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

import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router, transaction
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


@dataclass
class CopyIn:
    """Rows of one table formatted for ``COPY ... FROM STDIN``, ready to be sent (``write``) on
    any cursor of the connection, from any thread."""

    statement: str
    data: bytes

    def write(self, cursor: Any) -> None:
        with cursor.copy(self.statement) as copy:
            copy.write(self.data)


def format_copy(
    connection: Any, table: str, fields: Sequence[models.Field], rows: Sequence[tuple], *, raw: Any = None
) -> CopyIn:
    """``rows`` (one value per field, Python types as the fields hold them) formatted by psycopg
    for a ``COPY`` into ``table``, without the server (``psycopg.copy.FileWriter``). The binary
    format where every column has a binary adapter: the server then reads values as they are
    instead of parsing text (about half the time for a wide row, client side included). Done
    apart from sending, so that one thread can format the next rows while another waits for the
    server to apply the previous ones. ``raw``: the psycopg connection whose adapters to use
    (Django's ``connection`` of this thread by default)."""
    from psycopg import Copy
    from psycopg.copy import FileWriter

    quoted = ", ".join(f'"{f.column}"' for f in fields)
    types = _binary_types(connection, fields)
    options = " (FORMAT BINARY)" if types is not None else ""
    buffer = io.BytesIO()
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    # A cursor only lends the connection's adapters: nothing is sent through it.
    with raw.cursor() as cursor, Copy(cursor, binary=types is not None, writer=FileWriter(buffer)) as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return CopyIn(f'COPY "{table}" ({quoted}) FROM STDIN{options}', buffer.getvalue())


@contextmanager
def psycopg_cursor(model: type[models.Model]) -> Iterator[Any]:
    """The psycopg cursor under a cursor of Django's connection for writing ``model`` (for
    ``COPY``), its errors surfacing as Django's (``IntegrityError``)."""
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as django_cursor, connection.wrap_database_errors:
        yield django_cursor.cursor


def write_copies(model: type[models.Model], copies: Sequence[CopyIn], *, cursor: Any = None) -> None:
    """Send formatted ``COPY`` data in order, on ``cursor`` (a psycopg cursor, as
    ``BackgroundWriter`` hands its jobs) or else on Django's connection for ``model``."""
    if cursor is None:
        with psycopg_cursor(model) as cursor:
            write_copies(model, copies, cursor=cursor)
        return
    for copy in copies:
        copy.write(cursor)


def _copy(cursor: Any, table: str, fields: Sequence[models.Field], rows: Sequence[tuple], connection: Any) -> None:
    """``COPY`` ``rows`` into ``table`` on ``cursor`` (a psycopg cursor)."""
    format_copy(connection, table, fields, rows, raw=cursor.connection).write(cursor)


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
    with psycopg_cursor(model) as raw:
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


_SEQUENCES: dict[tuple[str, str], str] = {}


def _sequence(cursor: Any, table: str, column: str) -> str:
    """The sequence of ``table.column``, looked up in the catalogue once per process."""
    sequence = _SEQUENCES.get((table, column))
    if sequence is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        (sequence,) = cursor.fetchone()
        _SEQUENCES[(table, column)] = sequence
    return sequence


def _next_ids(cursor: Any, table: str, column: str, count: int) -> list[int]:
    """``count`` new keys from the sequence of ``table.column``, in one statement. The sequence
    is named once, as a constant: ``pg_get_serial_sequence`` in the select list would look it
    up in the catalogue again for every key."""
    cursor.execute(
        "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_sequence(cursor, table, column), count]
    )
    return [pk for (pk,) in cursor.fetchall()]


def reserve_ids(counts: Sequence[tuple[type[models.Model], int]]) -> list[list[int]]:
    """New primary keys for several tables at once (PostgreSQL), so that rows can point at
    their parents before anything is written: for each (model, count), a list of ``count`` keys
    from its table's sequence, in one statement."""
    if not counts:
        return []
    connection = connections[router.db_for_write(counts[0][0])]
    with connection.cursor() as cursor:
        params = []
        for model, count in counts:
            params += [_sequence(cursor, model._meta.db_table, model._meta.pk.column), count]
        columns = ", ".join(["ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))"] * len(counts))
        cursor.execute(f"SELECT {columns}", params)
        return [list(ids) for ids in cursor.fetchone()]


def copy_with_history(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    actor: Any = None,
    ids: Sequence[int] | None = None,
    cursor: Any = None,
) -> list[int]:
    """Insert new rows given as plain tuples of ``columns`` (attribute names, primary key not
    included) and one "+" history row each, without building model instances; returns the new
    primary keys in row order. Concrete fields not in ``columns`` get their default (``auto_now``
    fields the current time). ``ids`` are keys already taken with ``reserve_ids``, so that the
    caller could point child rows at these before they are written.

    PostgreSQL: two ``COPY`` streams (``history_copies``), on ``cursor`` (a psycopg cursor, as
    ``BackgroundWriter`` hands its jobs) or else on a cursor of Django's connection. Elsewhere:
    model instances through simple-history's ``bulk_create_with_history``."""
    if not rows:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        from simple_history.utils import bulk_create_with_history

        columns = list(columns)
        rest, defaults = _defaults(model, columns)
        names = columns + [f.attname for f in rest]
        objs = [model(**dict(zip(names, row + defaults, strict=True))) for row in rows]
        if ids is not None:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
        bulk_create_with_history(objs, model, default_user=actor)
        return [obj.pk for obj in objs]
    if cursor is None:
        with psycopg_cursor(model) as cursor:
            return copy_with_history(model, columns, rows, actor=actor, ids=ids, cursor=cursor)
    opts = model._meta
    ids = list(ids) if ids is not None else _next_ids(cursor, opts.db_table, opts.pk.column, len(rows))
    write_copies(
        model, history_copies(model, columns, rows, actor=actor, ids=ids, raw=cursor.connection), cursor=cursor
    )
    return ids


def _defaults(model: type[models.Model], columns: list[str]) -> tuple[list[models.Field], tuple]:
    """The concrete fields not in ``columns`` (primary key aside) and their values for new rows."""
    now = timezone.now()
    rest = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    defaults = tuple(
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in rest
    )
    return rest, defaults


def history_copies(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    actor: Any,
    ids: Sequence[int],
    raw: Any = None,
) -> list[CopyIn]:
    """PostgreSQL: ``copy_with_history``'s two ``COPY`` streams for rows whose keys ``ids`` are
    reserved, formatted on the calling thread; the history rows are the same tuples plus the
    history columns."""
    if not rows:
        return []
    from psycopg.types.json import Jsonb

    columns = list(columns)
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    rest, defaults = _defaults(model, columns)
    fields = [opts.get_field(name) for name in columns] + rest
    json_at = [i + 1 for i, f in enumerate(fields[: len(columns)]) if isinstance(f, models.JSONField)]
    defaults = tuple(Jsonb(v) if isinstance(f, models.JSONField) else v for f, v in zip(rest, defaults, strict=True))
    history = model.history.model  # type: ignore[attr-defined]
    hopts = history._meta
    extra = {
        "history_date": timezone.now(),
        "history_type": "+",
        "history_change_reason": None,
        "history_user_id": getattr(actor, "pk", None),
    }
    history_fields = [hopts.get_field(f.name) for f in [opts.pk, *fields]]
    history_fields += [hopts.get_field(name) for name in extra]
    history_extra = tuple(extra.values())
    full = [(pk, *row, *defaults) for pk, row in zip(ids, rows, strict=True)]
    for i in json_at:  # positions in ``full``
        full = [(*row[:i], None if row[i] is None else Jsonb(row[i]), *row[i + 1 :]) for row in full]
    return [
        format_copy(connection, opts.db_table, [opts.pk, *fields], full, raw=raw),
        format_copy(connection, hopts.db_table, history_fields, [row + history_extra for row in full], raw=raw),
    ]


def bulk_insert_plain(
    model: type[models.Model], rows: Sequence[tuple], columns: Sequence[str], *, cursor: Any = None
) -> None:
    """Insert rows of derived data that keeps no history (e.g. matching keys), given as tuples
    of ``columns`` (attribute names): ``COPY`` on PostgreSQL (on ``cursor`` if given, a psycopg
    cursor), ``bulk_create`` elsewhere."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=5000)
        return
    copy = plain_copy(model, rows, columns, raw=None if cursor is None else cursor.connection)
    write_copies(model, [copy], cursor=cursor)


def plain_copy(model: type[models.Model], rows: Sequence[tuple], columns: Sequence[str], *, raw: Any = None) -> CopyIn:
    """PostgreSQL: ``bulk_insert_plain``'s ``COPY``, formatted on the calling thread."""
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in columns]
    return format_copy(connection, model._meta.db_table, fields, rows, raw=raw)


# --- writing while the caller prepares the next rows -----------------------------------------

Job = Callable[[Any], Any]  # called with a psycopg cursor (BackgroundWriter) or None (Django's own)


@dataclass
class Written:
    """What became of a submitted write job: its value, or the error that undid it."""

    tag: Any
    value: Any = None
    error: BaseException | None = None


class ImmediateWriter:
    """Runs each write job at once, in its own savepoint, on Django's connection. The jobs'
    outcomes are collected until ``settle``, as ``BackgroundWriter`` collects them."""

    background = False

    def __init__(self) -> None:
        self._done: list[Written] = []

    def submit(self, job: Job, tag: Any = None) -> None:
        self._done.append(self.run(job, tag))

    def run(self, job: Job, tag: Any = None) -> Written:
        """Run ``job`` now, on this thread (nothing may be running on the writer)."""
        try:
            with transaction.atomic():
                return Written(tag, value=job(None))
        except Exception as exc:  # reported to the caller, which decides
            return Written(tag, error=exc)

    def settle(self) -> list[Written]:
        """Wait for every submitted job; their outcomes in the order submitted."""
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        self._done = []


class BackgroundWriter(ImmediateWriter):
    """PostgreSQL: runs write jobs one after another on a background thread, on the psycopg
    connection that Django's connection ``alias`` holds — inside the caller's transaction, each
    job in its own savepoint, so a failed job leaves nothing behind. The caller prepares the next
    rows while the server applies the previous ones (the waiting thread releases the interpreter
    lock). psycopg connections serialise statements from several threads, but a statement of
    the caller's between a job's failure and its rollback would fail too: the caller must not use
    the connection while a job may be running, and ``settle()`` first."""

    background = True

    def __init__(self, alias: str) -> None:
        super().__init__()
        self.connection = connections[alias]
        self.connection.ensure_connection()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")
        self._futures: list[tuple[Future, Any]] = []
        self._count = 0

    def submit(self, job: Job, tag: Any = None) -> None:
        self._count += 1
        self._futures.append((self._pool.submit(self._in_savepoint, job, f"bulk_writer_{self._count}"), tag))

    def _in_savepoint(self, job: Job, name: str) -> Any:
        with self.connection.connection.cursor() as cursor, self.connection.wrap_database_errors:
            # Foreign keys checked as each statement ends, so that the check is part of the
            # job (overlapping the caller's work) instead of waiting for the commit.
            cursor.execute(f"SAVEPOINT {name}; SET CONSTRAINTS ALL IMMEDIATE")
            try:
                value = job(cursor)
            except BaseException:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {name}; SET CONSTRAINTS ALL DEFERRED")
                raise
            cursor.execute(f"SET CONSTRAINTS ALL DEFERRED; RELEASE SAVEPOINT {name}")
            return value

    def settle(self) -> list[Written]:
        done = super().settle()
        for future, tag in self._futures:
            error = future.exception()
            done.append(Written(tag, error=error) if error is not None else Written(tag, value=future.result()))
        self._futures = []
        return done

    def close(self) -> None:
        """Wait for whatever still runs (its outcome no longer wanted) and stop the thread."""
        for future, _ in self._futures:
            future.exception()
        self._futures = []
        self._pool.shutdown(wait=True)
        super().close()


def writer_for(model: type[models.Model], *, background: bool = True) -> ImmediateWriter:
    """A ``BackgroundWriter`` on PostgreSQL (when ``background``), else an ``ImmediateWriter``."""
    alias = router.db_for_write(model)
    if background and connections[alias].vendor == "postgresql":
        return BackgroundWriter(alias)
    return ImmediateWriter()
