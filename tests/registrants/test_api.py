"""Registrant API: scoping, nested writes with history, field errors, access log, query counts."""

from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from registrants.models import Registrant
from registrants.services import registrant_create, registrant_update
from rsoits.models import AccessLog
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def seed(world, n, agency=None, prefix="R"):
    agency = agency or world.va
    return [
        registrant_create(
            actor=None,
            registering_agency=agency,
            external_id=f"{prefix}-{i}",
            given_name="Ana",
            surname=f"Perez{i}",
            date_of_birth=date(1980, 1, 1 + i % 27),
            aliases=[{"given_name": "Anita", "surname": f"Lopez{i}"}],
            identifiers=[{"kind": "state_sid", "value": f"{prefix}SID{i}"}],
            addresses=[{"kind": "residence", "city": "Richmond", "state": "VA"}],
            warrants=[{"issuing_agency_name": "Richmond PD", "number": f"W{i}", "active": i % 2 == 0}],
        )
        for i in range(n)
    ]


PAYLOAD = {
    "registering_agency": "VA",
    "external_id": "VA-100",
    "given_name": "Mohammed",
    "surname": "Ali",
    "date_of_birth": "1979-05-06",
    "sex": "M",
    "citizenships": ["US"],
    "aliases": [{"given_name": "Muhammad", "surname": "Aly"}],
    "alias_birth_dates": ["1979-06-05"],
    "identifiers": [{"kind": "passport", "value": "P1234567", "issuing_country": "US"}],
    "addresses": [{"kind": "residence", "street": "1 Main St", "city": "Richmond", "state": "VA", "country": "US"}],
    "warrants": [{"issuing_agency": "MD", "number": "W-9", "active": True}],
}


def test_anonymous_is_refused(world):
    assert client_for().get("/api/v1/registrants/").status_code in (401, 403)
    assert client_for().post("/api/v1/registrants/", PAYLOAD, format="json").status_code in (401, 403)


def test_create_with_nested_rows_and_history(world):
    response = client_for(world.va_staff).post("/api/v1/registrants/", PAYLOAD, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["is_fugitive"] is True
    assert body["aliases"][0]["surname"] == "Aly"
    assert body["alias_birth_dates"] == ["1979-06-05"]
    registrant = Registrant.objects.get(pk=body["id"])
    assert {h.history_user for h in registrant.history.all()} == {world.va_staff}


def test_other_sora_cannot_read_or_change(world):
    r = seed(world, 1)[0]
    other = client_for(world.md_staff)
    assert other.get(f"/api/v1/registrants/{r.pk}/").status_code == 404
    assert other.patch(f"/api/v1/registrants/{r.pk}/", {"surname": "X"}, format="json").status_code == 404
    assert other.post("/api/v1/registrants/", PAYLOAD, format="json").status_code == 403
    assert other.get("/api/v1/registrants/").json()["results"] == []
    assert AccessLog.objects.filter(user=world.md_staff, outcome="denied", object_id=str(r.pk)).exists()
    # NSOTC reads but does not change
    nsotc = client_for(world.analyst)
    assert nsotc.get(f"/api/v1/registrants/{r.pk}/").status_code == 200
    assert nsotc.patch(f"/api/v1/registrants/{r.pk}/", {"surname": "X"}, format="json").status_code == 403


def test_update_and_field_errors(world):
    r = seed(world, 1)[0]
    before = r.history.count()
    api = client_for(world.va_staff)
    response = api.patch(f"/api/v1/registrants/{r.pk}/", {"surname": "Perez-Lopez"}, format="json")
    assert response.status_code == 200, response.data
    assert r.history.count() == before + 1
    assert r.history.first().history_user == world.va_staff
    bad = dict(PAYLOAD, external_id="VA-101", date_of_birth="not-a-date", sex="Q")
    response = api.post("/api/v1/registrants/", bad, format="json")
    assert response.status_code == 400
    assert {"date_of_birth", "sex"} <= set(response.json())
    bad = dict(PAYLOAD, external_id="VA-102", identifiers=[{"kind": "passport", "value": "P9"}])
    response = api.post("/api/v1/registrants/", bad, format="json")
    assert response.status_code == 400
    assert "identifiers[0].issuing_country" in response.json()
    # a date of birth in the future, primary or an alias's, is named with its field
    bad = dict(PAYLOAD, external_id="VA-103", date_of_birth="2090-01-01", sex="Q")
    response = api.post("/api/v1/registrants/", bad, format="json")
    assert response.status_code == 400
    assert response.json()["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert "sex" in response.json()
    bad = dict(PAYLOAD, external_id="VA-104", alias_birth_dates=["1970-01-01", "2090-01-01"])
    response = api.post("/api/v1/registrants/", bad, format="json")
    assert response.status_code == 400
    assert response.json() == {"alias_birth_dates[1].date": ["The date of birth cannot be in the future."]}
    assert not Registrant.objects.filter(external_id__in=["VA-101", "VA-102", "VA-103", "VA-104"]).exists()


def test_filters_search_and_access_log(world):
    seed(world, 4)
    api = client_for(world.va_staff)
    assert len(api.get("/api/v1/registrants/?is_fugitive=true").json()["results"]) == 2
    found = api.get("/api/v1/registrants/?q=lopez2").json()["results"]
    assert [row["external_id"] for row in found] == ["R-2"]
    assert [row["external_id"] for row in api.get("/api/v1/registrants/?q=RSID3").json()["results"]] == ["R-3"]
    assert AccessLog.objects.filter(user=world.va_staff, action="search", object_type="registrants.registrant").exists()
    api.get("/api/v1/registrants/")
    assert AccessLog.objects.filter(user=world.va_staff, action="list", count=4).exists()


def test_list_query_count_is_constant(world, django_assert_max_num_queries):
    seed(world, 3)
    api = client_for(world.analyst)
    with django_assert_max_num_queries(12) as small:
        api.get("/api/v1/registrants/?page_size=50")
    seed(world, 25, prefix="S")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get("/api/v1/registrants/?page_size=50")
    assert len(response.json()["results"]) == 28


def test_list_rows_have_the_detail_shape(world):
    """On PostgreSQL the list inlines nested rows as JSON; it must say exactly what the detail says."""
    people = seed(world, 3)
    for r in people:
        registrant_update(actor=None, registrant=r, alias_birth_dates=[date(1981, 2, 3)])
    registrant_update(actor=None, registrant=people[0], installation=world.installation, dod_component="army")
    api = client_for(world.va_staff)
    listed = {row["id"]: row for row in api.get("/api/v1/registrants/").json()["results"]}
    assert len(listed) == 3
    assert listed[people[0].pk]["installation"] == "FTBELVOIR"
    assert {row["registering_agency"] for row in listed.values()} == {"VA"}
    for pk, row in listed.items():
        assert row == api.get(f"/api/v1/registrants/{pk}/").json()


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
@requires_postgres
@pytest.mark.parametrize("page_size", [5, 50])
def test_list_api_is_three_statements_on_postgres(client, world, settings, page_size):
    """With the session and memberships read from the cache (Redis in production): the user, the
    page (nested rows inlined), the access-log row; a read runs outside a transaction, so there
    is no BEGIN/COMMIT either."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.PRINCIPAL_CACHE_SECONDS = 60
    seed(world, 30)
    client.force_login(world.analyst)
    client.get("/api/v1/registrants/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/registrants/?page_size={page_size}")
    assert len(response.json()["results"]) == min(30, page_size)
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 3, statements
    assert statements[-1].startswith('INSERT INTO "rsoits_accesslog"'), statements


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 24, 8, 12, 33, 893412, tzinfo=UTC),
        datetime(2026, 11, 24, 8, 12, 33, tzinfo=UTC),  # no fraction of a second
        datetime(2026, 3, 8, 6, 30, 0, 500000, tzinfo=UTC),  # the day clocks change in New York
        datetime(2026, 11, 24, 8, 12, 33, 1),  # naive
    ],
)
def test_list_datetimes_are_represented_as_drf_represents_them(value, zone):
    """The list API formats its datetimes with the time zone read once per page; the text must be
    DRF's, to the character."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from rest_framework import serializers

    from registrants.api.serializers import iso_datetime_in

    with timezone.override(ZoneInfo(zone)):
        expected = serializers.DateTimeField().to_representation(value)
        assert iso_datetime_in(timezone.get_current_timezone())(value) == expected
