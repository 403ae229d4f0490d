"""Batch ingest: good rows kept and matched in batches, bad rows reported with row and field,
a second import changes nothing, the command's output and exit code, the dry run."""

import io

import pytest
from django.core.management import call_command

from cases import hits_import
from cases.choices_hits import HitStatus
from cases.hits_import import import_hits
from cases.models import Hit
from registrants import matching

pytestmark = pytest.mark.django_db

HEADER = (
    "record_id,event_type,source,occurred_at,location,given_name,middle_name,surname,date_of_birth,sex,nationality,"
    "passport_number,passport_country,visa_number,flight,seat,dod_component,dod_affiliation,dod_population"
)
GOOD = [
    "APIS-1,port_departure,tecs_apis,2026-11-20T14:05:00Z,iad,Muhammad,,Aly,1979-05-06,M,US,,,,UA 0917,12A,,,",
    "APIS-2,port_arrival,tecs_apis,2026-11-21 08:00,JFK,Margaret,,Smith,,F,US,,,,DL 0401,3C,,,",
    "CLASS-1,visa_application,class,2026-11-19,Embassy Paris,Jean,,Inconnu,1990-01-01,M,FR,,,12345678,,,,,",
    "IMESA-1,imesa_match,imesa,2026-11-18T07:00:00+00:00,FTBELVOIR,Bob,,Fictional,1979-09-09,M,,,,,,,army,civilian,"
    "deers",
]
BAD = [
    "APIS-3,teleport,tecs_apis,2026-11-20T14:05:00Z,IAD,Ivan,,Nobody,1999-13-40,Q,USA,,,,,,,,",
    ",port_arrival,nowhere,tomorrow,IAD,Ivan,,,,,,,,,,,,,",
    "APIS-4,port_arrival,tecs_apis,2026-11-20T14:05:00Z,IAD,Ivan,,Nobody,,,,X1234567,,,,,,,",
    "IMESA-2,imesa_match,imesa,2026-11-18T07:00:00Z,NOWHERE,Bob,,Fictional,,,,,,,,,,,",
]


def csv_bytes(*lines):
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def run(world, data, **kw):
    return import_hits(io.BytesIO(data), "manifest.csv", agency=kw.pop("agency", world.nsotc), **kw)


def test_good_rows_kept_and_matched_bad_rows_reported(world, hit_people):
    result = run(world, csv_bytes(GOOD[0], BAD[0], GOOD[1], BAD[1], GOOD[2], BAD[2], GOOD[3], BAD[3]))
    assert (result.created, result.existing, result.rejected) == (4, 0, 4)
    assert result.unknown_columns == ["seat"]
    by_row = {}
    for e in result.errors:
        by_row.setdefault(e.row, set()).add(e.field)
    assert {"event_type", "date_of_birth", "sex"} <= by_row[3]
    assert {"record_id", "source", "occurred_at", "surname"} <= by_row[5]
    assert by_row[7] == {"passport_country"}
    assert by_row[9] == {"location"}
    assert "'NOWHERE' is not a known installation code." in [e.reason for e in result.errors if e.row == 9]
    hits = {h.source_id: h for h in Hit.objects.all()}
    assert set(hits) == {"APIS-1", "APIS-2", "CLASS-1", "IMESA-1"}
    assert (hits["APIS-1"].port_code, hits["CLASS-1"].consular_post, hits["IMESA-1"].installation) == (
        "IAD", "Embassy Paris", world.installation,
    )  # fmt: skip
    assert hits["APIS-2"].occurred_at.isoformat() == "2026-11-21T08:00:00+00:00"
    # every new hit went through matching
    assert not Hit.objects.filter(status=HitStatus.NEW).exists()
    assert hits["APIS-1"].registrant == hit_people.ali
    assert hits["APIS-2"].status == HitStatus.AWAITING_REVIEW
    assert hits["CLASS-1"].status == HitStatus.NO_MATCH
    assert (result.matched, result.review, result.no_match) == (2, 1, 1)
    assert {h.submitting_agency for h in hits.values()} == {world.nsotc}


def test_import_is_idempotent(world, hit_people):
    data = csv_bytes(*GOOD)
    first = run(world, data)
    assert first.created == 4
    before = {h.pk: (h.status, h.history.count()) for h in Hit.objects.all()}
    second = run(world, data)
    assert (second.created, second.existing, second.rejected) == (0, 4, 0)
    assert {h.pk: (h.status, h.history.count()) for h in Hit.objects.all()} == before


def test_matching_runs_in_batches(world, hit_people, monkeypatch):
    calls = []
    real = matching.match_subjects

    def spy(subjects, **kwargs):
        calls.append(len(subjects))
        return real(subjects, **kwargs)

    monkeypatch.setattr("cases.services.hits.match_subjects", spy)
    monkeypatch.setattr(hits_import, "CHUNK", 3)
    result = run(world, csv_bytes(*GOOD, "APIS-9,port_departure,tecs_apis,2026-11-20T14:05:00Z,IAD,A,,B,,,,,,,,"))
    assert result.created == 5
    assert calls == [3, 2]


def test_dry_run_stores_nothing(world, hit_people):
    result = run(world, csv_bytes(*GOOD), dry_run=True)
    assert result.created == 4
    assert not Hit.objects.exists()


def test_history_names_the_importing_user(world, hit_people):
    run(world, csv_bytes(GOOD[0]), actor=world.analyst)
    hit = Hit.objects.get()
    assert {h.history_user for h in hit.history.all()} == {world.analyst}
    assert hit.submitted_by == world.analyst


def test_command_prints_counts_and_exits_1_on_a_rejected_row(world, hit_people, tmp_path, capsys):
    path = tmp_path / "manifest.csv"
    path.write_bytes(csv_bytes(GOOD[0], BAD[0]))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_hits", str(path), "--user", "analyst")
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "created 1" in out and "rejected 1" in out
    assert "row 3: event_type:" in err
    assert "unknown column ignored: seat" in err
    # the good row was kept; importing the file again creates nothing
    path.write_bytes(csv_bytes(GOOD[0]))
    call_command("import_hits", str(path), "--agency", "NSOTC")
    out, _ = capsys.readouterr()
    assert "created 0" in out and "already stored 1" in out and "rejected 0" in out
    assert Hit.objects.count() == 1


def test_command_refuses_unknown_agency_user_or_file(world, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "m.csv"
    path.write_bytes(csv_bytes(GOOD[2]))
    with pytest.raises(CommandError, match="--agency"):
        call_command("import_hits", str(path), "--agency", "NOPE")
    with pytest.raises(CommandError, match="--user"):
        call_command("import_hits", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="FILE"):
        call_command("import_hits", str(tmp_path / "missing.csv"))


def test_xlsx_manifest_with_spreadsheet_dates(world, hit_people):
    from datetime import date, datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["APIS-X", "port_departure", "tecs_apis", datetime(2026, 11, 20, 14, 5), "IAD", "Muhammad", None,
                  "Aly", date(1979, 5, 6), "M", "US", None, None, None, "UA 0917", None])  # fmt: skip
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    result = import_hits(stream, "manifest.xlsx", agency=world.nsotc)
    assert (result.created, result.rejected) == (1, 0), result.errors
    hit = Hit.objects.get()
    assert hit.occurred_at.isoformat() == "2026-11-20T14:05:00+00:00"
    assert hit.date_of_birth == date(1979, 5, 6)
