"""Case API: list and detail scoped per role, the actions assign, transition and forward (each
one service call; refusals are 400/403 with the reason), access log and query counts."""

import itertools

import pytest
from rest_framework.test import APIClient

from cases.choices import CaseStatus
from cases.services import TRANSITION_TABLE, case_forward
from rsoits.models import AccessLog
from tests.cases.factories_travel import ALL_CHECKS, file_notice, make_registrant, vetted_case

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def case(world, people):
    return file_notice(world.va_staff, people.va).cases.get()


def test_anonymous_refused(world, case):
    client = api()
    assert client.get("/api/v1/cases/").status_code in (401, 403)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code in (401, 403)
    for name in ("assign", "transition", "forward"):
        assert client.post(f"/api/v1/cases/{case.pk}/{name}/", {}).status_code in (401, 403)


def test_cases_are_not_created_or_deleted_through_the_api(world, case):
    client = api(world.supervisor)
    assert client.post("/api/v1/cases/", {"registrant": case.registrant_id}).status_code == 405
    assert client.delete(f"/api/v1/cases/{case.pk}/").status_code == 405


def test_scoping_for_every_role(world, people):
    va = file_notice(world.va_staff, people.va).cases.get()
    md = file_notice(world.md_staff, people.md).cases.get()
    belvoir = file_notice(world.va_staff, people.belvoir).cases.get()
    forwarded = file_notice(world.md_staff, make_registrant(world.md))
    forwarded = case_forward(actor=world.analyst, case=vetted_case(world, forwarded))
    everything = {va.pk, md.pk, belvoir.pk, forwarded.pk}
    expected = {
        "analyst": everything,
        "supervisor": everything,
        "va_staff": {va.pk, belvoir.pk},
        "md_staff": {md.pk, forwarded.pk},
        "usncb_officer": {forwarded.pk},
        "lea_officer": {belvoir.pk},
        "va_admin": set(),
        "sysadmin": set(),
        "auditor": set(),
    }
    for who, ids in expected.items():
        client = api(getattr(world, who))
        response = client.get("/api/v1/cases/")
        assert response.status_code == 200, who
        assert {r["id"] for r in response.data["results"]} == ids, who
        for pk in everything:
            assert client.get(f"/api/v1/cases/{pk}/").status_code == (200 if pk in ids else 404), (who, pk)


def test_flow_actions(world, case, published):
    client = api(world.supervisor)
    response = client.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "analyst"}, format="json")
    assert response.status_code == 200 and response.data["assignee"] == "analyst"
    client = api(world.analyst)
    response = client.post(f"/api/v1/cases/{case.pk}/transition/", {"to_status": "in_review"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "in_review"
    response = client.post(f"/api/v1/cases/{case.pk}/forward/", {}, format="json")
    assert response.status_code == 400 and "checklist" in str(response.data["to_status"])
    from cases.services import case_update_checklist

    case_update_checklist(actor=world.analyst, case=case, **ALL_CHECKS)
    response = client.post(f"/api/v1/cases/{case.pk}/forward/", {"reason": "ok"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "forwarded"
    assert [e["to_status"] for e in response.data["events"]] == ["open", "in_review", "forwarded"]
    assert response.data["events"][-1]["actor"] == "analyst"
    assert api(world.usncb_officer).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert published.of("case_forwarded")


ILLEGAL_FROM_OPEN = [t for t in CaseStatus.values if (CaseStatus.OPEN, t) not in TRANSITION_TABLE]


@pytest.mark.parametrize("target", ILLEGAL_FROM_OPEN)
def test_illegal_transition_is_400(world, case, target):
    response = api(world.analyst).post(
        f"/api/v1/cases/{case.pk}/transition/", {"to_status": target, "reason": "r"}, format="json"
    )
    assert response.status_code == 400 and "cannot become" in str(response.data["to_status"])
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_every_illegal_pair_is_refused_through_the_api(world):
    """Each status reached once; then every target outside the table is tried on it."""
    from tests.cases.test_case_services import put_in_status

    for source in CaseStatus.values:
        case = put_in_status(world, file_notice(world.va_staff, make_registrant(world.va)).cases.get(), source)
        for target in CaseStatus.values:
            if (source, target) in TRANSITION_TABLE:
                continue
            response = api(world.supervisor).post(
                f"/api/v1/cases/{case.pk}/transition/", {"to_status": target, "reason": "r"}, format="json"
            )
            assert response.status_code == 400, (source, target)
        case.refresh_from_db()
        assert case.status == source


def test_bad_input_names_the_field(world, case):
    client = api(world.analyst)
    response = client.post(f"/api/v1/cases/{case.pk}/transition/", {"to_status": "nope"}, format="json")
    assert response.status_code == 400 and "to_status" in response.data
    response = client.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "nobody-here"}, format="json")
    assert response.status_code == 400 and "assignee" in response.data
    response = api(world.supervisor).post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "va_staff"}, format="json")
    assert response.status_code == 400 and "assignee" in response.data


@pytest.mark.parametrize("who", ["va_staff", "usncb_officer", "lea_officer"])
def test_readers_cannot_act(world, people, who):
    case = file_notice(world.va_staff, people.belvoir).cases.get()
    if who == "usncb_officer":
        case = case_forward(actor=world.analyst, case=vetted_case(world, case.travel_notice))
    client = api(getattr(world, who))
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    response = client.post(f"/api/v1/cases/{case.pk}/transition/", {"to_status": "closed", "reason": "x"})
    assert response.status_code == 403
    assert client.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": who}).status_code in (400, 403)
    assert client.post(f"/api/v1/cases/{case.pk}/forward/", {}).status_code == 403


def test_other_agency_gets_404_on_actions(world, case):
    client = api(world.md_staff)
    for name in ("assign", "transition", "forward"):
        assert client.post(f"/api/v1/cases/{case.pk}/{name}/", {"to_status": "in_review"}).status_code == 404


def test_reads_logged(world, case):
    api(world.analyst).get(f"/api/v1/cases/{case.pk}/")
    assert AccessLog.objects.filter(user=world.analyst, action="view", object_type="cases.case").exists()


def test_queue_filter(world, people):
    late = file_notice(world.va_staff, people.va, notice_days=3, departure_in=5, late_reason="emergency")
    file_notice(world.va_staff, make_registrant(world.va))
    response = api(world.analyst).get("/api/v1/cases/?queue=late")
    assert [r["id"] for r in response.data["results"]] == [late.cases.get().pk]


def test_list_query_count_is_constant(world, django_assert_max_num_queries):
    for _ in range(2):
        file_notice(world.va_staff, make_registrant(world.va))
    client = api(world.analyst)
    client.get("/api/v1/cases/")
    with django_assert_max_num_queries(20) as small:
        client.get("/api/v1/cases/")
    for _ in itertools.repeat(None, 15):
        file_notice(world.va_staff, make_registrant(world.va))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/cases/")
    assert len(response.data["results"]) == 17
