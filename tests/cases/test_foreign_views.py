"""USNCB's pages: scoping for every role, anonymous refusal, the work done through the forms,
the PDF (no domestic identifiers in its text), the annual report and its CSV, access logging and
query counts."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from cases.choices_foreign import ComplaintStatus, ForeignNoticeStatus, NoNoticeReason
from cases.models import ForeignNotice, ForeignNoticeComplaint, InboundForeignNotice, NoNoticeDecision
from cases.services import foreign as svc
from rsoits.models import AccessLog
from tests.cases.factories_foreign import DOMESTIC_VALUES, fw_fixture, make_forwarded_case  # noqa: F401

pytestmark = pytest.mark.django_db


def prepared(world, **kwargs):
    case = make_forwarded_case(world, **kwargs)
    return svc.foreign_notice_prepare(actor=world.usncb_officer, case=case, country="FR")


def sent(world, **kwargs):
    notice = svc.foreign_notice_review(actor=world.usncb_officer, notice=prepared(world, **kwargs))
    return svc.foreign_notice_send(actor=world.usncb_officer, notice=notice)


def all_urls(notice):
    return [
        "/cases/foreign-notices/",
        f"/cases/foreign-notices/{notice.pk}/",
        f"/cases/foreign-notices/{notice.pk}/pdf/",
        f"/cases/{notice.case_id}/foreign-notices/",
        "/cases/iml-report/",
        "/cases/inbound-notices/",
        "/cases/inbound-notices/new/",
    ]


def test_anonymous_is_sent_to_sign_in(client, fw):
    notice = prepared(fw)
    for url in all_urls(notice):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(f"/cases/foreign-notices/{notice.pk}/review/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_roles_refused_or_404(client, fw):
    notice = prepared(fw)
    for user in (fw.va_staff, fw.md_staff, fw.lea_officer, fw.va_admin, fw.sysadmin, fw.auditor):
        client.force_login(user)
        assert client.get("/cases/foreign-notices/").status_code == 403
        assert client.get("/cases/iml-report/").status_code == 403
        assert client.get(f"/cases/foreign-notices/{notice.pk}/").status_code == 404
        assert client.get(f"/cases/foreign-notices/{notice.pk}/pdf/").status_code == 404
        assert client.post(f"/cases/foreign-notices/{notice.pk}/review/").status_code == 404
        assert client.get(f"/cases/{notice.case_id}/foreign-notices/").status_code == 403
    assert AccessLog.objects.filter(user=fw.va_staff, action="denied", object_id=str(notice.pk)).exists()
    notice.refresh_from_db()
    assert notice.status == ForeignNoticeStatus.DRAFT


def test_nsotc_reads_but_cannot_work(client, fw):
    notice = prepared(fw)
    client.force_login(fw.analyst)
    assert client.get("/cases/foreign-notices/").status_code == 200
    body = client.get(f"/cases/foreign-notices/{notice.pk}/").content.decode()
    assert "Mark reviewed" not in body
    assert client.post(f"/cases/foreign-notices/{notice.pk}/review/").status_code == 404
    assert client.get(f"/cases/{notice.case_id}/foreign-notices/").status_code == 403


def test_usncb_queue_prepare_review_send_acknowledge_through_pages(client, fw):
    case = make_forwarded_case(fw, countries=("FR", "DE"))
    client.force_login(fw.usncb_officer)
    body = client.get("/cases/foreign-notices/").content.decode()
    assert f"#{case.pk}" in body and "FR, DE" in body
    response = client.post(f"/cases/{case.pk}/foreign-notices/", {"country": "FR"})
    notice = ForeignNotice.objects.get(case=case, country="FR")
    assert response.status_code == 302 and response["Location"] == notice.get_absolute_url()
    body = client.get(notice.get_absolute_url()).content.decode()
    assert "Charlie Voyager" in body and "Mark reviewed" in body
    for value in DOMESTIC_VALUES:
        assert value not in body
    client.post(f"/cases/foreign-notices/{notice.pk}/review/", {"conviction_summary": "", "remarks": "Handle"})
    client.post(f"/cases/foreign-notices/{notice.pk}/send/")
    notice.refresh_from_db()
    assert notice.status == ForeignNoticeStatus.SENT and notice.content["remarks"] == "Handle"
    # a bad acknowledgement names the field and writes nothing
    response = client.post(f"/cases/foreign-notices/{notice.pk}/acknowledge/", {"acknowledged_on": "nonsense"})
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()
    today = timezone.localdate().isoformat()
    client.post(f"/cases/foreign-notices/{notice.pk}/acknowledge/", {"acknowledged_on": today, "text": "Noted"})
    notice.refresh_from_db()
    assert notice.status == ForeignNoticeStatus.ACKNOWLEDGED
    assert notice.history.latest().history_user == fw.usncb_officer
    # an illegal transition through the page: refused with a message, nothing changed
    response = client.post(f"/cases/foreign-notices/{notice.pk}/send/", follow=True)
    assert "cannot become" in response.content.decode()
    # the other destination: prepare all, then decide not to send
    client.post(f"/cases/{case.pk}/foreign-notices/")
    assert ForeignNotice.objects.filter(case=case, country="DE").exists()
    response = client.post(f"/cases/{case.pk}/no-notice/", {"country": "DE", "reason": NoNoticeReason.OTHER})
    assert response.status_code == 400 and "Explain why no notice is sent" in response.content.decode()
    client.post(f"/cases/{case.pk}/no-notice/", {"country": "DE", "reason": NoNoticeReason.TRANSIT_ONLY})
    assert NoNoticeDecision.objects.filter(case=case, country="DE").exists()
    assert f"#{case.pk}" not in client.get("/cases/foreign-notices/").content.decode().split("Notices</h2>")[0]


def test_correction_and_complaint_pages(client, fw):
    notice = sent(fw)
    client.force_login(fw.usncb_officer)
    response = client.post(f"/cases/foreign-notices/{notice.pk}/correct/", {"reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(f"/cases/foreign-notices/{notice.pk}/correct/", {"reason": "Wrong city"})
    correction = ForeignNotice.objects.get(corrects=notice)
    assert response["Location"] == correction.get_absolute_url()
    assert (
        f'Corrects <a href="{notice.get_absolute_url()}"' in client.get(correction.get_absolute_url()).content.decode()
    )
    today = timezone.localdate().isoformat()
    client.post(
        f"/cases/foreign-notices/{notice.pk}/complaints/",
        {"complainant": "Counsel", "received_on": today, "description": "Wrong city"},
    )
    complaint = ForeignNoticeComplaint.objects.get(notice=notice)
    client.post(f"/cases/complaints/{complaint.pk}/transition/", {"to_status": "answered", "answer": "Corrected"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    client.force_login(fw.analyst)
    assert client.post(f"/cases/complaints/{complaint.pk}/transition/", {"to_status": "x"}).status_code == 404


def test_pdf_has_content_but_no_domestic_identifiers(client, fw):
    notice = sent(fw)
    client.force_login(fw.usncb_officer)
    response = client.get(f"/cases/foreign-notices/{notice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content) if response.streaming else response.content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Traveller" in text and "P55443322" in text and "INTERPOL NCB FR" in text
    compact = text.replace(" ", "").replace("\n", "")
    for value in DOMESTIC_VALUES:
        assert value not in text and value.replace(" ", "") not in compact
    assert AccessLog.objects.filter(user=fw.usncb_officer, action="export", object_id=str(notice.pk)).exists()


def test_detail_is_access_logged_and_shows_history(client, fw):
    notice = sent(fw)
    client.force_login(fw.analyst)
    body = client.get(notice.get_absolute_url()).content.decode()
    assert 'data-testid="history"' in body and "usncb" in body
    assert AccessLog.objects.filter(user=fw.analyst, action="view", object_id=str(notice.pk)).exists()


def test_list_query_count_is_constant(client, fw, django_assert_max_num_queries):
    sent(fw)
    make_forwarded_case(fw)
    client.force_login(fw.usncb_officer)
    client.get("/cases/foreign-notices/")
    with django_assert_max_num_queries(40) as small:
        client.get("/cases/foreign-notices/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    for _ in range(4):
        sent(fw)
        make_forwarded_case(fw, countries=("FR", "DE", "JP"))
    client.get("/cases/foreign-notices/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/cases/foreign-notices/")


def test_iml_report_figures_and_csv(client, fw):
    year = timezone.localdate().year
    on_time = sent(fw)
    svc.foreign_notice_acknowledge(actor=fw.usncb_officer, notice=on_time, acknowledged_on=timezone.localdate())
    svc.foreign_notice_correct(actor=fw.usncb_officer, notice=on_time, reason="Wrong date")
    late = sent(fw, departure=timezone.localdate() + timedelta(days=1))  # under 48 hours, before travel
    gone = sent(fw, departure=timezone.localdate() - timedelta(days=1))  # after travel began
    svc.complaint_log(
        actor=fw.usncb_officer, notice=gone, complainant="A", received_on=timezone.localdate(), description="B"
    )
    case = make_forwarded_case(fw, countries=("DE",))
    svc.no_notice_decide(actor=fw.usncb_officer, case=case, country="DE", reason=NoNoticeReason.TRAVEL_CANCELLED)
    prepared(fw)  # a draft is not a notice sent
    rows = {r.country: r for r in svc_report(fw, year)}
    fr = rows["FR"]
    assert (fr.notices, fr.responses, fr.late, fr.angel_watch_late, fr.corrections, fr.complaints) == (3, 1, 1, 2, 1, 1)
    assert (rows["DE"].notices, rows["DE"].not_sent) == (0, 1)
    assert late.sent_before_travel and not late.sent_48h_ahead
    client.force_login(fw.usncb_officer)
    body = client.get(f"/cases/iml-report/?year={year}").content.decode()
    assert "France (FR)" in body and "Germany (DE)" in body
    csv = client.get(f"/cases/iml-report/?year={year}&format=csv").content.decode().splitlines()
    assert csv[0].startswith("country,country_name,notices_sent,responses,decisions_not_to_send")
    assert "DE,Germany,0,0,1,0,0,0,0" in csv
    assert "FR,France,3,1,0,1,2,1,1" in csv
    assert csv[-1].startswith("Total,,3,1,1,1,2,1,1")
    assert AccessLog.objects.filter(user=fw.usncb_officer, action="export").exists()
    # last year is empty
    assert svc_report(fw, year - 1) == []


def svc_report(world, year):
    from cases.selectors_foreign import iml_report

    return iml_report(user=world.usncb_officer, year=year)


def test_inbound_notice_pages(client, fw):
    client.force_login(fw.usncb_officer)
    response = client.post("/cases/inbound-notices/new/", {"country": "XX", "given_name": "Jean"})
    assert response.status_code == 400 and "not an ISO 3166 country code" in response.content.decode()
    today = timezone.localdate().isoformat()
    response = client.post(
        "/cases/inbound-notices/new/",
        {
            "country": "FR",
            "foreign_reference": "FR-1",
            "received_on": today,
            "given_name": "Jean",
            "surname": "Dupont",
            "sex": "M",
            "arrival_date": today,
            "aliases_text": "Jean Dupond\nJ. Dupont",
        },
    )
    inbound = InboundForeignNotice.objects.get()
    assert response["Location"] == inbound.get_absolute_url()
    assert inbound.aliases == ["Jean Dupond", "J. Dupont"] and inbound.ncb == fw.ncb_fr
    assert "Dupont" in client.get("/cases/inbound-notices/").content.decode()
    client.force_login(fw.analyst)
    assert "Jean Dupond" in client.get(inbound.get_absolute_url()).content.decode()
    assert client.get("/cases/inbound-notices/new/").status_code == 403
    client.force_login(fw.va_staff)
    assert client.get(inbound.get_absolute_url()).status_code == 404
    assert client.get("/cases/inbound-notices/").status_code == 403


def test_registrant_timeline_shows_notices_only_to_who_may_see_them(client, fw):
    notice = sent(fw)
    url = f"/registrants/{notice.registrant_id}/"
    client.force_login(fw.analyst)
    assert "Foreign notice to FR: Sent" in client.get(url).content.decode()
    client.force_login(fw.usncb_officer)
    assert "Foreign notice to FR: Sent" in client.get(url).content.decode()
    client.force_login(fw.va_staff)  # the registering SORA sees the record but not USNCB's notices
    body = client.get(url).content.decode()
    assert notice.registrant.surname in body and "Foreign notice to FR" not in body


@pytest.mark.parametrize("action", ["review", "reopen", "send", "acknowledge", "correct", "complaints"])
def test_every_write_endpoint_refuses_anonymous_and_other_agencies(client, fw, action):
    notice = sent(fw)
    url = f"/cases/foreign-notices/{notice.pk}/{action}/"
    response = client.post(url, {"reason": "x", "acknowledged_on": timezone.localdate().isoformat()})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (fw.va_staff, fw.md_staff, fw.analyst, fw.lea_officer):
        client.force_login(user)
        assert client.post(url, {"reason": "x"}).status_code == 404
    for path in (f"/cases/{notice.case_id}/foreign-notices/", f"/cases/{notice.case_id}/no-notice/"):
        client.force_login(fw.md_staff)
        assert client.post(path, {"country": "FR", "reason": "transit_only"}).status_code == 403
        client.logout()
        assert client.post(path).status_code == 302
    notice.refresh_from_db()
    assert notice.status == ForeignNoticeStatus.SENT and not notice.corrections.exists()
    assert not ForeignNoticeComplaint.objects.exists() and not NoNoticeDecision.objects.exists()


def test_inbound_detail_refusals(client, fw):
    inbound = svc.inbound_notice_log(
        actor=fw.usncb_officer, country="FR", foreign_reference="R1", received_on=timezone.localdate(),
        given_name="A", surname="B", arrival_date=timezone.localdate(),
    )  # fmt: skip
    response = client.get(inbound.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (fw.va_staff, fw.md_staff, fw.lea_officer, fw.sysadmin):
        client.force_login(user)
        assert client.get(inbound.get_absolute_url()).status_code == 404
    client.force_login(fw.usncb_officer)
    assert client.get(inbound.get_absolute_url()).status_code == 200
    assert AccessLog.objects.filter(user=fw.usncb_officer, action="view", object_id=str(inbound.pk)).exists()
