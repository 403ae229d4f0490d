"""Screening a file of reported identities (a passenger manifest, a CLASS extract) against the
registry without storing anything: ``manage.py screen``. Agencies use it to test a feed before
connecting it. The rows are read as a stream and matched in batches (bounded memory)."""

from __future__ import annotations

import csv
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError

from rsoits.processes import database_names, start_django_process

from ..choices import IdentifierKind, Sex
from ..importer import parse_date
from ..models import validate_past_date
from . import Decision, Document, MatchResult, Subject, match_subjects
from .snapshot import forget_snapshot

COLUMNS = [
    "record_id", "event_type", "source", "occurred_at", "location", "given_name", "middle_name", "surname",
    "date_of_birth", "sex", "nationality", "passport_number", "passport_country", "visa_number", "flight",
]  # fmt: skip
OUTPUT_COLUMNS = ["record_id", "registrant_external_id", "score", "decision", "explanation"]


@dataclass
class RowError:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


@dataclass
class ScreenResult:
    rows: int = 0
    rejected: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: {d.value: 0 for d in Decision})
    errors: list[RowError] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.decisions.items())
        return f"screened {self.rows} rows: {counts}; rejected {self.rejected}"


def _country(value: str, line: int, name: str, errors: list[RowError]) -> str:
    code = value.strip().upper()
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None and len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    if country is None:
        errors.append(RowError(line, name, f"'{value}' is not an ISO 3166 country code."))
        return ""
    return country.alpha_2


def parse_row(row: dict[str, Any], line: int) -> tuple[Subject | None, list[RowError]]:
    """A reported identity from one CSV row, or the errors naming each bad field."""
    text = {k: ("" if v is None else str(v).strip()) for k, v in row.items() if k}
    errors: list[RowError] = []
    if not text.get("record_id"):
        errors.append(RowError(line, "record_id", "This field is required."))
    dob = None
    try:
        dob = parse_date(text.get("date_of_birth"))
        validate_past_date(dob)
    except ValueError as exc:
        errors.append(RowError(line, "date_of_birth", str(exc)))
    except ValidationError as exc:
        errors.append(RowError(line, "date_of_birth", exc.messages[0]))
    if text.get("occurred_at"):
        try:
            datetime.fromisoformat(text["occurred_at"].replace("Z", "+00:00"))
        except ValueError:
            errors.append(RowError(line, "occurred_at", f"'{text['occurred_at']}' is not an ISO 8601 date and time."))
    sex = text.get("sex", "").upper()[:1]
    if sex and sex not in Sex.values:
        errors.append(RowError(line, "sex", f"'{text['sex']}' is not one of {', '.join(Sex.values)}."))
    nationality = _country(text.get("nationality", ""), line, "nationality", errors)
    passport_country = _country(text.get("passport_country", ""), line, "passport_country", errors)
    documents = []
    if text.get("passport_number"):
        documents.append(Document(IdentifierKind.PASSPORT, text["passport_number"], passport_country))
    if text.get("visa_number"):
        documents.append(Document(IdentifierKind.VISA, text["visa_number"]))
    if not (text.get("surname") or text.get("given_name") or documents):
        errors.append(RowError(line, "surname", "A name or a document number is required."))
    if errors:
        return None, errors
    subject = Subject(
        given_name=text.get("given_name", ""),
        middle_name=text.get("middle_name", ""),
        surname=text.get("surname", ""),
        date_of_birth=dob,
        sex=sex if sex in ("M", "F") else "",
        nationality=nationality or passport_country,
        documents=documents,
    )
    return subject, []


def output_rows(record_id: str, result: MatchResult) -> Iterator[list[str]]:
    if not result.candidates:
        yield [record_id, "", "", Decision.NO_MATCH.value, ""]
        return
    for candidate in result.candidates:
        yield [record_id, candidate.external_id, f"{candidate.score:.4f}", candidate.decision, candidate.explanation]


def match_batch(batch: list[tuple[str, Subject]], snapshot: bool = False) -> list[tuple[str, list[list[str]]]]:
    """The decision and output rows of each record of a batch, in order (``snapshot``: against
    the process's copy of the registry's matching data)."""
    matched = match_subjects([subject for _, subject in batch], snapshot=snapshot)
    return [
        (result.decision, list(output_rows(record_id, result)))
        for (record_id, _), result in zip(batch, matched, strict=True)
    ]


def screen(source: IO[str], out: IO[str], *, batch_size: int | None = None, workers: int | None = None) -> ScreenResult:
    """Match every row of ``source`` (CSV with ``COLUMNS``) and write ``OUTPUT_COLUMNS`` rows to
    ``out``: one per candidate, or one ``no_match`` row for a record without any, in the order of
    the input. With ``workers`` above 1, batches are matched in that many processes (each with its
    own database connection; the data must be committed), at most two batches per process in
    flight, so memory stays bounded.

    The first ``MATCH_SCREEN_SNAPSHOT_ROWS`` records are read before matching starts: a file
    that long is matched against a snapshot of the registry's matching data that each process
    reads once (``snapshot.py``), a shorter one batch by batch through the indexes. ``workers``
    0 (the default outside the tests) chooses with ``automatic_workers``."""
    batch_size = batch_size or settings.MATCH_SCREEN_BATCH
    workers = workers or settings.MATCH_SCREEN_WORKERS
    result = ScreenResult()
    reader = csv.DictReader(source)
    header = reader.fieldnames or []
    result.missing_columns = [c for c in ("record_id", "surname", "date_of_birth") if c not in header]
    if result.missing_columns:
        return result
    writer = csv.writer(out)
    writer.writerow(OUTPUT_COLUMNS)

    def write(matched: list[tuple[str, list[list[str]]]]) -> None:
        for decision, rows in matched:
            result.decisions[decision] += 1
            writer.writerows(rows)

    batches = _batches(reader, result, batch_size)
    ahead: list[list[tuple[str, Subject]]] = []
    threshold = settings.MATCH_SCREEN_SNAPSHOT_ROWS
    if threshold > 0:
        for batch in batches:
            ahead.append(batch)
            if sum(len(b) for b in ahead) >= threshold:
                break
    snapshot = threshold > 0 and sum(len(b) for b in ahead) >= threshold
    batches = itertools.chain(ahead, batches)
    if workers <= 0:
        workers = automatic_workers(snapshot)
    if workers <= 1:
        forget_snapshot()  # read afresh for this run, and not kept once it is done
        try:
            for batch in batches:
                write(match_batch(batch, snapshot))
        finally:
            forget_snapshot()
        return result
    pending: deque[Future] = deque()
    # Started afresh ("spawn"), not forked: a fork would inherit this process's open connections
    # (database, broker) and the state of the libraries holding them.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=start_django_process, initargs=(database_names(),)
    ) as pool:
        for batch in batches:
            if len(pending) >= 2 * workers:
                write(pending.popleft().result())
            pending.append(pool.submit(match_batch, batch, snapshot))
        while pending:
            write(pending.popleft().result())
    return result


MAX_AUTOMATIC_WORKERS = 4  # each holds its own registry snapshot (about 550 MB at a million)


def automatic_workers(snapshot: bool) -> int:
    """Processes for ``MATCH_SCREEN_WORKERS = 0``: a file long enough for the registry snapshot
    is matched on every core (at most ``MAX_AUTOMATIC_WORKERS``); a shorter one is not worth
    starting processes for."""
    if not snapshot:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTOMATIC_WORKERS))


def _batches(reader: csv.DictReader, result: ScreenResult, batch_size: int) -> Iterator[list[tuple[str, Subject]]]:
    """Valid rows in batches; rejected rows counted and reported on ``result``."""
    batch: list[tuple[str, Subject]] = []
    for line, row in enumerate(reader, start=2):  # line 1 is the header
        result.rows += 1
        subject, errors = parse_row(row, line)
        if errors:
            result.rejected += 1
            result.errors.extend(errors)
            continue
        batch.append((str(row["record_id"]).strip(), subject))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
