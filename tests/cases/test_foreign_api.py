"""/api/v1/foreign-notices/, /api/v1/inbound-foreign-notices/ and /api/v1/passport-actions/:
scoping, the actions, field errors, no domestic identifiers in the payload, access log, query counts."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from cases.choices_foreign import ForeignNoticeStatus, PassportActionStatus
from cases.models import ForeignNotice, PassportAction
from cases.services import foreign as svc
from cases.services import passport as passport_svc
from rsoits.models import AccessLog
from tests.cases.factories_foreign import DOMESTIC_VALUES, fw_fixture, make_forwarded_case, make_registrant  # noqa: F401

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_refused(fw):
    case = make_forwarded_case(fw)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    for url in ("/api/v1/foreign-notices/", f"/api/v1/foreign-notices/{notice.pk}/", "/api/v1/passport-actions/",
                "/api/v1/inbound-foreign-notices/"):  # fmt: skip
        assert api().get(url).status_code in (401, 403)
    assert api().post(f"/api/v1/foreign-notices/{notice.pk}/send/").status_code in (401, 403)
    assert api().post("/api/v1/passport-actions/", {}).status_code in (401, 403)


def test_full_flow_through_the_api(fw):
    case = make_forwarded_case(fw)
    client = api(fw.usncb_officer)
    response = client.post("/api/v1/foreign-notices/", {"case": case.pk, "country": "JP"}, format="json")
    assert response.status_code == 400 and "country" in response.json()
    response = client.post("/api/v1/foreign-notices/", {"case": case.pk, "country": "FR"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["ncb"] == "NCB-FR" and response.json()["status"] == "draft"
    response = client.post(f"/api/v1/foreign-notices/{pk}/send/")
    assert response.status_code == 400 and "cannot become" in response.json()["status"][0]
    assert client.post(f"/api/v1/foreign-notices/{pk}/review/", {"remarks": "Urgent"}, format="json").status_code == 200
    response = client.post(f"/api/v1/foreign-notices/{pk}/send/")
    assert response.status_code == 200 and response.json()["sent_48h_ahead"] is True
    response = client.post(f"/api/v1/foreign-notices/{pk}/acknowledge/", {"acknowledged_on": "bad"}, format="json")
    assert response.status_code == 400 and "acknowledged_on" in response.json()
    response = client.post(
        f"/api/v1/foreign-notices/{pk}/acknowledge/",
        {"acknowledged_on": timezone.localdate().isoformat(), "text": "OK"},
        format="json",
    )
    assert response.json()["status"] == "acknowledged"
    response = client.post(f"/api/v1/foreign-notices/{pk}/correct/", {"reason": "Wrong flight"}, format="json")
    assert response.status_code == 201
    assert response.json()["corrects"] == pk and response.json()["status"] == "sent"
    assert client.get(f"/api/v1/foreign-notices/{pk}/").json()["corrections"] == [response.json()["id"]]
    notice = ForeignNotice.objects.get(pk=pk)
    assert notice.history.latest().history_user == fw.usncb_officer


def test_payload_has_no_domestic_identifiers(fw):
    case = make_forwarded_case(fw)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    for user in (fw.usncb_officer, fw.analyst):
        for url in ("/api/v1/foreign-notices/", f"/api/v1/foreign-notices/{notice.pk}/"):
            text = json.dumps(api(user).get(url).json())
            assert "P55443322" in text
            for value in DOMESTIC_VALUES:
                assert value not in text


def test_scoping_for_every_role(fw):
    case = make_forwarded_case(fw)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    for user in (fw.usncb_officer, fw.analyst, fw.supervisor):
        assert [r["id"] for r in api(user).get("/api/v1/foreign-notices/").json()["results"]] == [notice.pk]
    for user in (fw.va_staff, fw.md_staff, fw.lea_officer, fw.va_admin, fw.sysadmin, fw.auditor):
        assert api(user).get("/api/v1/foreign-notices/").json()["results"] == []
        assert api(user).get(f"/api/v1/foreign-notices/{notice.pk}/").status_code == 404
        assert api(user).post(f"/api/v1/foreign-notices/{notice.pk}/review/").status_code == 404
        # the case's own SORA sees the case (403: not theirs to notify); to the others it does not
        # exist (400 on the field, as for any unknown case)
        expected = 403 if user == fw.va_staff else 400
        assert api(user).post("/api/v1/foreign-notices/", {"case": case.pk, "country": "DE"}).status_code == expected
    # NSOTC reads but cannot act
    assert api(fw.analyst).post(f"/api/v1/foreign-notices/{notice.pk}/review/").status_code == 404
    response = api(fw.analyst).post("/api/v1/foreign-notices/", {"case": case.pk, "country": "DE"}, format="json")
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.status == ForeignNoticeStatus.DRAFT and ForeignNotice.objects.count() == 1
    assert AccessLog.objects.filter(user=fw.md_staff, action="denied", object_id=str(notice.pk)).exists()


def test_list_is_logged_and_query_count_constant(fw, django_assert_max_num_queries):
    client = api(fw.usncb_officer)
    case = make_forwarded_case(fw)
    svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    client.get("/api/v1/foreign-notices/")
    with django_assert_max_num_queries(15) as small:
        client.get("/api/v1/foreign-notices/")
    for _ in range(5):
        svc.foreign_notices_prepare_all(actor=fw.usncb_officer, case=make_forwarded_case(fw))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/foreign-notices/")
    assert len(response.json()["results"]) == 11
    assert AccessLog.objects.filter(user=fw.usncb_officer, action="list", count=11).exists()


def test_inbound_api(fw):
    payload = {
        "country": "FR",
        "foreign_reference": "FR-77",
        "received_on": timezone.localdate().isoformat(),
        "given_name": "Jean",
        "surname": "Dupont",
        "aliases": ["Jean Dupond"],
        "sex": "M",
        "passport_number": "12AB34567",
        "passport_country": "FR",
        "arrival_date": timezone.localdate().isoformat(),
    }
    response = api(fw.usncb_officer).post("/api/v1/inbound-foreign-notices/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["ncb"] == "NCB-FR"
    again = api(fw.usncb_officer).post("/api/v1/inbound-foreign-notices/", payload, format="json")
    assert again.status_code == 400 and "__all__" in again.json()
    assert api(fw.analyst).post("/api/v1/inbound-foreign-notices/", payload, format="json").status_code == 403
    assert len(api(fw.analyst).get("/api/v1/inbound-foreign-notices/").json()["results"]) == 1
    assert api(fw.va_staff).get("/api/v1/inbound-foreign-notices/").json()["results"] == []


def test_passport_actions_api(world, django_assert_max_num_queries):
    registrant = make_registrant(world)
    client = api(world.va_staff)
    response = client.post("/api/v1/passport-actions/", {"registrant": registrant.pk, "kind": "denial"}, format="json")
    assert response.status_code == 400 and {"legal_basis", "basis_reference"} <= set(response.json())
    response = client.post(
        "/api/v1/passport-actions/",
        {"registrant": registrant.pk, "kind": "denial", "legal_basis": "warrant", "basis_reference": "W-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["requesting_agency"] == "VA" and response.json()["requested_by"] == "va_staff"
    upload = SimpleUploadedFile("warrant.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/api/v1/passport-actions/{pk}/documents/", {"file": upload}, format="multipart")
    assert response.status_code == 201 and response.json()["content_type"] == "application/pdf"
    bad = SimpleUploadedFile("x.pdf", b"\x00\x01\x02" * 50, content_type="application/pdf")
    response = client.post(f"/api/v1/passport-actions/{pk}/documents/", {"file": bad}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    response = client.post(f"/api/v1/passport-actions/{pk}/transition/", {"to_status": "granted"}, format="json")
    assert response.status_code == 400 and "cannot become" in response.json()["to_status"][0]
    response = client.post(f"/api/v1/passport-actions/{pk}/transition/", {"to_status": "submitted"}, format="json")
    assert response.json()["status"] == PassportActionStatus.SUBMITTED
    # other agency: 404 on read and change; NSOTC reads
    for user in (world.md_staff, world.usncb_officer, world.lea_officer):
        assert api(user).get(f"/api/v1/passport-actions/{pk}/").status_code == 404
        assert (
            api(user).post(f"/api/v1/passport-actions/{pk}/transition/", {"to_status": "withdrawn"}).status_code == 404
        )
    assert api(world.analyst).get(f"/api/v1/passport-actions/{pk}/").status_code == 200
    assert (
        api(world.analyst).post(f"/api/v1/passport-actions/{pk}/transition/", {"to_status": "withdrawn"}).status_code
        == 404
    )
    # a registrant the user may not see reads exactly as one that does not exist
    md_registrant = make_registrant(world, agency=world.md)
    hidden = client.post(
        "/api/v1/passport-actions/", {"registrant": md_registrant.pk, "kind": "class_lookout"}, format="json"
    )
    missing = client.post("/api/v1/passport-actions/", {"registrant": 999_999, "kind": "class_lookout"}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["registrant"][0] == missing.json()["registrant"][0].replace("999999", str(md_registrant.pk))
    assert PassportAction.objects.count() == 1
    # list: constant query count
    client.get("/api/v1/passport-actions/")
    with django_assert_max_num_queries(15) as small:
        client.get("/api/v1/passport-actions/")
    for _ in range(5):
        passport_svc.passport_action_request(actor=world.va_staff, registrant=registrant, kind="class_lookout")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/passport-actions/").json()["results"]) == 6
