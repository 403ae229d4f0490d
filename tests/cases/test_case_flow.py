"""The whole travel notice flow, end to end: file -> case -> vet -> forward -> USNCB sees it ->
return confirmed -> closed, once through the API and once through the pages, with the history
and events it leaves behind."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from cases.choices import CaseStatus, TravelNoticeStatus
from cases.models import Case, TravelNotice
from tests.cases.factories_travel import ALL_CHECKS, days
from tests.cases.test_travel_views import form_data

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_flow_through_the_api(world, people, published, time_machine):
    departure = days(40)
    data = {
        "registrant": people.va.pk,
        "date_given": (departure - timedelta(days=25)).isoformat(),
        "departure_date": departure.isoformat(),
        "return_date": (departure + timedelta(days=7)).isoformat(),
        "purpose": "travel",
        "submit": True,
        "legs": [
            {
                "country": "TH",
                "city": "Bangkok",
                "arrival_date": departure.isoformat(),
                "departure_date": (departure + timedelta(days=7)).isoformat(),
            }
        ],
    }
    response = api(world.va_staff).post("/api/v1/travel-notices/", data, format="json")
    assert response.status_code == 201
    notice_id, case_id = response.data["id"], response.data["case"]

    assert api(world.usncb_officer).get(f"/api/v1/cases/{case_id}/").status_code == 404
    assert api(world.supervisor).post(f"/api/v1/cases/{case_id}/assign/", {"assignee": "analyst"}).status_code == 200
    analyst = api(world.analyst)
    assert analyst.post(f"/api/v1/cases/{case_id}/transition/", {"to_status": "in_review"}).status_code == 200
    from cases.services import case_update_checklist

    case_update_checklist(actor=world.analyst, case=Case.objects.get(pk=case_id), **ALL_CHECKS)
    assert analyst.post(f"/api/v1/cases/{case_id}/forward/", {"reason": "vetted"}).status_code == 200

    usncb = api(world.usncb_officer)
    assert [r["id"] for r in usncb.get("/api/v1/cases/").data["results"]] == [case_id]
    assert usncb.get(f"/api/v1/travel-notices/{notice_id}/").status_code == 200
    assert usncb.get(f"/api/v1/registrants/{people.va.pk}/").status_code == 200

    time_machine.move_to(departure + timedelta(days=7))
    response = api(world.va_staff).post(f"/api/v1/travel-notices/{notice_id}/return/", {"outcome": "returned"})
    assert response.status_code == 200 and response.data["status"] == "completed"
    case = api(world.analyst).get(f"/api/v1/cases/{case_id}/").data
    assert case["status"] == "closed"
    assert [e["to_status"] for e in case["events"]] == ["open", "in_review", "forwarded", "closed"]
    assert [e["actor"] for e in case["events"]] == ["va_staff", "analyst", "analyst", "va_staff"]
    assert published.types() == ["travel_notice_submitted", "case_forwarded"]
    history = TravelNotice.objects.get(pk=notice_id).history.order_by("history_id")
    assert [h.status for h in history] == ["draft", "submitted", "completed"]
    assert {h.history_user for h in history} == {world.va_staff}


def test_flow_through_the_pages(client, world, people, time_machine):
    client.force_login(world.va_staff)
    response = client.post("/cases/travel-notices/new/", form_data(people.va))
    notice = TravelNotice.objects.get()
    case = notice.cases.get()
    assert response.status_code == 302

    client.force_login(world.supervisor)
    response = client.post("/cases/bulk-assign/", {"cases": [case.pk], "assignee": world.analyst.pk})
    assert response.status_code == 302
    client.force_login(world.analyst)
    mine = client.get("/cases/?queue=mine")
    assert [r.record.pk for r in mine.context["table"].page.object_list] == [case.pk]
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_review"})
    client.post(f"/cases/{case.pk}/checklist/", {k: "on" for k in ALL_CHECKS})
    client.post(f"/cases/{case.pk}/notes/", {"body": "NCIC clear; NSOR matches."})
    assert client.post(f"/cases/{case.pk}/transition/", {"to_status": "forwarded"}).status_code == 302

    client.force_login(world.usncb_officer)
    listing = client.get("/cases/")
    assert [r.record.pk for r in listing.context["table"].page.object_list] == [case.pk]
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "NCIC clear" in body and "Forwarded to USNCB" in body

    time_machine.move_to(notice.return_date)
    client.force_login(world.va_staff)
    response = client.post(f"/cases/travel-notices/{notice.pk}/return/", {"outcome": "returned"})
    assert response.status_code == 302
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == TravelNoticeStatus.COMPLETED and case.status == CaseStatus.CLOSED
    body = client.get(f"/registrants/{people.va.pk}/").content.decode()
    assert "Forwarded to USNCB → Closed" in body and "After the trip" in body
