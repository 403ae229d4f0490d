"""Bulk import: good, bad, repeated and updated rows, CSV and XLSX, command output and exit code."""

import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from registrants.importer import import_registrants
from registrants.models import Registrant

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,given_name,middle_name,surname,date_of_birth,sex,place_of_birth,citizenship,street,city,state,"
    "postal_code,country,fbi_number,state_id,passport_number,passport_country,status,aliases,shoe_size"
)
GOOD = [
    "VA-1,José,Luis,García López,1980-03-04,M,Madrid,US;ES,1 Main St,Richmond,VA,23219,US,123456AB1,VA111,P1234567,US,"
    "compliant,Pepe Garcia; Joe Lopez,44",
    "VA-2,Mary,,Smith,19750102,F,,US,2 Oak Rd,Norfolk,VA,23501,US,,VA222,,,non_compliant,,40",
]
BAD = "VA-3,Ivan,,,1999-13-40,Q,,USA,,,,,,,,,,,,1"


def csv_bytes(*lines):
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def run(world, data, name="r.csv", **kw):
    return import_registrants(io.BytesIO(data), name, agency=world.va, **kw)


def test_good_rows_import_with_keys_and_bad_rows_are_reported(world):
    result = run(world, csv_bytes(GOOD[0], BAD, GOOD[1]))
    assert (result.created, result.updated, result.unchanged, result.rejected) == (2, 0, 0, 1)
    assert result.unknown_columns == ["shoe_size"]
    fields = {e.field for e in result.errors if e.row == 3}
    assert {"surname", "date_of_birth", "sex", "citizenship"} <= fields
    jose = Registrant.objects.get(external_id="VA-1")
    assert jose.citizenships == ["US", "ES"]
    assert sorted(n.surname for n in jose.names.filter(kind="alias")) == ["Garcia", "Lopez"]
    assert {i.kind for i in jose.identifiers.all()} == {"fbi_ucn", "state_sid", "passport"}
    assert jose.names.get(kind="primary").norm_surname == "GARCIA LOPEZ"
    assert Registrant.objects.get(external_id="VA-2").date_of_birth.isoformat() == "1975-01-02"
    future = GOOD[1].replace("VA-2,", "VA-3,", 1).replace(",19750102,", ",20900102,")
    assert ",20900102," in future
    result = run(world, csv_bytes(future))
    assert result.rejected == 1 and not Registrant.objects.filter(external_id="VA-3").exists()
    assert [(e.field, e.reason) for e in result.errors] == [
        ("date_of_birth", "The date of birth cannot be in the future.")
    ]


def test_reimport_changes_nothing_and_changed_row_updates_with_history(world):
    run(world, csv_bytes(*GOOD))
    history_before = Registrant.history.count()
    again = run(world, csv_bytes(*GOOD))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert Registrant.history.count() == history_before
    moved = GOOD[1].replace("2 Oak Rd,Norfolk", "9 Elm St,Hampton")
    changed = run(world, csv_bytes(GOOD[0], moved), actor=world.va_staff)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    mary = Registrant.objects.get(external_id="VA-2")
    addresses = {(a.street, a.current) for a in mary.addresses.all()}
    assert addresses == {("2 Oak Rd", False), ("9 Elm St", True)}


def test_dry_run_stores_nothing(world):
    result = run(world, csv_bytes(*GOOD), dry_run=True)
    assert result.created == 2
    assert not Registrant.objects.exists()


def test_xlsx(world):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for line in GOOD:
        ws.append(line.split(","))
    buffer = io.BytesIO()
    wb.save(buffer)
    result = run(world, buffer.getvalue(), name="r.xlsx")
    assert (result.created, result.rejected) == (2, 0)


def test_command_prints_counts_and_exits_1_on_rejects(world, tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(*GOOD))
    call_command("import_registrants", str(path), agency="VA")
    assert "created 2, updated 0, unchanged 0, rejected 0" in capsys.readouterr().out
    path.write_bytes(csv_bytes(*GOOD, BAD))
    with pytest.raises(SystemExit) as exc:
        call_command("import_registrants", str(path), agency="VA")
    assert exc.value.code == 1
    captured = capsys.readouterr()
    assert "created 0, updated 0, unchanged 2, rejected 1" in captured.out
    assert "row 4: date_of_birth" in captured.err


def test_batch_path_writes_history_and_keys_and_rejects_duplicates(world):
    from registrants.models import Identifier, RegistrantName

    dup_sid = GOOD[1].replace("VA-2", "VA-3").replace("Mary", "Marie")  # same state SID as VA-2
    repeated = GOOD[0].replace("Madrid", "Sevilla")  # same person twice in one file
    result = run(world, csv_bytes(*GOOD, dup_sid, repeated), actor=world.va_staff)
    assert (result.created, result.updated, result.rejected) == (2, 1, 1)
    assert [(e.row, e.field) for e in result.errors] == [(4, "state_sid")]
    assert Registrant.objects.get(external_id="VA-1").place_of_birth == "Sevilla"
    assert {h.history_user for h in Registrant.history.all()} == {world.va_staff}
    assert RegistrantName.history.filter(history_user=world.va_staff).count() >= 4
    assert Identifier.history.filter(history_user=world.va_staff).count() == 4
    primary = RegistrantName.objects.get(registrant__external_id="VA-2", kind="primary")
    assert primary.norm_surname == "SMITH"
    assert primary.surname_phonetic


def test_reimport_of_an_unchanged_file_costs_a_few_queries_per_chunk(world, django_assert_max_num_queries):
    lines = [
        f"VA-{n},Ann,,Lee{n},1980-01-02,F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1" for n in range(40)
    ]
    run(world, csv_bytes(*lines), actor=world.va_staff)
    with django_assert_max_num_queries(8):
        result = run(world, csv_bytes(*lines), actor=world.va_staff)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 40, 0)


def _careful_errors(world, line):
    """The errors the services give for a row (the careful path), for comparison."""
    from registrants.importer import ImportResult, _one_by_one, parse_row, prepare_keys, read_rows

    row = next(read_rows(io.BytesIO(csv_bytes(line)), "r.csv"))
    data, errors = parse_row(row, 2)
    assert not errors
    prepare_keys(data)
    result = ImportResult()
    _one_by_one([(2, data)], agency=world.va, actor=None, result=result)
    return result.errors


LONG = "x" * 101
BAD_FOR_THE_MODEL = [
    GOOD[1].replace("Mary", LONG),  # record: given name too long
    GOOD[1].replace("Mary,,Smith", f"Mary,{LONG},{LONG}"),  # record: two fields at once
    GOOD[1].replace("US,2 Oak Rd", f"US,{LONG * 2}"),  # address street, only the first wrong nested row
    GOOD[1].replace("non_compliant,", f"non_compliant,Ann {LONG}"),  # alias surname
    GOOD[1].replace("VA222", "V" * 65),  # identifier value
    GOOD[1].replace("VA222", "--"),  # identifier with no letter or digit
    GOOD[0].replace("P1234567,US", "P1234567,USA"),  # passport country code
    GOOD[1].replace("23501,US", "23501,USA"),  # address country code
    GOOD[1].replace("23501", "2" * 21).replace("Mary", LONG),  # record and address: the record is reported
]


@pytest.mark.parametrize("line", BAD_FOR_THE_MODEL)
def test_new_row_validation_gives_the_services_field_errors(world, line):
    expected = _careful_errors(world, line)
    assert expected, "the services reject the row"
    result = run(world, csv_bytes(line))
    assert (result.created, result.rejected) == (0, 1)
    assert [(e.row, e.field, e.reason) for e in result.errors] == [(e.row, e.field, e.reason) for e in expected]
    assert not Registrant.objects.exists()


def test_bad_nested_value_rejects_only_its_row(world):
    result = run(world, csv_bytes(GOOD[0], GOOD[1].replace("23501,US", "23501,USA")))
    assert (result.created, result.rejected) == (1, 1)
    assert [(e.row, e.field) for e in result.errors] == [(3, "addresses[0].country")]


def test_imported_keys_are_those_the_services_keep(world):
    from registrants.matching.index import refresh_match_keys
    from registrants.models import MatchKey, RegistrantName

    run(world, csv_bytes(*GOOD))
    ids = list(Registrant.objects.values_list("id", flat=True))
    before = set(MatchKey.objects.values_list("registrant_id", "key"))
    assert before
    refresh_match_keys(ids)
    assert set(MatchKey.objects.values_list("registrant_id", "key")) == before
    for name in RegistrantName.objects.filter(registrant_id__in=ids):
        stored = [getattr(name, f) for f in ("norm_given", "norm_middle", "norm_surname", "given_phonetic",
                                             "surname_phonetic", "surname_nysiis")]  # fmt: skip
        name.derive_keys()
        assert stored == [getattr(name, f) for f in ("norm_given", "norm_middle", "norm_surname", "given_phonetic",
                                                     "surname_phonetic", "surname_nysiis")]  # fmt: skip
    birth = Registrant.objects.get(external_id="VA-2").birth_dates.get()
    assert (birth.is_primary, birth.year, birth.month, birth.day) == (True, 1975, 1, 2)


def test_changed_identifier_and_alias_update_with_history(world):
    run(world, csv_bytes(*GOOD))
    changed = GOOD[0].replace("VA111", "VA999").replace("Pepe Garcia; Joe Lopez", "Pepe Garcia")
    result = run(world, csv_bytes(changed, GOOD[1]), actor=world.va_staff)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    jose = Registrant.objects.get(external_id="VA-1")
    assert jose.identifiers.get(kind="state_sid").value == "VA999"
    assert [n.surname for n in jose.names.filter(kind="alias")] == ["Garcia"]
    from registrants.models import Identifier

    assert Identifier.history.filter(history_type="~", history_user=world.va_staff, value="VA999").count() == 1
    again = run(world, csv_bytes(changed, GOOD[1]))
    assert (again.updated, again.unchanged) == (0, 2)


@pytest.mark.parametrize(
    "text", ["1980-03-04", "19800304", "1980-3-4", "1980-13-01", "19801301", "1999-02-29", "0000-01-01", "1980/01/01",
             " 19800101 ", "1980- 1-01", "١٩٨٠-01-01", "x"],
)  # fmt: skip
def test_parse_date_matches_strptime(text):
    from datetime import datetime

    from registrants.importer import parse_date

    expected = None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            expected = datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007
            break
        except ValueError:
            continue
    if expected is None:
        with pytest.raises(ValueError, match="is not a date"):
            parse_date(text)
    else:
        assert parse_date(text) == expected


def test_unreadable_file_raises_and_stores_nothing(world):
    with pytest.raises(UnicodeDecodeError):
        run(world, csv_bytes(*GOOD) + b"VA-9,\xff\xfe,,X\n")
    assert not Registrant.objects.exists()


def test_rows_in_several_chunks(world, monkeypatch):
    from registrants import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    lines = [
        f"VA-{n},Ann,,Lee{n},1980-01-02,F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1" for n in range(5)
    ]
    result = run(world, csv_bytes(*lines, lines[0].replace("Richmond", "Norfolk"), BAD), actor=world.va_staff)
    assert (result.created, result.updated, result.rejected) == (5, 1, 1)
    assert Registrant.objects.count() == 5


@pytest.mark.parametrize("limit", [3, 200_000])
def test_keys_of_new_records_written_later_are_those_the_services_keep(world, monkeypatch, limit):
    """Blocking keys of new records wait to be written in one pass (at ``limit`` of them, or at
    the end); a record created earlier in the file and changed by a later row gets its keys
    written first, so the services find and replace them."""
    from registrants import importer
    from registrants.matching.index import wanted_match_keys
    from registrants.models import MatchKey

    monkeypatch.setattr(importer, "CHUNK", 2)
    monkeypatch.setattr(importer.PendingMatchKeys, "LIMIT", limit)
    lines = [
        f"VA-{n},Ann,,Lee{n},1980-01-0{n + 1},F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1"
        for n in range(5)
    ]
    renamed = lines[0].replace("Lee0", "Morgan")  # a new surname: new keys for VA-0
    result = run(world, csv_bytes(*lines, renamed), actor=world.va_staff)
    assert (result.created, result.updated, result.rejected) == (5, 1, 0)
    ids = list(Registrant.objects.values_list("id", flat=True))
    stored = {(rid, key) for rid, key in MatchKey.objects.values_list("registrant_id", "key")}
    assert stored == {(rid, key) for rid, keys in wanted_match_keys(ids).items() for key in keys}
    va0 = Registrant.objects.get(external_id="VA-0")
    assert any("MRKN" in key for rid, key in stored if rid == va0.pk)
    assert not any("|L|" in key for rid, key in stored if rid == va0.pk)


def test_identifier_recorded_for_another_registrant_rejects_only_its_row(world, monkeypatch):
    """A clean file is written without looking its identifiers up first; the first clash with a
    number recorded already makes the import look them up, for that chunk and every later one:
    the row is rejected with its number and field, the good rows around it are kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registrants import importer
    from registrants.models import Identifier

    monkeypatch.setattr(importer, "CHUNK", 3)
    first = [
        f"VA-{n},Ann,,Lee{n},1980-01-02,F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1" for n in range(3)
    ]
    with CaptureQueriesContext(connection) as clean:
        result = run(world, csv_bytes(*first), actor=world.va_staff)
    assert (result.created, result.rejected) == (3, 0)
    assert not [q for q in clean.captured_queries if 'FROM "registrants_identifier"' in q["sql"]]

    second = [
        "VA-10,Bob,,Ray,1970-05-06,M,,US,,,,,,,VA8010,,,,,1",
        "VA-11,Cy,,Poe,1971-05-06,M,,US,,,,,,,VA9001,,,,,1",  # VA-1's state SID
        "VA-12,Di,,Orr,1972-05-06,F,,US,,,,,,,VA8012,,,,,1",
        "VA-13,Ed,,Nye,1973-05-06,M,,US,,,,,,,VA9002,,,,,1",  # VA-2's, in the next chunk
        "VA-14,Flo,,Mat,1974-05-06,F,,US,,,,,,,VA8014,,,,,1",
    ]
    result = run(world, csv_bytes(*second), actor=world.va_staff)
    assert (result.created, result.updated, result.rejected) == (3, 0, 2)
    assert [(e.row, e.field) for e in result.errors] == [(3, "state_sid"), (5, "state_sid")]
    assert "already recorded for another registrant" in result.errors[0].reason
    assert set(
        Registrant.objects.filter(external_id__in=["VA-10", "VA-12", "VA-14"]).values_list("external_id", flat=True)
    ) == {
        "VA-10",
        "VA-12",
        "VA-14",
    }
    assert not Registrant.objects.filter(external_id__in=["VA-11", "VA-13"]).exists()
    assert Identifier.objects.get(norm_value="VA9001").registrant.external_id == "VA-1"
    assert Registrant.history.filter(external_id__in=["VA-11", "VA-13"]).count() == 0


def test_a_row_repeated_in_the_next_chunk_updates_the_record_just_created(world, monkeypatch):
    """The next chunk is planned while this one may still be being written: a second row for a
    person of this chunk is applied after it, as an update with its own history row."""
    from registrants import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    lines = [
        f"VA-{n},Ann,,Lee{n},1980-01-02,F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1" for n in range(4)
    ]
    moved = lines[1].replace("Richmond", "Norfolk")
    result = run(world, csv_bytes(lines[0], lines[1], moved, lines[2], lines[3]), actor=world.va_staff)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (4, 1, 0, 0)
    record = Registrant.objects.get(external_id="VA-1")
    assert record.addresses.get(current=True).city == "Norfolk"
    assert record.addresses.get(current=False).city == "Richmond"
    assert Registrant.objects.count() == 4


def test_an_error_while_chunks_are_being_written_stores_nothing(world, monkeypatch):
    from registrants import importer

    monkeypatch.setattr(importer, "CHUNK", 50)
    lines = [  # some 30 kB: the bad bytes are decoded after several chunks were handed to the writer
        f"VA-{n},Ann,,Lee{n},1980-01-02,F,,US,{n} Main St,Richmond,VA,23219,US,,VA9{n:03d},,,,,1" for n in range(400)
    ]
    written = []
    monkeypatch.setattr(importer._Chunks, "submit", _spy(importer._Chunks.submit, written))
    with pytest.raises(UnicodeDecodeError):
        run(world, csv_bytes(*lines) + b"VA-9,\xff\xfe,,X\n")
    assert len([args for args in written if args[1] is not None]) >= 2  # chunks handed to the writer
    assert not Registrant.objects.exists()
    assert Registrant.history.count() == 0


def _spy(function, calls):
    def spy(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return spy
