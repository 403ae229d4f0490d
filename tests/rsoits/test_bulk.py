"""Fast inserts with history: PostgreSQL COPY or simple-history's bulk path, same result."""

import pytest
from django.db import IntegrityError, transaction

from registrants.models import Registrant
from rsoits.bulk import bulk_insert_with_history
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def test_rows_and_created_history_rows_with_the_actor(world):
    objs = [
        Registrant(registering_agency=world.va, external_id=f"B-{n}", given_name="Ann", surname=f"Lee{n}",
                   citizenships=["US", "KR"], travel_prohibited=n == 1)
        for n in range(3)
    ]  # fmt: skip
    saved = bulk_insert_with_history(objs, Registrant, actor=world.va_staff)
    assert all(o.pk for o in saved)
    stored = {r.external_id: r for r in Registrant.objects.filter(external_id__startswith="B-")}
    assert [stored[f"B-{n}"].pk for n in range(3)] == [o.pk for o in saved]
    assert stored["B-1"].citizenships == ["US", "KR"] and stored["B-1"].travel_prohibited
    assert stored["B-0"].created_at is not None
    history = Registrant.history.filter(external_id__startswith="B-")
    assert history.count() == 3
    assert {(h.history_type, h.history_user_id) for h in history} == {("+", world.va_staff.pk)}
    assert {h.id for h in history} == {o.pk for o in saved}
    assert history.get(external_id="B-1").citizenships == ["US", "KR"]


def test_a_constraint_violation_raises_and_writes_nothing(world):
    bulk_insert_with_history([Registrant(registering_agency=world.va, external_id="D-1", surname="X")], Registrant)
    twice = [Registrant(registering_agency=world.va, external_id=e, surname="Y") for e in ("D-2", "D-1")]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert_with_history(twice, Registrant)
    assert not Registrant.objects.filter(external_id="D-2").exists()
    assert Registrant.history.filter(external_id="D-2").count() == 0


@requires_postgres
def test_copy_declares_binary_types_and_falls_back_to_text_for_arrays():
    from django.contrib.postgres.fields import ArrayField
    from django.db import connection, models

    from registrants.models import RegistrantBirthDate
    from rsoits.bulk import _binary_types

    fields = [RegistrantBirthDate._meta.get_field(n) for n in ("registrant", "date", "is_primary", "year")]
    assert _binary_types(connection, fields) == ["bigint", "date", "boolean", "smallint"]
    assert _binary_types(
        connection, [Registrant._meta.get_field("surname"), Registrant._meta.get_field("citizenships")]
    ) == [
        "varchar",
        "jsonb",
    ]
    assert _binary_types(connection, [ArrayField(models.CharField(max_length=2))]) is None


def _record(world, external_id):
    return (world.va.pk, external_id, "Ann", "", "Lee", "", None, "U", "compliant", [])


COLUMNS = ("registering_agency_id", "external_id", "given_name", "middle_name", "surname", "place_of_birth",
           "date_of_birth", "sex", "status", "citizenships")  # fmt: skip


@pytest.mark.parametrize("background", [True, False])
def test_writer_jobs_run_in_order_in_the_callers_transaction_and_a_failed_one_leaves_nothing(world, background):
    """Each job in its own savepoint: the failed one (a duplicate external id) is undone with its
    history rows, the others are kept; outcomes come back in order, tagged; everything is part of
    the caller's transaction (on PostgreSQL the jobs ran on another thread, same connection)."""
    import threading

    from rsoits.bulk import copy_with_history, writer_for

    threads = []

    def write(*external_ids):
        def job(cursor):
            threads.append(threading.current_thread())
            rows = [_record(world, e) for e in external_ids]
            return copy_with_history(Registrant, COLUMNS, rows, actor=world.va_staff, cursor=cursor)

        return job

    with transaction.atomic():
        writer = writer_for(Registrant, background=background)
        try:
            writer.submit(write("W-1", "W-2"), tag="first")
            writer.submit(write("W-3", "W-1"), tag="clash")
            writer.submit(write("W-4"), tag="last")
            done = writer.settle()
        finally:
            writer.close()
        assert [w.tag for w in done] == ["first", "clash", "last"]
        assert isinstance(done[1].error, IntegrityError) and done[1].value is None
        assert done[0].error is None and len(done[0].value) == 2
        assert set(Registrant.objects.values_list("external_id", flat=True)) == {"W-1", "W-2", "W-4"}
        assert set(Registrant.history.values_list("external_id", flat=True)) == {"W-1", "W-2", "W-4"}
        assert writer.settle() == []
        transaction.set_rollback(True)
    assert not Registrant.objects.filter(external_id__startswith="W-").exists()
    on_postgres = transaction.get_connection().vendor == "postgresql"
    assert (threading.current_thread() not in threads) == (background and on_postgres)


@requires_postgres
def test_keys_reserved_for_several_tables_in_one_statement_are_new_and_distinct(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registrants.models import Identifier, RegistrantName
    from rsoits.bulk import reserve_ids

    reserve_ids([(Registrant, 1), (RegistrantName, 1), (Identifier, 1)])  # the sequences' names, once per process
    with CaptureQueriesContext(connection) as queries:
        registrants, names, identifiers = reserve_ids([(Registrant, 3), (RegistrantName, 5), (Identifier, 0)])
    assert len(queries) == 1
    assert (len(registrants), len(names), identifiers) == (3, 5, [])
    assert len(set(registrants)) == 3 and len(set(names)) == 5
    bulk_insert_with_history([Registrant(registering_agency=world.va, external_id="K-1", surname="X")], Registrant)
    assert Registrant.objects.get(external_id="K-1").pk > max(registrants)
