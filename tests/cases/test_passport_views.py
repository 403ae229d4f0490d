"""Passport-action pages: anonymous refusal, other agency 404, the requester's work through the
forms, documents served only to who sees the action, access log, query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.choices_foreign import PassportActionStatus
from cases.models import PassportAction
from cases.services import passport as svc
from rsoits.models import AccessLog
from tests.cases.factories_foreign import make_registrant

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def request_for(world, registrant=None):
    registrant = registrant or make_registrant(world)
    action = svc.passport_action_request(
        actor=world.va_staff,
        registrant=registrant,
        kind="denial",
        legal_basis="court_order",
        basis_reference="Case 26-CR-7",
        documents=[SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf")],
    )
    return action


def test_anonymous_is_sent_to_sign_in(client, world):
    action = request_for(world)
    document = action.documents.get()
    for url in ("/cases/passport-actions/", "/cases/passport-actions/new/", action.get_absolute_url(),
                document.get_absolute_url()):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_agency_gets_404_and_nothing_changes(client, world):
    action = request_for(world)
    document = action.documents.get()
    for user in (world.md_staff, world.usncb_officer, world.lea_officer):
        client.force_login(user)
        assert client.get(action.get_absolute_url()).status_code == 404
        assert client.get(document.get_absolute_url()).status_code == 404
        response = client.post(f"/cases/passport-actions/{action.pk}/transition/", {"to_status": "withdrawn"})
        assert response.status_code == 404
    client.force_login(world.md_staff)
    body = client.get("/cases/passport-actions/").content.decode()
    assert action.registrant.surname not in body and "No passport actions." in body
    client.force_login(world.usncb_officer)
    assert client.get("/cases/passport-actions/").status_code == 403
    action.refresh_from_db()
    assert action.status == PassportActionStatus.REQUESTED
    assert AccessLog.objects.filter(user=world.md_staff, action="denied", object_id=str(action.pk)).exists()


def test_request_through_the_form(client, world):
    registrant = make_registrant(world)
    other = make_registrant(world, agency=world.md)
    client.force_login(world.va_staff)
    body = client.get("/cases/passport-actions/new/").content.decode()
    assert registrant.surname in body and other.surname not in body
    data = {"registrant": registrant.pk, "requesting_agency": world.va.pk, "kind": "denial"}
    response = client.post("/cases/passport-actions/new/", data)
    assert response.status_code == 400 and "A denial needs its legal basis" in response.content.decode()
    bad = SimpleUploadedFile("order.pdf", b"\x00\x01" * 100, content_type="application/pdf")
    response = client.post(
        "/cases/passport-actions/new/",
        {"registrant": registrant.pk, "requesting_agency": world.va.pk, "kind": "class_lookout", "document": bad},
    )
    assert response.status_code == 400 and "are not accepted" in response.content.decode()
    assert not PassportAction.objects.exists()
    response = client.post(
        "/cases/passport-actions/new/",
        {"registrant": registrant.pk, "requesting_agency": world.va.pk, "kind": "class_lookout"},
    )
    action = PassportAction.objects.get()
    assert response["Location"] == action.get_absolute_url()
    response = client.post(f"/cases/passport-actions/{action.pk}/transition/", {"to_status": "granted"})
    assert response.status_code == 400 and "cannot become" in response.content.decode()
    client.post(f"/cases/passport-actions/{action.pk}/transition/", {"to_status": "submitted"})
    client.post(f"/cases/passport-actions/{action.pk}/transition/", {"to_status": "denied", "note": "No basis to deny"})
    action.refresh_from_db()
    assert action.status == PassportActionStatus.DENIED and action.state_response == "No basis to deny"
    body = client.get(action.get_absolute_url()).content.decode()
    assert 'data-testid="history"' in body and "va_staff" in body
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_id=str(action.pk)).exists()


def test_document_download_and_upload(client, world):
    action = request_for(world)
    document = action.documents.get()
    client.force_login(world.analyst)  # NSOTC reads
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert 'filename="order.pdf"' in response["Content-Disposition"]
    assert client.post(f"/cases/passport-actions/{action.pk}/documents/", {}).status_code == 404
    client.force_login(world.va_staff)
    upload = SimpleUploadedFile("terms.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/cases/passport-actions/{action.pk}/documents/", {"file": upload})
    assert response.status_code == 302 and action.documents.count() == 2


def test_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    registrant = make_registrant(world)
    request_for(world, registrant)
    client.force_login(world.va_staff)
    client.get("/cases/passport-actions/")
    with django_assert_max_num_queries(30) as small:
        client.get("/cases/passport-actions/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    for _ in range(5):
        request_for(world, make_registrant(world))
    client.get("/cases/passport-actions/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/cases/passport-actions/")
    assert AccessLog.objects.filter(user=world.va_staff, action="list", count=6).exists()
