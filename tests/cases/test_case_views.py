"""Case pages: NSOTC queues with counts and bulk assignment, the case with its timeline,
checklist, notes, attachments and transitions; refusals as 400 with the reason; scoping (404
for other agencies, sign-in for anonymous), access log and query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.choices import CaseStatus
from cases.models import CaseAttachment, CaseNote
from cases.services import case_assign, case_forward
from rsoits.models import AccessLog
from tests.cases.factories_travel import ALL_CHECKS, file_notice, make_registrant, vetted_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def case(world, people):
    return file_notice(world.va_staff, people.va).cases.get()


def action_urls(case):
    return [
        f"/cases/{case.pk}/transition/",
        f"/cases/{case.pk}/assign/",
        f"/cases/{case.pk}/checklist/",
        f"/cases/{case.pk}/notes/",
        f"/cases/{case.pk}/attachments/",
    ]


def test_anonymous_is_sent_to_sign_in(client, world, case):
    for url in ["/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/attachments/1/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for url in [*action_urls(case), "/cases/bulk-assign/"]:
        response = client.post(url, {})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["md_staff", "usncb_officer", "lea_officer", "sysadmin", "va_admin"])
def test_other_agency_gets_404_everywhere(client, world, case, who):
    client.force_login(getattr(world, who))
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    for url in action_urls(case):
        assert client.post(url, {"to_status": "in_review", "body": "x"}).status_code == 404, url
    assert AccessLog.objects.filter(action="denied", object_id=str(case.pk)).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not CaseNote.objects.exists()


def test_sora_reads_its_case_and_may_add_notes_not_work_it(client, world, case):
    client.force_login(world.va_staff)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Start vetting" not in body and "Add note" in body
    assert client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_review"}).status_code == 403
    assert client.post(f"/cases/{case.pk}/notes/", {"body": "Called him"}).status_code == 302
    assert CaseNote.objects.get().author == world.va_staff
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_type="cases.case").exists()


def test_lea_reads_only(client, world, people):
    case = file_notice(world.va_staff, people.belvoir).cases.get()
    client.force_login(world.lea_officer)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Add note" not in body and "Start vetting" not in body
    assert client.post(f"/cases/{case.pk}/notes/", {"body": "x"}).status_code == 403


def test_vetting_through_the_pages(client, world, case, published):
    client.force_login(world.analyst)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Start vetting" in body
    assert client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_review"}).status_code == 302
    response = client.post(f"/cases/{case.pk}/transition/", {"to_status": "forwarded"})
    assert response.status_code == 400
    assert "Finish the vetting checklist" in response.content.decode()
    checklist = {k: "on" for k in ALL_CHECKS}
    assert client.post(f"/cases/{case.pk}/checklist/", checklist).status_code == 302
    assert client.post(f"/cases/{case.pk}/transition/", {"to_status": "forwarded"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.FORWARDED and case.checklist_complete
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Open → In review (vetting)" in body and "analyst" in body
    assert published.of("case_forwarded")


def test_illegal_transition_is_a_400_with_the_reason(client, world, case):
    client.force_login(world.analyst)
    response = client.post(f"/cases/{case.pk}/transition/", {"to_status": "forwarded"})
    assert response.status_code == 400
    assert "cannot become forwarded to usncb" in response.content.decode().lower()
    response = client.post(f"/cases/{case.pk}/transition/", {"to_status": "closed", "reason": ""})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.events.count() == 1


def test_assign_from_the_case(client, world, case):
    client.force_login(world.supervisor)
    assert client.post(f"/cases/{case.pk}/assign/", {"assignee": world.analyst.pk}).status_code == 302
    case.refresh_from_db()
    assert case.assignee == world.analyst
    response = client.post(f"/cases/{case.pk}/assign/", {"assignee": world.va_staff.pk})
    assert response.status_code == 400  # not an NSOTC member: not a choice


def test_attachments_upload_and_serve(client, world, case):
    client.force_login(world.analyst)
    bad = SimpleUploadedFile("x.pdf", b"\x00\x01binary", content_type="application/pdf")
    response = client.post(f"/cases/{case.pk}/attachments/", {"file": bad})
    assert response.status_code == 400 and "not accepted" in response.content.decode()
    good = SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/cases/{case.pk}/attachments/", {"file": good, "description": "Order"})
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get()
    url = f"/cases/{case.pk}/attachments/{attachment.pk}/"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    client.force_login(world.va_staff)
    assert client.get(url).status_code == 200
    for user in (world.md_staff, world.usncb_officer):
        client.force_login(user)
        assert client.get(url).status_code == 404
    other = file_notice(world.va_staff, make_registrant(world.va)).cases.get()
    client.force_login(world.analyst)
    assert client.get(f"/cases/{other.pk}/attachments/{attachment.pk}/").status_code == 404


def test_usncb_sees_forwarded_cases_only(client, world, case, people):
    other = file_notice(world.va_staff, make_registrant(world.va)).cases.get()
    case_forward(actor=world.analyst, case=vetted_case(world, case.travel_notice))
    client.force_login(world.usncb_officer)
    response = client.get("/cases/")
    rows = {r.record.pk for r in response.context["table"].page.object_list}
    assert rows == {case.pk}
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/cases/{other.pk}/").status_code == 404
    assert client.get(f"/registrants/{people.va.pk}/").status_code == 200
    assert client.get(f"/cases/travel-notices/{case.travel_notice_id}/").status_code == 200


def test_queues_counts_and_bulk_assign(client, world, time_machine):
    late = file_notice(
        world.va_staff, make_registrant(world.va), notice_days=10, departure_in=10, late_reason="emergency"
    )
    soon = file_notice(world.va_staff, make_registrant(world.va), departure_in=4, notice_days=25)
    far = file_notice(world.va_staff, make_registrant(world.va), departure_in=60)
    mine = far.cases.get()
    case_assign(actor=world.analyst, case=mine, assignee=world.analyst)
    client.force_login(world.analyst)
    response = client.get("/cases/")
    counts = {q["name"]: q["count"] for q in response.context["queues"]}
    assert counts == {"all": 3, "unassigned": 2, "mine": 1, "due_soon": 1, "overdue": 0, "late": 1}

    def queue(name):
        page = client.get(f"/cases/?queue={name}")
        return {r.record.pk for r in page.context["table"].page.object_list}

    assert queue("late") == {late.cases.get().pk}
    assert queue("mine") == {mine.pk}
    assert queue("due_soon") == {soon.cases.get().pk}  # due two days before departure

    ids = [late.cases.get().pk, soon.cases.get().pk]
    client.force_login(world.supervisor)
    response = client.post("/cases/bulk-assign/", {"cases": ids, "assignee": world.analyst.pk, "next": "/cases/"})
    assert response.status_code == 302
    client.force_login(world.analyst)
    assert queue("mine") == {mine.pk, *ids}
    assert queue("unassigned") == set()

    time_machine.move_to(soon.departure_date + timedelta(days=1))
    client.logout()  # days later: a new session, not the cached one of before
    client.force_login(world.analyst)
    assert soon.cases.get().pk in queue("overdue")


def test_bulk_assign_refused_for_sora(client, world, case):
    client.force_login(world.va_staff)
    response = client.post("/cases/bulk-assign/", {"cases": [case.pk], "assignee": world.analyst.pk}, follow=True)
    case.refresh_from_db()
    assert case.assignee is None
    assert "cases" in response.content.decode()  # the case is not among those it may change


def test_case_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    file_notice(world.va_staff, make_registrant(world.va))
    client.force_login(world.analyst)
    client.get("/cases/")
    with django_assert_max_num_queries(40) as small:
        client.get("/cases/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    for _ in range(15):
        file_notice(world.va_staff, make_registrant(world.va))
    client.get("/cases/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/cases/")


def test_case_detail_query_count_is_bounded(client, world, case, django_assert_max_num_queries):
    client.force_login(world.analyst)
    for i in range(5):
        client.post(f"/cases/{case.pk}/notes/", {"body": f"note {i}"})
    with django_assert_max_num_queries(40):
        assert client.get(f"/cases/{case.pk}/").status_code == 200
