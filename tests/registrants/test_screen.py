"""manage.py screen: matching a CSV feed against the registry without storing anything."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registrants.matching import snapshot as snapshot_module
from registrants.models import MatchKey, Registrant
from registrants.services import registrant_create
from tests.conftest import requires_postgres
from tests.registrants.test_matching import registry  # noqa: F401 - the fixture

HEADER = (
    "record_id,event_type,source,occurred_at,location,given_name,middle_name,surname,date_of_birth,sex,nationality,"
    "passport_number,passport_country,visa_number,flight"
)
ROWS = [
    "R1,departure,TECS,2026-11-20T10:00:00Z,IAD,Bill,,Johnson,1975-03-14,M,USA,,,,UA123",
    "R2,arrival,TECS,2026-11-20T11:00:00Z,JFK,Nobody,,Atall,2001-01-01,M,US,,,,DL1",
    "R3,passport_application,CLASS,2026-11-19T09:00:00+00:00,,Peggy,,O'Brien,19681105,F,US,,,,",
    "R4,visa_application,CLASS,,,Peter,,Kowalski,,M,US,512345678,US,,",
    "R5,departure,TECS,not-a-time,IAD,Ivan,,Petrov,1999-13-40,Q,XX,,,,",
    ",departure,TECS,,IAD,,,,,,,,,,",
]


def write(tmp_path, rows, header=HEADER):
    path = tmp_path / "feed.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("screen", str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_screen_writes_candidates_and_no_match_rows(registry, tmp_path):  # noqa: F811
    path = write(tmp_path, ROWS[:4])
    code, out, err = run(path)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["record_id", "registrant_external_id", "score", "decision", "explanation"]
    by_record = {}
    for row in rows:
        by_record.setdefault(row["record_id"], []).append(row)
    assert by_record["R1"][0]["registrant_external_id"] == registry["william"].external_id
    assert by_record["R1"][0]["decision"] in ("match", "review")
    assert "given name: nickname BILL~WILLIAM" in by_record["R1"][0]["explanation"]
    assert 0 <= float(by_record["R1"][0]["score"]) <= 1
    assert by_record["R2"] == [
        {"record_id": "R2", "registrant_external_id": "", "score": "", "decision": "no_match", "explanation": ""}
    ]
    assert by_record["R3"][0]["registrant_external_id"] == registry["margaret"].external_id
    # passport equal, names not: review, never an automatic match
    assert by_record["R4"][0]["registrant_external_id"] == registry["william"].external_id
    assert by_record["R4"][0]["decision"] == "review"
    assert "passport: exact" in by_record["R4"][0]["explanation"]
    assert "screened 4 rows" in err and "rejected 0" in err


def test_screen_reports_bad_rows_with_row_and_field_and_keeps_the_good(registry, tmp_path):  # noqa: F811
    future = "R6,departure,TECS,2026-11-20T10:00:00Z,IAD,Bill,,Johnson,2090-03-14,M,US,,,,UA123"
    path = write(tmp_path, [ROWS[0], ROWS[4], ROWS[5], future])
    code, out, err = run(path)
    assert code == 1
    for expected in (
        "row 3: occurred_at:",
        "row 3: date_of_birth:",
        "row 3: sex:",
        "row 3: nationality:",
        "row 4: record_id: This field is required.",
        "row 4: surname: A name or a document number is required.",
        "row 5: date_of_birth: The date of birth cannot be in the future.",
    ):
        assert expected in err
    records = {row["record_id"] for row in csv.DictReader(io.StringIO(out))}
    assert records == {"R1"}
    assert "rejected 3" in err


def test_screen_stores_nothing(registry, tmp_path, django_assert_max_num_queries):  # noqa: F811
    before = (Registrant.objects.count(), MatchKey.objects.count())
    path = write(tmp_path, ROWS[:4] * 30)
    # batches of 50 records: a bounded number of read queries per batch, no writes
    with django_assert_max_num_queries(3 * 8) as ctx:
        code, _, _ = run(path, "--batch", "50")
    assert code == 0
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in ctx.captured_queries)
    assert (Registrant.objects.count(), MatchKey.objects.count()) == before


def test_screen_output_file(registry, tmp_path):  # noqa: F811
    path = write(tmp_path, ROWS[:2])
    target = tmp_path / "out.csv"
    code, out, _ = run(path, "--output", str(target))
    assert code == 0 and out == ""
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {r["record_id"] for r in rows} == {"R1", "R2"}


def test_screen_missing_file_and_columns(db, tmp_path):
    with pytest.raises(CommandError, match="FILE"):
        call_command("screen", str(tmp_path / "nope.csv"))
    path = write(tmp_path, ["x,y"], header="given_name,surname")
    with pytest.raises(CommandError, match="missing column: record_id"):
        call_command("screen", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_screen_workers_option_is_checked(db, tmp_path):
    path = write(tmp_path, ROWS[:1])
    with pytest.raises(CommandError, match="--workers: must be at least 1"):
        call_command("screen", str(path), "--workers", "0", stdout=io.StringIO(), stderr=io.StringIO())


def _scans(queries) -> dict[str, int]:
    """How often each registry table was read row by row, whole (the snapshot's scans; the name
    frequencies are a grouped count)."""
    counts: dict[str, int] = {}
    for query in queries:
        sql = query["sql"]
        if " WHERE " not in sql.upper() and " GROUP BY " not in sql.upper():
            for table in re.findall(r"\bFROM \"?(registrants_\w+)", sql):
                counts[table] = counts.get(table, 0) + 1
    return counts


def test_a_long_file_is_screened_against_a_snapshot_read_once(registry, tmp_path, settings):  # noqa: F811
    path = write(tmp_path, ROWS[:4] * 30)  # 120 records in batches of 50
    settings.MATCH_SCREEN_SNAPSHOT_ROWS = 0  # never
    code, by_index, _ = run(path, "--batch", "50")
    assert code == 0
    settings.MATCH_SCREEN_SNAPSHOT_ROWS = 120
    with CaptureQueriesContext(connection) as ctx:
        code, from_snapshot, err = run(path, "--batch", "50")
    assert code == 0 and "screened 120 rows" in err
    assert from_snapshot == by_index
    assert _scans(ctx.captured_queries) == {
        "registrants_registrant": 1,
        "registrants_registrantname": 1,
        "registrants_registrantbirthdate": 1,
    }
    # then per batch: the keys, and the identifiers of the records carrying a document (by number and by candidate)
    statements = [q for q in ctx.captured_queries if not re.match(r"(SAVEPOINT|RELEASE|SET TRANSACTION)", q["sql"])]
    assert len(statements) <= 3 + 3 * 3
    assert snapshot_module._snapshot is None  # not kept once the run is done

    settings.MATCH_SCREEN_SNAPSHOT_ROWS = 121  # a shorter file: batch by batch through the indexes
    with CaptureQueriesContext(connection) as ctx:
        code, shorter, _ = run(path, "--batch", "50")
    assert shorter == by_index
    assert _scans(ctx.captured_queries) == {}


def test_a_snapshot_of_an_empty_registry_finds_nobody(db, tmp_path, settings):
    settings.MATCH_SCREEN_SNAPSHOT_ROWS = 1
    path = write(tmp_path, ROWS[:4])
    code, out, err = run(path)
    assert code == 0 and "screened 4 rows: match 0, review 0, no_match 4" in err
    assert {row["decision"] for row in csv.DictReader(io.StringIO(out))} == {"no_match"}


def test_each_screen_reads_its_own_snapshot(registry, tmp_path, settings):  # noqa: F811
    settings.MATCH_SCREEN_SNAPSHOT_ROWS = 1
    path = write(tmp_path, ["Z1,departure,TECS,,IAD,Zebulon,,Quixley,1991-09-09,M,US,,,,"])
    _, before, _ = run(path)
    assert next(iter(csv.DictReader(io.StringIO(before))))["decision"] == "no_match"
    registrant_create(
        actor=None,
        registering_agency=registry["william"].registering_agency,
        external_id="TX-LATER",
        given_name="Zebulon",
        surname="Quixley",
        date_of_birth=date(1991, 9, 9),
    )
    _, after, _ = run(path)
    assert next(iter(csv.DictReader(io.StringIO(after))))["registrant_external_id"] == "TX-LATER"


def test_automatic_workers_start_processes_only_for_a_file_matched_against_the_snapshot(monkeypatch):
    from registrants.matching import screening

    monkeypatch.setattr(screening.os, "cpu_count", lambda: 2)
    assert screening.automatic_workers(snapshot=True) == 2
    assert screening.automatic_workers(snapshot=False) == 1
    monkeypatch.setattr(screening.os, "cpu_count", lambda: 64)
    assert screening.automatic_workers(snapshot=True) == screening.MAX_AUTOMATIC_WORKERS
    monkeypatch.setattr(screening.os, "cpu_count", lambda: None)
    assert screening.automatic_workers(snapshot=True) == 1


@requires_postgres  # the processes read committed data through their own connections
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("snapshot_rows", "workers"),
    [(0, ["--workers", "2"]), (1, ["--workers", "2"]), (1, [])],
    ids=["indexes", "snapshot", "automatic"],
)
def test_screen_in_several_processes_gives_the_same_output_in_input_order(
    registry,  # noqa: F811
    tmp_path,
    settings,
    monkeypatch,
    snapshot_rows,
    workers,
):
    from registrants.matching import screening

    settings.MATCH_SCREEN_SNAPSHOT_ROWS = snapshot_rows
    rows = [row.replace("R1,", f"A{n},", 1) for n, row in enumerate([ROWS[0]] * 7)]
    path = write(tmp_path, [*ROWS, *rows, *ROWS[:4]])
    code, one, err_one = run(path, "--batch", "2")
    assert code == 1  # the two bad rows, reported either way
    settings.MATCH_SCREEN_WORKERS = 0  # automatic: used where no --workers is given
    monkeypatch.setattr(screening.os, "cpu_count", lambda: 2)
    started = []
    monkeypatch.setattr(screening, "ProcessPoolExecutor", _Recording(screening.ProcessPoolExecutor, started))
    code, two, err_two = run(path, "--batch", "2", *workers)
    assert started == [2]  # matched in two processes
    assert code == 1
    assert two == one
    assert err_two == err_one
    records = [row["record_id"] for row in csv.DictReader(io.StringIO(two))]
    assert records[0] == "R1" and records.index("A0") < records.index("A6")
    assert {"R1", "R2", "R3", "R4", "A0", "A6"} <= set(records)


class _Recording:
    """``ProcessPoolExecutor``, noting how many processes each pool was given."""

    def __init__(self, executor, started: list) -> None:
        self.executor, self.started = executor, started

    def __call__(self, *args, **kwargs):
        self.started.append(kwargs["max_workers"])
        return self.executor(*args, **kwargs)
