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
