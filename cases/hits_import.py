"""Batch ingest of hits from a passenger manifest or a CLASS extract (CSV or XLSX), for
``manage.py import_hits`` and the upload screen.

Each row is validated and stored in its own savepoint: a bad row is reported with its row number
and field, the good rows are kept. A row whose (source, record id) is already stored is counted
as existing and changes nothing, so importing the same file twice is harmless. New hits are
matched in batches of ``CHUNK`` through ``match_subjects``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from registrants.choices import Sex
from registrants.importer import RowError, parse_date, read_rows
from rsoits.audit import acting_as
from rsoits.choices import DodComponent
from rsoits.models import Agency, Installation

from .choices_hits import DodAffiliation, DodPopulation, HitEventType, HitSource, HitStatus
from .models import Hit
from .services.hits import hit_record, hits_match

__all__ = ["COLUMNS", "HitImportResult", "import_hits"]

COLUMNS = [
    "record_id", "event_type", "source", "occurred_at", "location", "given_name", "middle_name", "surname",
    "date_of_birth", "sex", "nationality", "passport_number", "passport_country", "visa_number", "flight",
    # IMESA continuous vetting results (DTM 15-003 att. 3, 1.c); optional for other feeds
    "dod_component", "dod_affiliation", "dod_population", "national_guard", "foreign_record",
]  # fmt: skip
DOD_CHOICES = {"dod_component": DodComponent, "dod_affiliation": DodAffiliation, "dod_population": DodPopulation}
YES = {"1", "true", "yes", "y"}
NO = {"", "0", "false", "no", "n"}
REQUIRED = ["record_id", "event_type", "source", "occurred_at", "surname"]
CHUNK = 500
# The column a model field's error is reported against.
COLUMN_OF = {"source_id": "record_id", "port_code": "location", "consular_post": "location", "installation": "location"}
CONSULAR_EVENTS = {HitEventType.PASSPORT_APPLICATION, HitEventType.VISA_APPLICATION, HitEventType.LPR_APPLICATION}


@dataclass
class HitImportResult:
    created: int = 0
    existing: int = 0
    rejected: int = 0
    matched: int = 0
    review: int = 0
    no_match: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {self.created} (matched {self.matched}, review {self.review}, no match {self.no_match}), "
            f"already stored {self.existing}, rejected {self.rejected}"
        )


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name, "")
    return "" if value is None else str(value).strip()


def parse_occurred_at(value: Any) -> datetime:
    """ISO date-time with or without an offset (UTC when none is given), or a date alone."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    text = str(value).strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)  # raises ValueError naming the value
        if day is None:
            raise ValueError("a date and time is required")
        moment = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - made aware below
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def parse_row(row: dict[str, Any], line: int, installations: dict[str, Installation]) -> tuple[dict, list[RowError]]:
    errors: list[RowError] = []
    for name in REQUIRED:
        if not _text(row, name):
            errors.append(RowError(line, name, "This field is required."))
    data: dict[str, Any] = {
        "source_id": _text(row, "record_id"),
        "given_name": _text(row, "given_name"),
        "middle_name": _text(row, "middle_name"),
        "surname": _text(row, "surname"),
        "nationality": _text(row, "nationality").upper(),
        "passport_number": _text(row, "passport_number"),
        "passport_country": _text(row, "passport_country").upper(),
        "visa_number": _text(row, "visa_number"),
        "flight": _text(row, "flight"),
    }
    event_type = _text(row, "event_type").lower()
    if event_type and event_type not in HitEventType.values:
        errors.append(RowError(line, "event_type", f"'{event_type}' is not one of {', '.join(HitEventType.values)}."))
    data["event_type"] = event_type
    source = _text(row, "source").lower()
    if source and source not in HitSource.values:
        errors.append(RowError(line, "source", f"'{source}' is not one of {', '.join(HitSource.values)}."))
    data["source"] = source
    if _text(row, "occurred_at"):
        try:
            data["occurred_at"] = parse_occurred_at(row.get("occurred_at"))
        except ValueError as exc:
            errors.append(RowError(line, "occurred_at", f"{exc}; use YYYY-MM-DDTHH:MM[:SS][+HH:MM]."))
    try:
        data["date_of_birth"] = parse_date(row.get("date_of_birth"))
    except ValueError as exc:
        errors.append(RowError(line, "date_of_birth", str(exc)))
    sex = _text(row, "sex").upper()[:1] or Sex.UNKNOWN
    if sex not in Sex.values:
        errors.append(RowError(line, "sex", f"'{_text(row, 'sex')}' is not one of {', '.join(Sex.values)}."))
    data["sex"] = sex
    for name, choices in DOD_CHOICES.items():
        value = _text(row, name).lower()
        if value and value not in choices.values:
            errors.append(RowError(line, name, f"'{value}' is not one of {', '.join(choices.values)}."))
        data[name] = value
    for name in ("national_guard", "foreign_record"):
        value = _text(row, name).lower()
        if value not in YES | NO:
            errors.append(RowError(line, name, f"'{value}' is not yes or no."))
        data[name] = value in YES
    location = _text(row, "location")
    if location:
        if event_type == HitEventType.IMESA_MATCH:
            installation = installations.get(location.upper())
            if installation is None:
                errors.append(RowError(line, "location", f"'{location}' is not a known installation code."))
            data["installation"] = installation
        elif event_type in CONSULAR_EVENTS:
            data["consular_post"] = location
        else:
            data["port_code"] = location.upper()
    return data, errors


def _reject(result: HitImportResult, line: int, exc: ValidationError) -> None:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
    result.rejected += 1
    result.errors.extend(RowError(line, COLUMN_OF.get(f, f), " ".join(m)) for f, m in details.items())


def _match(hits: list[Hit], *, actor: Any, result: HitImportResult) -> None:
    hits_match(actor=actor, hits=hits)
    for hit in hits:
        if hit.status == HitStatus.CONFIRMED:
            result.matched += 1
        elif hit.status == HitStatus.AWAITING_REVIEW:
            result.review += 1
        else:
            result.no_match += 1


def import_hits(
    stream: IO[bytes], filename: str, *, agency: Agency, actor: Any = None, dry_run: bool = False
) -> HitImportResult:
    """Import a file of hits for ``agency``. With ``dry_run`` everything is validated, stored,
    matched and counted, then rolled back (the upload screen's preview)."""
    result = HitImportResult()
    installations = {i.code.upper(): i for i in Installation.objects.all()}
    pending: list[Hit] = []
    first = True
    with acting_as(actor), transaction.atomic():
        for line, row in enumerate(read_rows(stream, filename), start=2):  # line 1 is the header
            if first:
                header = [h for h in row if h]
                result.unknown_columns = [h for h in header if h not in COLUMNS]
                result.missing_columns = [c for c in REQUIRED if c not in header]
                first = False
            data, errors = parse_row(row, line, installations)
            if errors:
                result.rejected += 1
                result.errors.extend(errors)
                continue
            try:
                with transaction.atomic():
                    hit, created = hit_record(actor=actor, agency=agency, **data)
            except ValidationError as exc:
                _reject(result, line, exc)
                continue
            except PermissionDenied as exc:
                result.rejected += 1
                result.errors.append(RowError(line, "row", str(exc)))
                continue
            if created:
                result.created += 1
                pending.append(hit)
            else:
                result.existing += 1
            if len(pending) >= CHUNK:
                _match(pending, actor=actor, result=result)
                pending = []
        if pending:
            _match(pending, actor=actor, result=result)
        if dry_run:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda e: e.row)
    return result
