"""Travel notice API: nested legs, field errors (400 naming the field, nothing written), the
actions submit/amend/cancel/return, scoping (404 for other agencies, 401/403 anonymous), access
log and query counts."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from cases.choices import TravelNoticeStatus
from cases.models import Case, ItineraryLeg, TravelNotice
from rsoits.models import AccessLog
from tests.cases.factories_travel import days, file_notice, make_registrant

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def payload(registrant, *, notice_days=30, departure_in=40, **overrides):
    departure = days(departure_in)
    data = {
        "registrant": registrant.pk,
        "date_given": (departure - timedelta(days=notice_days)).isoformat(),
        "departure_date": departure.isoformat(),
        "return_date": (departure + timedelta(days=10)).isoformat(),
        "purpose": "business",
        "passport_number": "P123",
        "passport_country": "US",
        "means_of_travel": "air",
        "submit": True,
        "legs": [
            {
                "country": "JP",
                "city": "Tokyo",
                "arrival_date": (departure + timedelta(days=1)).isoformat(),
                "departure_date": (departure + timedelta(days=6)).isoformat(),
                "carrier": "NH",
                "flight_numbers": "NH9",
            },
            {
                "country": "KR",
                "city": "Seoul",
                "arrival_date": (departure + timedelta(days=6)).isoformat(),
                "departure_date": (departure + timedelta(days=10)).isoformat(),
            },
        ],
    }
    data.update(overrides)
    return data


def test_anonymous_refused(world, people):
    notice = file_notice(world.va_staff, people.va)
    client = api()
    assert client.get("/api/v1/travel-notices/").status_code in (401, 403)
    assert client.get(f"/api/v1/travel-notices/{notice.pk}/").status_code in (401, 403)
    assert client.post("/api/v1/travel-notices/", payload(people.va), format="json").status_code in (401, 403)
    assert client.post(f"/api/v1/travel-notices/{notice.pk}/cancel/", {"reason": "x"}).status_code in (401, 403)
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.SUBMITTED


def test_post_with_nested_legs_submits_and_opens_case(world, people, published):
    response = api(world.va_staff).post("/api/v1/travel-notices/", payload(people.va), format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "submitted" and body["days_of_notice"] == 30 and body["is_late"] is False
    assert [leg["country"] for leg in body["legs"]] == ["JP", "KR"]
    assert body["legs"][0]["order"] == 1 and body["agency"] == "VA" and body["filed_by"] == "va_staff"
    case = Case.objects.get()
    assert body["case"] == case.pk
    assert published.of("travel_notice_submitted")[0]["context"]["countries"] == ["JP", "KR"]


@pytest.mark.parametrize(("notice_days", "late"), [(21, False), (20, True)])
def test_21_day_edges_through_the_api(world, people, notice_days, late):
    data = payload(people.va, notice_days=notice_days)
    response = api(world.va_staff).post("/api/v1/travel-notices/", data, format="json")
    if late:
        assert response.status_code == 400 and "late_reason" in response.data
        data["late_reason"] = "emergency"
        response = api(world.va_staff).post("/api/v1/travel-notices/", data, format="json")
    assert response.status_code == 201
    assert response.data["is_late"] is late and response.data["days_of_notice"] == notice_days


def test_field_errors_and_nothing_written(world, people):
    data = payload(people.va)
    data["legs"][1]["country"] = "ZZ"
    data["legs"][0]["arrival_date"] = days(10).isoformat()
    response = api(world.va_staff).post("/api/v1/travel-notices/", data, format="json")
    assert response.status_code == 400
    assert "legs[1].country" in response.data and "legs[0].arrival_date" in response.data
    assert not TravelNotice.objects.exists() and not ItineraryLeg.objects.exists()
    data = payload(people.va, return_date=days(20).isoformat())
    response = api(world.va_staff).post("/api/v1/travel-notices/", data, format="json")
    assert response.status_code == 400 and "return_date" in response.data


def test_registrant_of_another_jurisdiction_is_not_found(world, people):
    response = api(world.va_staff).post("/api/v1/travel-notices/", payload(people.md), format="json")
    assert response.status_code == 400 and "registrant" in response.data
    assert not TravelNotice.objects.exists()


def test_non_sora_cannot_file(world, people):
    response = api(world.analyst).post("/api/v1/travel-notices/", payload(people.va), format="json")
    assert response.status_code == 400 and "registrant" in response.data  # NSOTC registers nobody


def test_draft_patch_submit(world, people):
    client = api(world.va_staff)
    response = client.post("/api/v1/travel-notices/", payload(people.va, submit=False), format="json")
    pk = response.data["id"]
    assert response.data["status"] == "draft" and response.data["case"] is None
    response = client.patch(f"/api/v1/travel-notices/{pk}/", {"companions": "Colleague"}, format="json")
    assert response.status_code == 200 and response.data["companions"] == "Colleague"
    response = client.post(f"/api/v1/travel-notices/{pk}/submit/")
    assert response.status_code == 200 and response.data["status"] == "submitted" and response.data["case"]
    response = client.patch(f"/api/v1/travel-notices/{pk}/", {"companions": "x"}, format="json")
    assert response.status_code == 400 and "status" in response.data


def test_amend_cancel_via_actions(world, people, published):
    notice = file_notice(world.va_staff, people.va)
    client = api(world.va_staff)
    response = client.post(f"/api/v1/travel-notices/{notice.pk}/amend/", {"companions": "Wife"}, format="json")
    assert response.status_code == 400 and "reason" in response.data
    response = client.post(
        f"/api/v1/travel-notices/{notice.pk}/amend/", {"companions": "Wife", "reason": "Wife joins"}, format="json"
    )
    assert response.status_code == 200 and response.data["status"] == "amended"
    assert response.data["amendment_reason"] == "Wife joins"
    assert notice.history.latest("history_id").history_user == world.va_staff
    response = client.post(f"/api/v1/travel-notices/{notice.pk}/cancel/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.data
    response = client.post(f"/api/v1/travel-notices/{notice.pk}/cancel/", {"reason": "Ill"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "cancelled"
    assert Case.objects.get().status == "closed"


def test_scoping_for_every_role(world, people):
    va = file_notice(world.va_staff, people.va)
    md = file_notice(world.md_staff, people.md)
    belvoir = file_notice(world.va_staff, people.belvoir)
    expected = {
        "va_staff": {va.pk, belvoir.pk},
        "md_staff": {md.pk},
        "analyst": {va.pk, md.pk, belvoir.pk},
        "supervisor": {va.pk, md.pk, belvoir.pk},
        "lea_officer": {belvoir.pk},
        "usncb_officer": set(),
        "va_admin": set(),
        "sysadmin": set(),
        "auditor": set(),
    }
    for who, ids in expected.items():
        response = api(getattr(world, who)).get("/api/v1/travel-notices/")
        if response.status_code == 403:
            assert not ids, who  # no working role at all
            continue
        assert {r["id"] for r in response.data["results"]} == ids, who
        for notice in (va, md, belvoir):
            code = api(getattr(world, who)).get(f"/api/v1/travel-notices/{notice.pk}/").status_code
            assert code == (200 if notice.pk in ids else 404), (who, notice.pk)


def test_other_agency_cannot_change(world, people):
    notice = file_notice(world.va_staff, people.va)
    for user in (world.md_staff, world.analyst, world.lea_officer):
        client = api(user)
        assert (
            client.patch(f"/api/v1/travel-notices/{notice.pk}/", {"companions": "x"}, format="json").status_code == 404
        )
        assert client.post(f"/api/v1/travel-notices/{notice.pk}/cancel/", {"reason": "x"}).status_code == 404
        assert client.post(f"/api/v1/travel-notices/{notice.pk}/amend/", {"reason": "x"}).status_code == 404
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.SUBMITTED


def test_reads_are_logged(world, people):
    notice = file_notice(world.va_staff, people.va)
    api(world.analyst).get("/api/v1/travel-notices/")
    api(world.analyst).get(f"/api/v1/travel-notices/{notice.pk}/")
    assert AccessLog.objects.filter(user=world.analyst, action="list", object_type="cases.travelnotice").exists()
    assert AccessLog.objects.filter(user=world.analyst, action="view", object_id=str(notice.pk)).exists()


def test_filters(world, people):
    late = file_notice(world.va_staff, people.va, notice_days=5, late_reason="emergency")
    file_notice(world.va_staff, make_registrant(world.va))
    response = api(world.analyst).get("/api/v1/travel-notices/?is_late=true")
    assert [r["id"] for r in response.data["results"]] == [late.pk]


def test_list_query_count_is_constant(world, people, django_assert_max_num_queries):
    file_notice(world.va_staff, people.va)
    client = api(world.analyst)
    client.get("/api/v1/travel-notices/")
    with django_assert_max_num_queries(20) as small:
        client.get("/api/v1/travel-notices/")
    for _ in range(15):
        file_notice(world.va_staff, make_registrant(world.va))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/travel-notices/")
    assert len(response.data["results"]) == 16
