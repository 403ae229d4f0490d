"""Bulk import of registrants from CSV or XLSX, for ``manage.py import_registrants`` and the
upload screen.

Rows are read as a stream (bounded memory). Each row is parsed, validated and written in its
own savepoint: a bad row is rejected with its row number, field and reason while the good
rows are kept. Re-importing the same file changes nothing; a changed row updates the record
through the same service as the screens, so history names the importing user.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from rsoits.models import Agency

from .choices import AddressKind, IdentifierKind, NameKind, RegistrationStatus, Sex
from .keys import normalise_identifier
from .models import Registrant
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
    except ValueError as exc:
        errors.append(RowError(line, "date_of_birth", str(exc)))
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


# --- writing -----------------------------------------------------------------------------


def _nested_changes(registrant: Registrant | None, data: dict[str, Any]) -> dict[str, Any]:
    """What the row asks of the nested lists, as service arguments; only what differs."""
    changes: dict[str, Any] = {}
    existing_aliases = (
        []
        if registrant is None
        else [
            {"given_name": n.given_name, "middle_name": n.middle_name, "surname": n.surname}
            for n in sorted(registrant.names.all(), key=lambda n: n.pk)
            if n.kind == NameKind.ALIAS
        ]
    )
    if data["aliases"] != existing_aliases:
        changes["aliases"] = data["aliases"]

    identifiers = [] if registrant is None else sorted(registrant.identifiers.all(), key=lambda i: i.pk)
    wanted = data["_identifiers"]
    rows = []
    touched = False
    for ident in identifiers:
        row = {
            "id": ident.pk,
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
        addresses = [] if registrant is None else sorted(registrant.addresses.all(), key=lambda a: a.pk)
        current = next((a for a in addresses if a.current and a.kind == AddressKind.RESIDENCE), None)
        same = current is not None and all(getattr(current, k) == v for k, v in address.items())
        if not same:
            # SORNA keeps the address history: the old residence is kept as a past one.
            rows = []
            for a in addresses:
                row = {f: getattr(a, f) for f in ("kind", "street", "city", "state", "postal_code", "country")}
                row.update(id=a.pk, current=a.current and a is not current, since=a.since, until=a.until)
                if a is current:
                    row["until"] = date.today()  # noqa: DTZ011 - a calendar date
                rows.append(row)
            rows.append({"kind": AddressKind.RESIDENCE, "current": True, **address})
            changes["addresses"] = rows
    return changes


def _existing(agency: Agency, external_ids: list[str]) -> dict[str, Registrant]:
    """The chunk's known registrants with the nested rows a comparison needs, in four queries."""
    return {
        r.external_id: r
        for r in Registrant.objects.filter(registering_agency=agency, external_id__in=external_ids).prefetch_related(
            "names", "identifiers", "addresses"
        )
    }


def _row_changes(registrant: Registrant | None, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record fields, nested lists) the row would write; both empty for an unchanged row."""
    record = {k: v for k, v in data.items() if not k.startswith("_") and k != "aliases"}
    nested = _nested_changes(registrant, data)
    if registrant is None:
        return record, nested
    return {k: v for k, v in record.items() if getattr(registrant, k) != v}, nested


def import_row(*, actor: Any, agency: Agency, data: dict[str, Any], registrant: Registrant | None = None) -> str:
    """One row through the services. ``registrant`` is the known record when the caller has
    already fetched it (with its names, identifiers and addresses prefetched)."""
    if registrant is None:
        registrant = _existing(agency, [data["external_id"]]).get(data["external_id"])
    changed, nested = _row_changes(registrant, data)
    if registrant is None:
        registrant_create(actor=actor, registering_agency=agency, **changed, **nested)
        return "created"
    if not changed and not nested:
        return "unchanged"
    registrant_update(actor=actor, registrant=registrant, **changed, **nested)
    return "updated"


CHUNK = 1000


def _reject(result: ImportResult, line: int, exc: ValidationError) -> None:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
    result.rejected += 1
    result.errors.extend(RowError(line, f, " ".join(m)) for f, m in details.items())


def _one_by_one(
    chunk: list[tuple[int, dict]], *, agency: Agency, actor: Any, result: ImportResult, prefetch: bool = False
) -> None:
    """The careful path: each row through the services in its own savepoint. With ``prefetch``
    the known records are read for the whole chunk first (a re-import of an unchanged file then
    costs a few queries per chunk, not per row); a second row for the same person reads afresh."""
    known = _existing(agency, [d["external_id"] for _, d in chunk]) if prefetch else {}
    for line, data in chunk:
        registrant = known.pop(data["external_id"], None)
        if registrant is not None and _row_changes(registrant, data) == ({}, {}):
            result.unchanged += 1  # nothing to write: no savepoint
            continue
        try:
            with transaction.atomic():
                outcome = import_row(actor=actor, agency=agency, data=data, registrant=registrant)
            setattr(result, outcome, getattr(result, outcome) + 1)
        except ValidationError as exc:
            _reject(result, line, exc)


def _bulk_create_new(chunk: list[tuple[int, dict]], *, agency: Agency, actor: Any, result: ImportResult) -> None:
    """The fast path for rows new to the registry: validate in memory, then insert the records,
    names, birth dates, identifiers and addresses in a few statements, each with its history
    rows (``rsoits.bulk``: PostgreSQL COPY, or simple-history's bulk_create_with_history). Rows
    that fail validation are rejected one by one; if the batch insert itself fails, the chunk
    falls back to the careful path."""
    from rsoits.bulk import bulk_insert_plain, bulk_insert_with_history

    from .keys import registrant_match_keys
    from .models import Address, Identifier, MatchKey, RegistrantBirthDate, RegistrantName

    taken = set(
        Identifier.objects.filter(
            norm_value__in=[normalise_identifier(v) for _, d in chunk for v in d["_identifiers"].values()]
        ).values_list("kind", "norm_value")
    )
    ready: list[tuple[int, dict, Registrant]] = []
    for line, data in chunk:
        record = {k: v for k, v in data.items() if not k.startswith("_") and k != "aliases"}
        registrant = Registrant(registering_agency=agency, **record)
        try:
            registrant.full_clean(exclude=["registering_agency"], validate_unique=False, validate_constraints=False)
            for kind, value in data["_identifiers"].items():
                key = (kind, normalise_identifier(value))
                if key in taken:
                    raise ValidationError({f"{kind}": f"{value} is already recorded for another registrant."})
                if kind == IdentifierKind.PASSPORT and not data["_passport_country"]:
                    raise ValidationError({"passport_country": "Give the issuing country of the passport."})
                taken.add(key)
        except ValidationError as exc:
            _reject(result, line, exc)
            continue
        ready.append((line, data, registrant))
    if not ready:
        return
    try:
        with transaction.atomic():
            created = bulk_insert_with_history([r for _, _, r in ready], Registrant, actor=actor)
            names, dobs, idents, addresses = [], [], [], []
            for (_, data, _), registrant in zip(ready, created, strict=True):
                for kind, source in [(NameKind.PRIMARY, data)] + [(NameKind.ALIAS, a) for a in data["aliases"]]:
                    name = RegistrantName(
                        registrant=registrant,
                        kind=kind,
                        given_name=source["given_name"],
                        middle_name=source["middle_name"],
                        surname=source["surname"],
                    )
                    name.derive_keys()
                    names.append(name)
                if registrant.date_of_birth:
                    d = registrant.date_of_birth
                    dobs.append(
                        RegistrantBirthDate(
                            registrant=registrant, date=d, is_primary=True, year=d.year, month=d.month, day=d.day
                        )
                    )
                for kind, value in data["_identifiers"].items():
                    country = data["_passport_country"] if kind == IdentifierKind.PASSPORT else ""
                    idents.append(
                        Identifier(
                            registrant=registrant,
                            kind=kind,
                            value=value,
                            norm_value=normalise_identifier(value),
                            issuing_country=country,
                        )
                    )
                if data["_address"]:
                    addresses.append(
                        Address(registrant=registrant, kind=AddressKind.RESIDENCE, current=True, **data["_address"])
                    )
            for model, objs in (
                (RegistrantName, names),
                (RegistrantBirthDate, dobs),
                (Identifier, idents),
                (Address, addresses),
            ):
                if objs:
                    bulk_insert_with_history(objs, model, actor=actor)
            # New records: their blocking keys come from the names and dates just built, written
            # in one COPY (the services' refresh_match_keys reads them back instead).
            names_of: dict[int, list[tuple[str, str]]] = {}
            for name in names:
                names_of.setdefault(name.registrant_id, []).append((name.norm_given, name.norm_surname))
            dates_of: dict[int, list] = {}
            for dob in dobs:
                dates_of.setdefault(dob.registrant_id, []).append(dob.date)
            keys = []
            for registrant in created:
                wanted = registrant_match_keys(names_of.get(registrant.pk, []), dates_of.get(registrant.pk, []))
                keys.extend((registrant.pk, key) for key in sorted(wanted))
            bulk_insert_plain(MatchKey, keys, ("registrant_id", "key"))
    except Exception:
        _one_by_one([(line, data) for line, data, _ in ready], agency=agency, actor=actor, result=result)
        return
    result.created += len(ready)


def _import_chunk(chunk: list[tuple[int, dict]], *, agency: Agency, actor: Any, result: ImportResult) -> None:
    ids = [data["external_id"] for _, data in chunk]
    existing = set(
        Registrant.objects.filter(registering_agency=agency, external_id__in=ids).values_list("external_id", flat=True)
    )
    seen: set[str] = set()
    new, known = [], []
    for line, data in chunk:
        # A second row for the same person in one file goes the careful way, after the first.
        if data["external_id"] in existing or data["external_id"] in seen:
            known.append((line, data))
        else:
            new.append((line, data))
            seen.add(data["external_id"])
    _bulk_create_new(new, agency=agency, actor=actor, result=result)
    _one_by_one(known, agency=agency, actor=actor, result=result, prefetch=True)


def import_registrants(
    stream: IO[bytes], filename: str, *, agency: Agency, actor: Any = None, dry_run: bool = False
) -> ImportResult:
    """Import a file in chunks of CHUNK rows (bounded memory). With ``dry_run`` everything is
    validated and counted, then rolled back (the upload screen's preview)."""
    result = ImportResult()
    rows = read_rows(stream, filename)
    first = True
    chunk: list[tuple[int, dict]] = []
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            if first:
                header = [h for h in row if h]
                result.unknown_columns = [h for h in header if h not in COLUMNS]
                result.missing_columns = [c for c in REQUIRED if c not in header]
                first = False
            data, errors = parse_row(row, line)
            if errors:
                result.rejected += 1
                result.errors.extend(errors)
                continue
            chunk.append((line, data))
            if len(chunk) >= CHUNK:
                _import_chunk(chunk, agency=agency, actor=actor, result=result)
                chunk = []
        if chunk:
            _import_chunk(chunk, agency=agency, actor=actor, result=result)
        if dry_run:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda e: e.row)
    return result
