"""Bulk import of registrants from CSV or XLSX, for ``manage.py import_registrants`` and the
upload screen.

Rows are read as a stream (bounded memory) and written a chunk at a time: new records in one
batch per chunk (``COPY`` on PostgreSQL, by a background writer while the next chunk is
prepared), known ones through the services, each row in its own savepoint. A bad row is
rejected with its row number, field and reason while the good rows are kept. Re-importing the
same file changes nothing; a changed row updates the record through the same service as the
screens, so history names the importing user.
"""

from __future__ import annotations

import csv
import gc
import io
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from rsoits.bulk import (
    CopyIn,
    ImmediateWriter,
    Written,
    bulk_insert_plain,
    copy_with_history,
    history_copies,
    plain_copy,
    reserve_ids,
    write_copies,
    writer_for,
)
from rsoits.models import Agency

from .choices import AddressKind, IdentifierKind, NameKind, RegistrationStatus, Sex
from .keys import name_keys, normalise_identifier, registrant_match_keys
from .models import Address, Identifier, MatchKey, Registrant, RegistrantBirthDate, RegistrantName, validate_past_date
from .services import registrant_create, registrant_update

COLUMNS = [
    "external_id", "given_name", "middle_name", "surname", "date_of_birth", "sex", "place_of_birth", "citizenship",
    "street", "city", "state", "postal_code", "country", "fbi_number", "state_id", "passport_number",
    "passport_country", "status", "aliases",
]  # fmt: skip
REQUIRED = ["external_id", "given_name", "surname"]
IDENTIFIER_COLUMNS = {
    "fbi_number": IdentifierKind.FBI_UCN,
    "state_id": IdentifierKind.STATE_SID,
    "passport_number": IdentifierKind.PASSPORT,
}


@dataclass
class RowError:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"


# --- reading -----------------------------------------------------------------------------


def _rows_csv(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    yield from csv.DictReader(text)


def _rows_xlsx(stream: IO[bytes]) -> Iterator[dict[str, str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(stream, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    for values in rows:
        if values is None or all(v is None or v == "" for v in values):
            continue
        yield {h: ("" if v is None else v) for h, v in zip(header, values, strict=False)}
    workbook.close()


def read_rows(stream: IO[bytes], filename: str) -> Iterator[dict[str, Any]]:
    if Path(filename).suffix.lower() in (".xlsx", ".xlsm"):
        return _rows_xlsx(stream)
    return _rows_csv(stream)


# --- parsing -----------------------------------------------------------------------------


def parse_date(value: Any) -> date | None:
    """ISO dates (1980-03-04) and compact ones (19800304); spreadsheet dates as they come."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    # The two usual shapes without strptime (slow in bulk); anything else, and the message, from strptime.
    parts: tuple[str, ...] = ()
    if len(text) == 10 and text[4] == text[7] == "-":
        parts = (text[:4], text[5:7], text[8:])
    elif len(text) == 8:
        parts = (text[:4], text[4:6], text[6:])
    if parts and all(p.isascii() and p.isdigit() for p in parts):
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass  # strptime below gives the message
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD or YYYYMMDD)")


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name, "")
    return "" if value is None else str(value).strip()


def parse_aliases(value: str) -> list[dict[str, str]]:
    """'given surname; given surname' -> alias name dicts (the last word is the surname)."""
    aliases = []
    for part in value.split(";"):
        words = part.split()
        if not words:
            continue
        aliases.append({"given_name": " ".join(words[:-1]), "middle_name": "", "surname": words[-1]})
    return aliases


_SEXES = frozenset(Sex.values)
_STATUSES = frozenset(RegistrationStatus.values)


def parse_row(row: dict[str, Any], line: int) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    for name in REQUIRED:
        if not _text(row, name):
            errors.append(RowError(line, name, "This field is required."))
    data["external_id"] = _text(row, "external_id")
    data["given_name"] = _text(row, "given_name")
    data["middle_name"] = _text(row, "middle_name")
    data["surname"] = _text(row, "surname")
    data["place_of_birth"] = _text(row, "place_of_birth")
    try:
        data["date_of_birth"] = parse_date(row.get("date_of_birth"))
        validate_past_date(data["date_of_birth"])
    except ValueError as exc:
        errors.append(RowError(line, "date_of_birth", str(exc)))
    except ValidationError as exc:
        errors.append(RowError(line, "date_of_birth", exc.messages[0]))
    sex = _text(row, "sex").upper()[:1] or Sex.UNKNOWN
    if sex not in _SEXES:
        errors.append(RowError(line, "sex", f"'{_text(row, 'sex')}' is not one of {', '.join(Sex.values)}."))
    data["sex"] = sex
    status = _text(row, "status").lower() or RegistrationStatus.COMPLIANT
    if status not in _STATUSES:
        errors.append(RowError(line, "status", f"'{status}' is not one of {', '.join(RegistrationStatus.values)}."))
    data["status"] = status
    citizenship = [c.strip().upper() for c in _text(row, "citizenship").replace(";", ",").split(",") if c.strip()]
    bad = [c for c in citizenship if len(c) != 2 or not c.isalpha()]
    if bad:
        errors.append(RowError(line, "citizenship", f"{', '.join(bad)}: use ISO 3166 alpha-2 country codes."))
    data["citizenships"] = citizenship
    data["aliases"] = parse_aliases(_text(row, "aliases"))
    data["_identifiers"] = {
        kind: _text(row, column) for column, kind in IDENTIFIER_COLUMNS.items() if _text(row, column)
    }
    data["_passport_country"] = _text(row, "passport_country").upper()
    address = {k: _text(row, k) for k in ("street", "city", "state", "postal_code")}
    address["country"] = _text(row, "country").upper() or "US"
    data["_address"] = address if any(address[k] for k in ("street", "city", "postal_code")) else None
    return data, errors


# --- validation --------------------------------------------------------------------------
# A new row is checked with its parsed values, in the order registrant_create validates: the
# record, then (as the batch path always did) identifiers already taken and a passport without
# its country, then the aliases, identifiers and address. ``parse_row`` has already enforced
# required fields, choices and dates, so what is left to fail is a value too long for its
# column or an identifier without a letter or digit. Those are tested here without building
# model instances; when one fails, the model's own validation (the services' ``_full_clean``)
# writes the message, so a rejected row reports the same field and reason either way.


def _char_limits(model: type, names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((name, model._meta.get_field(name).max_length) for name in names)


_RECORD_LIMITS = _char_limits(Registrant, ("external_id", "given_name", "middle_name", "surname", "place_of_birth"))
_NAME_LIMITS = _char_limits(RegistrantName, ("given_name", "middle_name", "surname"))
_IDENTIFIER_LIMITS = _char_limits(Identifier, ("value", "issuing_country"))
_ADDRESS_LIMITS = _char_limits(Address, ("street", "city", "state", "postal_code", "country"))


def _too_long(values: dict[str, Any], limits: tuple[tuple[str, int], ...]) -> bool:
    for name, limit in limits:  # noqa: SIM110 - a plain loop: any() over a generator is slower in bulk
        if len(values[name]) > limit:
            return True
    return False


def _model_errors(obj: Any, prefix: str | None) -> ValidationError:
    """The errors the services report for ``obj`` (a record, or a nested row under ``prefix``)."""
    from .services import _full_clean

    try:
        if prefix is None:
            obj.full_clean(exclude=["registering_agency"], validate_unique=False, validate_constraints=False)
        else:
            _full_clean(obj, prefix, exclude=["registrant"])
    except ValidationError as exc:
        return exc
    raise AssertionError(f"{obj!r}: a value was found too long but the model accepts it")  # pragma: no cover


def _record_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_") and k != "aliases"}


def _identifier_rows(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, value, issuing country) of the row's identifiers, in column order."""
    country = data["_passport_country"]
    return [
        (kind, value, country if kind == IdentifierKind.PASSPORT else "")
        for kind, value in data["_identifiers"].items()
    ]


def new_row_errors(data: dict[str, Any], taken: set[tuple[str, str]]) -> ValidationError | None:
    """Why a parsed row cannot become a new record (``None`` if it can). ``taken`` holds the
    (kind, normalised value) of identifiers already recorded or claimed by earlier rows; the
    row's own identifiers are added to it as they are checked."""
    if _too_long(data, _RECORD_LIMITS):
        return _model_errors(Registrant(**_record_fields(data)), None)
    norms = data.get("_norm_identifiers") or {k: normalise_identifier(v) for k, v in data["_identifiers"].items()}
    for kind, value in data["_identifiers"].items():
        key = (kind, norms[kind])
        if key in taken:
            return ValidationError({f"{kind}": f"{value} is already recorded for another registrant."})
        if kind == IdentifierKind.PASSPORT and not data["_passport_country"]:
            return ValidationError({"passport_country": "Give the issuing country of the passport."})
        taken.add(key)
    for index, alias in enumerate(data["aliases"]):
        if _too_long(alias, _NAME_LIMITS):
            return _model_errors(RegistrantName(kind=NameKind.ALIAS, **alias), f"aliases[{index}]")
    for index, (kind, value, country) in enumerate(_identifier_rows(data)):
        row = {"value": value, "issuing_country": country}
        if _too_long(row, _IDENTIFIER_LIMITS) or not normalise_identifier(value):
            return _model_errors(Identifier(kind=kind, **row), f"identifiers[{index}]")
    address = data["_address"]
    if address is not None and _too_long(address, _ADDRESS_LIMITS):
        return _model_errors(Address(kind=AddressKind.RESIDENCE, current=True, **address), "addresses[0]")
    return None


def prepare_keys(data: dict[str, Any]) -> None:
    """Derive the matching keys of a parsed row once: its names with their keys (``_names``:
    kind, given, middle, surname, then ``RegistrantName``'s key fields) and its blocking keys
    (``_match_keys``)."""
    names = [(NameKind.PRIMARY, data["given_name"], data["middle_name"], data["surname"])]
    names += [(NameKind.ALIAS, a["given_name"], a["middle_name"], a["surname"]) for a in data["aliases"]]
    data["_names"] = [(*name, *name_keys(*name[1:])) for name in names]
    data["_norm_identifiers"] = {kind: normalise_identifier(value) for kind, value in data["_identifiers"].items()}
    dob = data.get("date_of_birth")
    data["_match_keys"] = sorted(registrant_match_keys([(n[4], n[6]) for n in data["_names"]], [dob] if dob else []))


# --- comparing with known records ------------------------------------------------------------


@dataclass
class Known:
    """A known record as the comparison reads it: the record's fields and its names,
    identifiers and addresses, each ordered by id (model instances or plain rows alike)."""

    record: Any
    names: list[Any]
    identifiers: list[Any]
    addresses: list[Any]

    @classmethod
    def of(cls, registrant: Registrant) -> Known:
        """From a registrant with its names, identifiers and addresses prefetched."""

        def by_id(rows: Any) -> list[Any]:
            return sorted(rows.all(), key=lambda row: row.id)

        return cls(registrant, by_id(registrant.names), by_id(registrant.identifiers), by_id(registrant.addresses))


_RECORD_COLUMNS = (
    "external_id", "given_name", "middle_name", "surname", "place_of_birth", "date_of_birth", "sex", "status",
    "citizenships",
)  # fmt: skip
_IDENTIFIER_COLUMNS = ("id", "registrant_id", "kind", "value", "norm_value", "issuing_country", "expires")
_ADDRESS_COLUMNS = (
    "id", "registrant_id", "kind", "street", "city", "state", "postal_code", "country", "current", "since", "until",
)  # fmt: skip


def _any_of(model: type, field: str, values: list[Any]) -> Any:
    """A filter for ``field IN values``. On PostgreSQL it is ``= ANY(%s)`` with the list as one
    array parameter: thousands of placeholders cost Django, psycopg and the server's planner
    far more than one array does."""
    if connections[router.db_for_read(model)].vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
    return RawSQL(f"{column} = ANY(%s)", (list(values),), output_field=BooleanField())  # noqa: S611 - names from the model, values a parameter


def known_records(agency: Agency, external_ids: list[str]) -> dict[str, Known]:
    """The chunk's known records as plain rows (no model instances), in four queries at most
    (one when none is known)."""
    records = {
        r.id: r
        for r in Registrant.objects.filter(_any_of(Registrant, "external_id", external_ids), registering_agency=agency)
        .order_by()
        .values_list("id", *_RECORD_COLUMNS, named=True)
    }
    if not records:
        return {}
    known = {pk: Known(r, [], [], []) for pk, r in records.items()}
    ids = list(records)
    for row in (
        RegistrantName.objects.filter(_any_of(RegistrantName, "registrant_id", ids))
        .order_by("id")
        .values_list("id", "registrant_id", "kind", "given_name", "middle_name", "surname", named=True)
    ):
        known[row.registrant_id].names.append(row)
    for row in (
        Identifier.objects.filter(_any_of(Identifier, "registrant_id", ids))
        .order_by("id")
        .values_list(*_IDENTIFIER_COLUMNS, named=True)
    ):
        known[row.registrant_id].identifiers.append(row)
    for row in (
        Address.objects.filter(_any_of(Address, "registrant_id", ids))
        .order_by("id")
        .values_list(*_ADDRESS_COLUMNS, named=True)
    ):
        known[row.registrant_id].addresses.append(row)
    return {k.record.external_id: k for k in known.values()}


# --- writing -----------------------------------------------------------------------------


def _nested_changes(known: Known | None, data: dict[str, Any]) -> dict[str, Any]:
    """What the row asks of the nested lists, as service arguments; only what differs."""
    changes: dict[str, Any] = {}
    existing_aliases = (
        []
        if known is None
        else [
            {"given_name": n.given_name, "middle_name": n.middle_name, "surname": n.surname}
            for n in known.names
            if n.kind == NameKind.ALIAS
        ]
    )
    if data["aliases"] != existing_aliases:
        changes["aliases"] = data["aliases"]

    identifiers = [] if known is None else known.identifiers
    wanted = data["_identifiers"]
    rows = []
    touched = False
    for ident in identifiers:
        row = {
            "id": ident.id,
            "kind": ident.kind,
            "value": ident.value,
            "issuing_country": ident.issuing_country,
            "expires": ident.expires,
        }
        if ident.kind in wanted and normalise_identifier(wanted[ident.kind]) != ident.norm_value:
            row["value"] = wanted[ident.kind]
            touched = True
        if (
            ident.kind == IdentifierKind.PASSPORT
            and data["_passport_country"]
            and (ident.issuing_country != data["_passport_country"])
        ):
            row["issuing_country"] = data["_passport_country"]
            touched = True
        rows.append(row)
    have = {i.kind for i in identifiers}
    for kind, value in wanted.items():
        if kind not in have:
            row = {"kind": kind, "value": value, "issuing_country": ""}
            if kind == IdentifierKind.PASSPORT:
                row["issuing_country"] = data["_passport_country"]
            rows.append(row)
            touched = True
    if touched:
        changes["identifiers"] = rows

    address = data["_address"]
    if address is not None:
        addresses = [] if known is None else known.addresses
        current = next((a for a in addresses if a.current and a.kind == AddressKind.RESIDENCE), None)
        same = current is not None and all(getattr(current, k) == v for k, v in address.items())
        if not same:
            # SORNA keeps the address history: the old residence is kept as a past one.
            rows = []
            for a in addresses:
                row = {f: getattr(a, f) for f in ("kind", "street", "city", "state", "postal_code", "country")}
                row.update(id=a.id, current=a.current and a is not current, since=a.since, until=a.until)
                if a is current:
                    row["until"] = date.today()  # noqa: DTZ011 - a calendar date
                rows.append(row)
            rows.append({"kind": AddressKind.RESIDENCE, "current": True, **address})
            changes["addresses"] = rows
    return changes


def _existing(agency: Agency, external_ids: list[str]) -> dict[str, Registrant]:
    """Known registrants with the nested rows a comparison needs, in four queries."""
    return {
        r.external_id: r
        for r in Registrant.objects.filter(registering_agency=agency, external_id__in=external_ids).prefetch_related(
            "names", "identifiers", "addresses"
        )
    }


def _row_changes(known: Known | None, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record fields, nested lists) the row would write; both empty for an unchanged row."""
    record = _record_fields(data)
    nested = _nested_changes(known, data)
    if known is None:
        return record, nested
    return {k: v for k, v in record.items() if getattr(known.record, k) != v}, nested


def import_row(*, actor: Any, agency: Agency, data: dict[str, Any], registrant: Registrant | None = None) -> str:
    """One row through the services. ``registrant`` is the known record when the caller has
    already fetched it (with its names, identifiers and addresses prefetched)."""
    if registrant is None:
        registrant = _existing(agency, [data["external_id"]]).get(data["external_id"])
    changed, nested = _row_changes(None if registrant is None else Known.of(registrant), data)
    if registrant is None:
        registrant_create(actor=actor, registering_agency=agency, **changed, **nested)
        return "created"
    if not changed and not nested:
        return "unchanged"
    registrant_update(actor=actor, registrant=registrant, **changed, **nested)
    return "updated"


CHUNK = 5000
# A chunk leaves about 60 objects in reference cycles, while a collection walks every object
# alive at that moment (the next chunk, parsed ahead): collected once a chunk, an import of
# 50,000 rows spent 0.48 s of its 10.6 s in those walks; once every ten chunks, 0.15 s, for at
# most a few hundred objects left a while longer.
GC_EVERY_CHUNKS = 10


def _reject(result: ImportResult, line: int, exc: ValidationError) -> None:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
    result.rejected += 1
    result.errors.extend(RowError(line, f, " ".join(m)) for f, m in details.items())


def _one_by_one(
    chunk: list[tuple[int, dict]],
    *,
    agency: Agency,
    actor: Any,
    result: ImportResult,
    known: dict[str, Known] | None = None,
) -> None:
    """The careful path: each row through the services in its own savepoint. ``known`` (from
    ``known_records``) lets unchanged rows be counted without a savepoint or a model instance;
    only the changed ones are read as model instances, for the whole chunk at once. A second
    row for the same person reads afresh."""
    known = dict(known or {})
    todo: list[tuple[int, dict, bool]] = []
    for line, data in chunk:
        current = known.pop(data["external_id"], None)
        if current is not None and _row_changes(current, data) == ({}, {}):
            result.unchanged += 1  # nothing to write: no savepoint
            continue
        todo.append((line, data, current is not None))
    fetched = _existing(agency, [data["external_id"] for _, data, was_known in todo if was_known]) if todo else {}
    for line, data, was_known in todo:
        registrant = fetched.pop(data["external_id"], None) if was_known else None
        try:
            with transaction.atomic():
                outcome = import_row(actor=actor, agency=agency, data=data, registrant=registrant)
            setattr(result, outcome, getattr(result, outcome) + 1)
        except ValidationError as exc:
            _reject(result, line, exc)


_REGISTRANT_COLUMNS = ("registering_agency_id", *_RECORD_COLUMNS)
_NAME_COLUMNS = (
    "registrant_id", "kind", "given_name", "middle_name", "surname",
    "norm_given", "norm_middle", "norm_surname", "given_phonetic", "surname_phonetic", "surname_nysiis",
)  # fmt: skip
_BIRTH_DATE_COLUMNS = ("registrant_id", "date", "is_primary", "year", "month", "day")
_NEW_IDENTIFIER_COLUMNS = ("registrant_id", "kind", "value", "norm_value", "issuing_country")
_NEW_ADDRESS_COLUMNS = ("registrant_id", "kind", "current", "street", "city", "state", "postal_code", "country")


class PendingMatchKeys:
    """The blocking keys of the records created by the fast path, written together in one
    ``COPY`` sorted by key when ``LIMIT`` of them have gathered, before a known record is changed,
    and at the end of the import. The lookup index on ``key`` is larger than the server's cache
    and each key lands on a random page of it: one sorted pass over many chunks' keys reads and
    writes each page once instead of once per chunk (about a third less time writing the keys
    of 20,000 records into a million registrants' index). Only keys of records this import
    created wait here, and nothing but the services changing such a record again reads them
    (``flush`` comes first). The keys are written by the import's writer, after what it was
    given before."""

    LIMIT = 500_000  # about 120,000 records' keys, some 75 MB: memory stays bounded

    def __init__(self, writer: ImmediateWriter) -> None:
        self.rows: list[tuple[int, str]] = []
        self.writer = writer

    def add(self, rows: list[tuple[int, str]]) -> None:
        self.rows.extend(rows)

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.LIMIT

    def flush(self) -> None:
        if self.rows:
            rows, self.rows = self.rows, []
            rows.sort(key=itemgetter(1))
            if self.writer.background:
                copy = plain_copy(MatchKey, rows, _KEY_COLUMNS)  # formatted here, sent by the writer
                self.writer.submit(copy.write, tag=_KEYS)
            else:
                self.writer.submit(partial(_write_keys, rows), tag=_KEYS)


_KEYS = "match keys"
_KEY_COLUMNS = ("registrant_id", "key")


def _write_keys(rows: list[tuple[int, str]], cursor: Any) -> None:
    bulk_insert_plain(MatchKey, rows, _KEY_COLUMNS, cursor=cursor)


class RecordedIdentifiers:
    """Whether the identifiers of new rows are looked up in the registry before their ``COPY``.
    In a file without clashes none is recorded yet, and the unique index would find a clash
    during the ``COPY`` anyway: looking every number up first costs the server those index
    probes twice. So an import skips the look-up until a chunk's ``COPY`` fails; that chunk is
    then written again with its identifiers looked up, and so is every later one (a file with
    one clash likely has more)."""

    def __init__(self, *, look_up: bool = True) -> None:
        self.look_up = look_up

    def taken(self, chunk: list[tuple[int, dict]]) -> set[tuple[str, str]]:
        if not self.look_up or not chunk:
            return set()
        # Unordered: the model's default ordering would make the server read every identifier
        # and sort them, instead of looking each number up in the index.
        return set(
            Identifier.objects.filter(
                _any_of(Identifier, "norm_value", [v for _, d in chunk for v in d["_norm_identifiers"].values()])
            )
            .order_by()
            .values_list("kind", "norm_value")
        )


@dataclass
class Plan:
    """What the database says about a chunk before it is prepared: the known records among its
    rows, which rows are new (the fast path) and which go the careful way, the identifiers
    already taken and, on PostgreSQL, the keys reserved for the new records."""

    known: dict[str, Known]
    new: list[tuple[int, dict]]
    again: list[tuple[int, dict]]
    taken: set[tuple[str, str]]
    ids: Keys | None


def plan_chunk(
    chunk: list[tuple[int, dict]],
    *,
    agency: Agency,
    identifiers: RecordedIdentifiers,
    recent: set[str] | frozenset = frozenset(),
) -> Plan:
    """``recent``: external ids of the previous chunk, whose writes may not be visible yet; their
    rows go the careful way, after those writes (as does a second row for the same person in one
    chunk, after the first)."""
    known = known_records(agency, [data["external_id"] for _, data in chunk]) if chunk else {}
    seen: set[str] = set()
    new, again = [], []
    for line, data in chunk:
        external_id = data["external_id"]
        if external_id in known or external_id in seen or external_id in recent:
            again.append((line, data))
        else:
            new.append((line, data))
            seen.add(external_id)
    for external_id in recent:
        known.pop(external_id, None)  # read before the previous chunk was written: stale
    return Plan(known, new, again, identifiers.taken(new), _reserve(new))


def _reserve(new: list[tuple[int, dict]]) -> Keys | None:
    """PostgreSQL: keys for the new records and for as many names, birth dates, identifiers and
    addresses as the rows could have (a rejected row leaves its keys unused)."""
    if not new or connections[router.db_for_write(Registrant)].vendor != "postgresql":
        return None
    return Keys(
        *reserve_ids(
            [
                (Registrant, len(new)),
                (RegistrantName, sum(len(data["_names"]) for _, data in new)),
                (RegistrantBirthDate, sum(1 for _, data in new if data["date_of_birth"])),
                (Identifier, sum(len(data["_identifiers"]) for _, data in new)),
                (Address, sum(1 for _, data in new if data["_address"])),
            ]
        )
    )


@dataclass
class Keys:
    """Primary keys reserved for a chunk's new rows, per table."""

    registrants: list[int]
    names: list[int]
    dobs: list[int]
    identifiers: list[int]
    addresses: list[int]


@dataclass
class NewRows:
    """A chunk's new rows, validated: those ready to write and those rejected (``again``: a
    second attempt, after the batch write failed once)."""

    rows: list[tuple[int, dict]]
    ready: list[tuple[int, dict]] = field(default_factory=list)
    rejects: list[tuple[int, ValidationError]] = field(default_factory=list)
    again: bool = False


def _child_rows(ready: list[tuple[int, dict]], ids: list[int]) -> tuple[list, list, list, list, list]:
    """The names, birth dates, identifiers, addresses and blocking keys of new records, as the
    tuples ``_write_new`` copies."""
    names, dobs, idents, addresses, keys = [], [], [], [], []
    for (_, data), rid in zip(ready, ids, strict=True):
        names.extend((rid, *name) for name in data["_names"])
        d = data["date_of_birth"]
        if d:
            dobs.append((rid, d, True, d.year, d.month, d.day))
        norms = data["_norm_identifiers"]
        idents.extend((rid, kind, value, norms[kind], country) for kind, value, country in _identifier_rows(data))
        address = data["_address"]
        if address:
            addresses.append(
                (rid, AddressKind.RESIDENCE, True, address["street"], address["city"], address["state"],
                 address["postal_code"], address["country"])
            )  # fmt: skip
    # Rows in the order of their most selective index (surname, identifier number): consecutive
    # inserts then land on the same index pages of a large table.
    names.sort(key=itemgetter(7))
    idents.sort(key=itemgetter(3))
    for (_, data), rid in zip(ready, ids, strict=True):
        keys.extend((rid, key) for key in data["_match_keys"])
    return names, dobs, idents, addresses, keys


def _write_new(records: list[tuple], ready: list, actor: Any, cursor: Any) -> list[tuple[int, str]]:
    """Write new records, then their nested rows, each with its history rows, the keys assigned
    by the inserts (databases other than PostgreSQL); the blocking keys are returned, not
    written."""
    ids = copy_with_history(Registrant, _REGISTRANT_COLUMNS, records, actor=actor, cursor=cursor)
    names, dobs, idents, addresses, keys = _child_rows(ready, ids)
    copy_with_history(RegistrantName, _NAME_COLUMNS, names, actor=actor, cursor=cursor)
    copy_with_history(RegistrantBirthDate, _BIRTH_DATE_COLUMNS, dobs, actor=actor, cursor=cursor)
    copy_with_history(Identifier, _NEW_IDENTIFIER_COLUMNS, idents, actor=actor, cursor=cursor)
    copy_with_history(Address, _NEW_ADDRESS_COLUMNS, addresses, actor=actor, cursor=cursor)
    return keys


def _prepare_new(
    new: list[tuple[int, dict]], taken: set[tuple[str, str]], ids: Keys | None, *, agency: Agency, actor: Any
) -> tuple[NewRows, Any]:
    """The fast path for rows new to the registry, up to the writer: validate with the parsed
    values (``new_row_errors``), then the job that writes the records, names, birth dates,
    identifiers and addresses, each with its history rows (``rsoits.bulk``). On PostgreSQL, with
    the keys reserved (``ids``), every row is built and formatted for ``COPY`` here, while the
    writer may still be sending the previous chunk, and the job only sends them; elsewhere the
    job inserts through simple-history's bulk_create_with_history. The job returns the blocking
    keys, and its outcome comes back from ``writer.settle()`` tagged with the ``NewRows``."""
    batch = NewRows(new)
    for line, data in new:
        errors = new_row_errors(data, taken)
        if errors is not None:
            batch.rejects.append((line, errors))
        else:
            batch.ready.append((line, data))
    ready = batch.ready
    if not ready:
        return batch, _nothing
    agency_id = agency.pk
    records = [(agency_id, *[data[c] for c in _RECORD_COLUMNS]) for _, data in ready]
    if ids is None:
        return batch, partial(_write_new, records, ready, actor)
    registrant_ids = ids.registrants[: len(ready)]
    names, dobs, idents, addresses, keys = _child_rows(ready, registrant_ids)
    copies = [
        *history_copies(Registrant, _REGISTRANT_COLUMNS, records, actor=actor, ids=registrant_ids),
        *history_copies(RegistrantName, _NAME_COLUMNS, names, actor=actor, ids=ids.names[: len(names)]),
        *history_copies(RegistrantBirthDate, _BIRTH_DATE_COLUMNS, dobs, actor=actor, ids=ids.dobs[: len(dobs)]),
        *history_copies(Identifier, _NEW_IDENTIFIER_COLUMNS, idents, actor=actor, ids=ids.identifiers[: len(idents)]),
        *history_copies(Address, _NEW_ADDRESS_COLUMNS, addresses, actor=actor, ids=ids.addresses[: len(addresses)]),
    ]
    return batch, partial(_send, copies, keys)


def _send(copies: list[CopyIn], keys: list[tuple[int, str]], cursor: Any) -> list[tuple[int, str]]:
    """Send formatted ``COPY`` data, on the writer's cursor or (``None``) on Django's."""
    write_copies(Registrant, copies, cursor=cursor)
    return keys


def _nothing(cursor: Any) -> list:
    return []


class _Chunks:
    """Writes an import's chunks and takes in the writer's outcomes: counts, rejected rows,
    blocking keys, and the fallbacks when a chunk's batch write fails."""

    def __init__(self, *, agency: Agency, actor: Any, result: ImportResult, writer: ImmediateWriter) -> None:
        self.agency, self.actor, self.result, self.writer = agency, actor, result, writer
        self.pending_keys = PendingMatchKeys(writer)
        self.identifiers = RecordedIdentifiers(look_up=False)

    def plan(self, chunk: list[tuple[int, dict]], recent: set[str] | frozenset = frozenset()) -> Plan:
        """Only with the writer idle (``settle`` first)."""
        return plan_chunk(chunk, agency=self.agency, identifiers=self.identifiers, recent=recent)

    def prepare(self, plan: Plan) -> tuple[NewRows, Any] | None:
        if not plan.new:
            return None
        return _prepare_new(plan.new, plan.taken, plan.ids, agency=self.agency, actor=self.actor)

    def submit(self, prepared: tuple[NewRows, Any] | None) -> None:
        if prepared is not None:
            batch, job = prepared
            self.writer.submit(job, tag=batch)
        if self.pending_keys.full:
            self.pending_keys.flush()  # after the chunk, on the writer

    def settle(self) -> None:
        """Wait for the writer; count what it wrote, and redo what failed (on this thread)."""
        for written in self.writer.settle():
            if written.tag == _KEYS:
                if written.error is not None:
                    raise written.error
                continue
            self._take(written.tag, written)

    def _take(self, batch: NewRows, written: Written) -> None:
        if written.error is None:
            for line, errors in batch.rejects:
                _reject(self.result, line, errors)
            self.result.created += len(batch.ready)
            self.pending_keys.add(written.value)
            return
        if not batch.again:
            # A number recorded already (or claimed twice in the file): from now on identifiers
            # are looked up first; this chunk again, looked up with everything before it written
            # (its plan may not have seen the previous chunk's numbers).
            self.identifiers.look_up = True
            self._redo(batch.rows)
            return
        for line, errors in batch.rejects:
            _reject(self.result, line, errors)
        _one_by_one(batch.ready, agency=self.agency, actor=self.actor, result=self.result)

    def _redo(self, rows: list[tuple[int, dict]]) -> None:
        taken = self.identifiers.taken(rows)
        batch, job = _prepare_new(rows, taken, _reserve(rows), agency=self.agency, actor=self.actor)
        batch.again = True
        self._take(batch, ImmediateWriter().run(job, batch))

    def careful(self, plan: Plan) -> None:
        """The rows of known records and repeated rows, through the services, after every
        earlier write (the services may change a record created earlier in this import: its
        keys are written first)."""
        if not plan.again:
            return
        self.settle()  # the chunk: its keys join the pending ones
        self.pending_keys.flush()
        self.settle()  # the keys
        _one_by_one(plan.again, agency=self.agency, actor=self.actor, result=self.result, known=plan.known)

    def finish(self) -> None:
        self.settle()
        self.pending_keys.flush()
        self.settle()


def parsed_chunks(
    stream: IO[bytes], filename: str, size: int | None = None
) -> Iterator[tuple[list[str], list[tuple[int, dict]], list[RowError], int]]:
    """The file as chunks of parsed rows, their matching keys derived: (header, [(line, data)],
    row errors, rows rejected). The last chunk may be empty."""
    header: list[str] = []
    chunk: list[tuple[int, dict]] = []
    errors: list[RowError] = []
    rejected = 0
    for line, row in enumerate(read_rows(stream, filename), start=2):  # line 1 is the header
        if not header:
            header = [h for h in row if h] or [""]
        data, row_errors = parse_row(row, line)
        if row_errors:
            rejected += 1
            errors.extend(row_errors)
            continue
        prepare_keys(data)
        chunk.append((line, data))
        if len(chunk) >= (size or CHUNK):
            yield header, chunk, errors, rejected
            chunk, errors, rejected = [], [], 0
    yield header, chunk, errors, rejected


_END = object()


def _ahead(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """``items`` produced by a background thread up to ``depth`` ahead of the consumer: the next
    chunk is read, parsed and keyed while this thread waits for the database to apply the
    previous one. The thread touches no database; its exceptions are raised here."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:
            put((_END, exc))

    thread = threading.Thread(target=produce, name="import-parser", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = slots.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()


@contextmanager
def _collected_per_chunk() -> Iterator[None]:
    """Pause Python's automatic garbage collection (its passes over the many rows alive at once
    cost about a third of the parsing time) and collect every ``GC_EVERY_CHUNKS`` chunks instead,
    so that memory stays bounded."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_registrants(
    stream: IO[bytes], filename: str, *, agency: Agency, actor: Any = None, dry_run: bool = False
) -> ImportResult:
    """Import a file in chunks of CHUNK rows (bounded memory). With ``dry_run`` everything is
    validated and counted, then rolled back (the upload screen's preview).

    Three things overlap on PostgreSQL: a thread reads and parses chunk N+1 (``_ahead``), this
    thread validates chunk N and builds its rows, and the ``BackgroundWriter`` copies chunk N-1
    into the database. Then, with the writer idle, this thread asks the database about chunk
    N+1 (``plan_chunk``: its known records, the identifiers taken, keys for its new records) and
    hands chunk N to the writer. Chunk N's rows are not visible to that plan: a repeat of one of
    them in chunk N+1 goes the careful way, after chunk N is written."""
    result = ImportResult()
    with _collected_per_chunk(), transaction.atomic():
        writer = writer_for(Registrant)
        chunks = _Chunks(agency=agency, actor=actor, result=result, writer=writer)
        try:
            items = _ahead(parsed_chunks(stream, filename))
            item = next(items, None)
            plan = chunks.plan(item[1]) if item is not None else None
            first, collected = True, 0
            while item is not None and plan is not None:
                header, chunk, errors, rejected = item
                if first and header:
                    result.unknown_columns = [h for h in header if h and h not in COLUMNS]
                    result.missing_columns = [c for c in REQUIRED if c not in header]
                    first = False
                result.rejected += rejected
                result.errors.extend(errors)
                following = next(items, None)
                prepared = chunks.prepare(plan)  # while the writer writes the previous chunk
                chunks.settle()
                recent = {data["external_id"] for _, data in chunk}
                following_plan = chunks.plan(following[1], recent) if following is not None else None
                chunks.submit(prepared)
                chunks.careful(plan)
                del chunk, prepared
                collected += 1
                if collected % GC_EVERY_CHUNKS == 0:
                    gc.collect(0)
                item, plan = following, following_plan
            chunks.finish()
        finally:
            writer.close()
        if dry_run:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda e: e.row)
    return result
