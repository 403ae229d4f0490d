"""Foreign notices: preparation per destination, the transition table, Angel Watch timing,
corrections, decisions not to send, complaints, inbound notices, and history on every change."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.choices import CaseStatus
from cases.choices_foreign import ComplaintStatus, ForeignNoticeStatus, NoNoticeReason
from cases.models import ForeignNotice, InboundForeignNotice, NoNoticeDecision
from cases.services import foreign as svc
from tests.cases.factories_foreign import DOMESTIC_VALUES, fw_fixture, make_forwarded_case  # noqa: F401

pytestmark = pytest.mark.django_db

S = ForeignNoticeStatus


def sent_notice(world, **case_kwargs):
    case = make_forwarded_case(world, **case_kwargs)
    notice = svc.foreign_notice_prepare(actor=world.usncb_officer, case=case, country="FR")
    notice = svc.foreign_notice_review(actor=world.usncb_officer, notice=notice)
    return svc.foreign_notice_send(actor=world.usncb_officer, notice=notice)


def test_prepare_one_per_destination_with_ncb_and_content(fw):
    case = make_forwarded_case(fw, countries=("FR", "DE", "FR"))
    notices = svc.foreign_notices_prepare_all(actor=fw.usncb_officer, case=case)
    assert [n.country for n in notices] == ["FR", "DE"]
    fr = notices[0]
    assert fr.ncb == fw.ncb_fr and fr.status == S.DRAFT and fr.registrant == case.registrant
    content = fr.content
    assert content["identity"]["full_name"].startswith("Carl T Traveller")
    assert any(a.startswith("Charlie Voyager") for a in content["identity"]["aliases"])
    assert content["identity"]["dates_of_birth"] == ["1975-03-14", "1975-04-13"]
    assert content["identity"]["sex"] == "Male" and content["identity"]["citizenships"] == ["US"]
    assert [d["kind"] for d in content["travel_documents"]] == ["Passport", "Passport (used for this trip)"]
    assert [leg["country"] for leg in content["travel"]["legs"]] == ["FR", "DE", "FR"]
    assert content["requesting_agency"]["code"] == "VA"
    assert "Tier II" in content["conviction_summary"]
    # a second run prepares nothing more, and a duplicate is refused naming the field
    assert svc.foreign_notices_prepare_all(actor=fw.usncb_officer, case=case) == []
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    assert "country" in err.value.message_dict


def test_domestic_identifiers_never_in_content(fw):
    case = make_forwarded_case(fw)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    text = str(notice.content)
    for value in DOMESTIC_VALUES:
        assert value not in text
    assert "P55443322" in text  # the passport does go abroad


def test_domestic_identifier_typed_into_remarks_is_refused(fw):
    case = make_forwarded_case(fw)
    fbi = case.registrant.identifiers.get(kind="fbi_ucn").value
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR", remarks=f"FBI no. {fbi}")
    assert "remarks" in err.value.message_dict
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    sid = case.registrant.identifiers.get(kind="state_sid").value
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_review(actor=fw.usncb_officer, notice=notice, conviction_summary=f"SID {sid.lower()}")
    assert "conviction_summary" in err.value.message_dict
    notice.refresh_from_db()
    assert notice.status == S.DRAFT


def test_only_forwarded_cases_destinations_and_known_ncbs(fw):
    open_case = make_forwarded_case(fw, status=CaseStatus.IN_REVIEW)
    with pytest.raises(ValidationError, match="forwarded"):
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=open_case, country="FR")
    case = make_forwarded_case(fw, countries=("FR", "IT"))
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="JP")
    assert "not a destination" in err.value.message_dict["country"][0]
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="IT")
    assert "No INTERPOL NCB" in err.value.message_dict["country"][0]


def test_only_usncb_with_the_case_shared_prepares(fw):
    case = make_forwarded_case(fw)
    for user in (fw.analyst, fw.va_staff, fw.sysadmin):
        with pytest.raises(PermissionDenied):
            svc.foreign_notice_prepare(actor=user, case=case, country="FR")
    unshared = make_forwarded_case(fw, share=False)
    with pytest.raises(PermissionDenied):
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=unshared, country="FR")


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.DRAFT, S.SENT),
        (S.DRAFT, S.ACKNOWLEDGED),
        (S.DRAFT, S.DRAFT),
        (S.REVIEWED, S.REVIEWED),
        (S.REVIEWED, S.ACKNOWLEDGED),
        (S.SENT, S.REVIEWED),
        (S.SENT, S.SENT),
        (S.SENT, S.DRAFT),
        (S.ACKNOWLEDGED, S.ACKNOWLEDGED),
        (S.ACKNOWLEDGED, S.SENT),
        (S.ACKNOWLEDGED, S.DRAFT),
    ],
)
def test_illegal_transitions_are_refused(fw, start, target):
    case = make_forwarded_case(fw)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    ForeignNotice.objects.filter(pk=notice.pk).update(status=start, sent_at=timezone.now())
    actions = {
        S.REVIEWED: lambda: svc.foreign_notice_review(actor=fw.usncb_officer, notice=notice),
        S.SENT: lambda: svc.foreign_notice_send(actor=fw.usncb_officer, notice=notice),
        S.ACKNOWLEDGED: lambda: svc.foreign_notice_acknowledge(
            actor=fw.usncb_officer, notice=notice, acknowledged_on=timezone.localdate()
        ),
        S.DRAFT: lambda: svc.foreign_notice_reopen(actor=fw.usncb_officer, notice=notice),
    }
    with pytest.raises(ValidationError) as err:
        actions[target]()
    assert "cannot become" in err.value.message_dict["status"][0]
    notice.refresh_from_db()
    assert notice.status == start


def test_full_flow_with_history_and_events(fw):
    case = make_forwarded_case(fw)
    with mock.patch("cases.services.foreign.publish_event") as publish:
        notice = sent_notice(fw, registrant=case.registrant, countries=("FR",))
    publish.assert_called_once()
    kwargs = publish.call_args.kwargs
    assert kwargs["event_type"] == "foreign_notice_sent" and kwargs["context"]["countries"] == ["FR"]
    assert kwargs["source"] == notice and kwargs["actor"] == fw.usncb_officer
    assert notice.status == S.SENT and notice.sent_by == fw.usncb_officer
    assert notice.sent_before_travel is True and notice.sent_48h_ahead is True
    notice = svc.foreign_notice_acknowledge(
        actor=fw.usncb_officer, notice=notice, acknowledged_on=timezone.localdate(), text="Received, border alerted."
    )
    assert notice.status == S.ACKNOWLEDGED and notice.acknowledged_by == fw.usncb_officer
    history = list(notice.history.order_by("history_id"))
    assert [h.status for h in history] == [S.DRAFT, S.REVIEWED, S.SENT, S.ACKNOWLEDGED]
    assert all(h.history_user == fw.usncb_officer for h in history)
    assert [h.history_change_reason for h in history[1:]] == ["Reviewed", "Sent", "Acknowledged"]


def test_acknowledgement_date_is_checked(fw):
    notice = sent_notice(fw)
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_acknowledge(
            actor=fw.usncb_officer, notice=notice, acknowledged_on=timezone.localdate() + timedelta(days=1)
        )
    assert "acknowledged_on" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_acknowledge(
            actor=fw.usncb_officer, notice=notice, acknowledged_on=timezone.localdate() - timedelta(days=3)
        )
    assert "before the notice was sent" in err.value.message_dict["acknowledged_on"][0]


@pytest.mark.parametrize(
    ("hours_before", "before_travel", "angel_watch"),
    [(48, True, True), (47.999, True, False), (0.001, True, False), (0, False, False), (-24, False, False)],
)
def test_angel_watch_48_hour_edge(fw, hours_before, before_travel, angel_watch):
    departure = timezone.localdate() + timedelta(days=10)
    case = make_forwarded_case(fw, departure=departure)
    notice = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    notice = svc.foreign_notice_review(actor=fw.usncb_officer, notice=notice)
    start = datetime(departure.year, departure.month, departure.day, tzinfo=UTC)
    sent = svc.foreign_notice_send(actor=fw.usncb_officer, notice=notice, now=start - timedelta(hours=hours_before))
    assert (sent.sent_before_travel, sent.sent_48h_ahead) == (before_travel, angel_watch)


def test_correction_goes_out_at_once_linked_to_original(fw):
    original = sent_notice(fw)
    with mock.patch("cases.services.foreign.publish_event") as publish:
        correction = svc.foreign_notice_correct(
            actor=fw.usncb_officer, notice=original, reason="Wrong return date", remarks="Return is 12 May."
        )
    assert correction.corrects == original and correction.ncb == original.ncb and correction.country == "FR"
    assert correction.status == S.SENT and correction.sent_at is not None
    assert correction.content["correction_of"] == original.pk
    assert correction.content["remarks"] == "Return is 12 May."
    assert list(original.corrections.all()) == [correction]
    assert publish.call_args.kwargs["event_type"] == "foreign_notice_corrected"
    assert publish.call_args.kwargs["context"]["corrects"] == original.pk
    assert correction.history.get().history_user == fw.usncb_officer
    # the original stays as it was sent
    original.refresh_from_db()
    assert original.status == S.SENT and "correction_of" not in original.content


def test_correction_needs_a_sent_notice_and_a_reason(fw):
    case = make_forwarded_case(fw)
    draft = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    with pytest.raises(ValidationError, match="Only a notice that was sent"):
        svc.foreign_notice_correct(actor=fw.usncb_officer, notice=draft, reason="x")
    sent = sent_notice(fw)
    with pytest.raises(ValidationError) as err:
        svc.foreign_notice_correct(actor=fw.usncb_officer, notice=sent, reason="  ")
    assert "reason" in err.value.message_dict


def test_decision_not_to_send(fw):
    case = make_forwarded_case(fw, countries=("FR", "DE"))
    draft = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="DE")
    decision = svc.no_notice_decide(actor=fw.usncb_officer, case=case, country="de", reason=NoNoticeReason.TRANSIT_ONLY)
    assert decision.country == "DE" and decision.decided_by == fw.usncb_officer
    assert not ForeignNotice.objects.filter(pk=draft.pk).exists()  # the unsent draft gives way
    assert decision.history.get().history_user == fw.usncb_officer
    with pytest.raises(ValidationError):
        svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="DE")
    with pytest.raises(ValidationError) as err:
        svc.no_notice_decide(actor=fw.usncb_officer, case=case, country="FR", reason=NoNoticeReason.OTHER)
    assert "detail" in err.value.message_dict
    svc.foreign_notice_send(
        actor=fw.usncb_officer,
        notice=svc.foreign_notice_review(
            actor=fw.usncb_officer, notice=svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
        ),
    )
    with pytest.raises(ValidationError, match="already sent"):
        svc.no_notice_decide(actor=fw.usncb_officer, case=case, country="FR", reason=NoNoticeReason.TRAVEL_OVER)
    assert NoNoticeDecision.objects.count() == 1


def test_complaint_logged_worked_answered(fw):
    notice = sent_notice(fw)
    complaint = svc.complaint_log(
        actor=fw.usncb_officer,
        notice=notice,
        complainant="Counsel for the registrant",
        received_on=timezone.localdate(),
        description="The notice names the wrong destination city.",
    )
    with pytest.raises(ValidationError) as err:
        svc.complaint_transition(actor=fw.usncb_officer, complaint=complaint, to_status=ComplaintStatus.ANSWERED)
    assert "answer" in err.value.message_dict
    svc.complaint_transition(actor=fw.usncb_officer, complaint=complaint, to_status=ComplaintStatus.IN_PROGRESS)
    svc.complaint_transition(
        actor=fw.usncb_officer, complaint=complaint, to_status=ComplaintStatus.ANSWERED, answer="Corrected."
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.answer == "Corrected."
    with pytest.raises(ValidationError, match="cannot become"):
        svc.complaint_transition(actor=fw.usncb_officer, complaint=complaint, to_status=ComplaintStatus.IN_PROGRESS)
    statuses = [h.status for h in complaint.history.order_by("history_id")]
    assert statuses == ["received", "in_progress", "answered"]
    assert {h.history_user for h in complaint.history.all()} == {fw.usncb_officer}
    with pytest.raises(ValidationError) as err:
        svc.complaint_log(actor=fw.usncb_officer, notice=notice, complainant="", received_on=None, description="")
    assert {"complainant", "description", "received_on"} <= set(err.value.message_dict)


def test_inbound_notice_logged_with_clean_identity_fields(fw):
    inbound = svc.inbound_notice_log(
        actor=fw.usncb_officer,
        country="fr",
        foreign_reference="FR-2026-001",
        received_on=timezone.localdate(),
        given_name="Jean",
        surname="Dupont",
        aliases=["Jean Dupond"],
        date_of_birth=datetime(1970, 1, 2, tzinfo=UTC).date(),
        sex="M",
        nationality="FR",
        passport_number="12AB34567",
        passport_country="FR",
        arrival_date=timezone.localdate() + timedelta(days=5),
        port_of_entry="JFK",
    )
    assert inbound.country == "FR" and inbound.ncb == fw.ncb_fr and inbound.logged_by == fw.usncb_officer
    assert inbound.history.get().history_user == fw.usncb_officer
    with pytest.raises(ValidationError) as err:
        svc.inbound_notice_log(
            actor=fw.usncb_officer,
            country="ZZ",
            foreign_reference="X",
            received_on=timezone.localdate(),
            given_name="A",
            surname="B",
            passport_number="1",
            arrival_date=timezone.localdate(),
            departure_date=timezone.localdate() - timedelta(days=1),
        )
    assert {"country", "passport_country", "departure_date"} <= set(err.value.message_dict)
    with pytest.raises(PermissionDenied):
        svc.inbound_notice_log(actor=fw.analyst, country="FR")
    assert InboundForeignNotice.objects.count() == 1
