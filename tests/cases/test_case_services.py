"""Case services: the transition table (every pair outside it refused), the rules on each
transition, assignment, checklist, notes, attachments, forwarding to USNCB and cases from hits."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases.choices import CaseDisposition, CaseOrigin, CaseStatus
from cases.models import Case, CaseAttachment, CaseEvent, CaseNote
from cases.services import (
    TRANSITION_TABLE,
    case_add_attachment,
    case_add_note,
    case_assign,
    case_bulk_assign,
    case_forward,
    case_open_for_hit,
    case_transition,
    case_update_checklist,
)
from registrants.models import Registrant
from tests.cases.factories_travel import ALL_CHECKS, file_notice, make_registrant, vetted_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def put_in_status(world, case: Case, status: str) -> Case:
    """Bring a case to ``status`` the way people would."""
    if status == CaseStatus.OPEN:
        return case
    case = case_transition(actor=world.analyst, case=case, to_status=CaseStatus.IN_REVIEW)
    if status == CaseStatus.IN_REVIEW:
        return case
    case = case_update_checklist(actor=world.analyst, case=case, **ALL_CHECKS)
    if status == CaseStatus.CLOSED:
        return case_transition(actor=world.analyst, case=case, to_status=CaseStatus.CLOSED, reason="done")
    return case_transition(actor=world.analyst, case=case, to_status=status, reason="decided")


@pytest.fixture
def new_case(world):
    def make():
        return file_notice(world.va_staff, make_registrant(world.va)).cases.get()

    return make


ILLEGAL = [
    (source, target)
    for source, target in itertools.product(CaseStatus.values, CaseStatus.values)
    if (source, target) not in TRANSITION_TABLE
]


def test_the_table_leaves_no_status_stranded():
    sources = {s for s, _ in TRANSITION_TABLE}
    assert set(CaseStatus.values) <= sources  # every status has a way out
    assert all(target != CaseStatus.OPEN or source == CaseStatus.IN_REVIEW for source, target in TRANSITION_TABLE)


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused(world, new_case, source, target):
    case = put_in_status(world, new_case(), source)
    events = case.events.count()
    with pytest.raises(ValidationError) as excinfo:
        case_transition(actor=world.supervisor, case=case, to_status=target, reason="trying")
    message = excinfo.value.message_dict["to_status"][0]
    assert "cannot become" in message
    case.refresh_from_db()
    assert case.status == source
    assert case.events.count() == events


def test_unknown_status_refused(world, new_case):
    with pytest.raises(ValidationError) as excinfo:
        case_transition(actor=world.analyst, case=new_case(), to_status="vanished")
    assert "to_status" in excinfo.value.message_dict


def test_each_transition_records_an_event_and_history(world, new_case):
    case = new_case()
    case = case_transition(actor=world.analyst, case=case, to_status=CaseStatus.IN_REVIEW, reason="starting")
    event = case.events.latest("at")
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        CaseStatus.OPEN,
        CaseStatus.IN_REVIEW,
        world.analyst,
        "starting",
    )
    record = case.history.latest("history_id")
    assert record.history_user == world.analyst and record.status == CaseStatus.IN_REVIEW
    assert record.history_change_reason == "starting"


def test_dispositions_need_the_checklist(world, new_case):
    case = case_transition(actor=world.analyst, case=new_case(), to_status=CaseStatus.IN_REVIEW)
    case = case_update_checklist(actor=world.analyst, case=case, ncic_wanted_checked=True)
    with pytest.raises(ValidationError) as excinfo:
        case_transition(actor=world.analyst, case=case, to_status=CaseStatus.NO_NOTICE, reason="no risk")
    assert "NSOR record verified" in excinfo.value.message_dict["to_status"][0]
    with pytest.raises(ValidationError):
        case_forward(actor=world.analyst, case=case)


@pytest.mark.parametrize(
    "target", [CaseStatus.NO_NOTICE, CaseStatus.REFERRED, CaseStatus.PASSPORT_DENIAL_REQUESTED, CaseStatus.CLOSED]
)
def test_reason_required(world, new_case, target):
    case = vetted_case(world, new_case().travel_notice)
    with pytest.raises(ValidationError) as excinfo:
        case_transition(actor=world.analyst, case=case, to_status=target, reason="  ")
    assert "reason" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("target", "disposition"),
    [
        (CaseStatus.NO_NOTICE, CaseDisposition.NO_FOREIGN_NOTICE),
        (CaseStatus.REFERRED, CaseDisposition.REFER_2250),
        (CaseStatus.PASSPORT_DENIAL_REQUESTED, CaseDisposition.PASSPORT_DENIAL),
    ],
)
def test_dispositions_recorded_and_kept_on_close(world, new_case, target, disposition):
    case = vetted_case(world, new_case().travel_notice)
    case = case_transition(actor=world.analyst, case=case, to_status=target, reason="decided")
    assert case.disposition == disposition
    case = case_transition(actor=world.analyst, case=case, to_status=CaseStatus.CLOSED)
    assert case.disposition == disposition and case.closed_at


def test_referral_is_published(world, new_case, published):
    case = vetted_case(world, new_case().travel_notice)
    case_transition(actor=world.analyst, case=case, to_status=CaseStatus.REFERRED, reason="not registered abroad")
    referred = published.of("case_referred")
    assert len(referred) == 1 and referred[0]["source"] == case and referred[0]["actor"] == world.analyst


def test_reopen_is_for_supervisors(world, new_case):
    case = put_in_status(world, new_case(), CaseStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        case_transition(actor=world.analyst, case=case, to_status=CaseStatus.IN_REVIEW, reason="new facts")
    case = case_transition(actor=world.supervisor, case=case, to_status=CaseStatus.IN_REVIEW, reason="new facts")
    assert case.status == CaseStatus.IN_REVIEW and case.disposition == "" and case.closed_at is None


@pytest.mark.parametrize("who", ["va_staff", "md_staff", "usncb_officer", "lea_officer", "sysadmin"])
def test_only_nsotc_moves_cases(world, new_case, who):
    with pytest.raises(PermissionDenied):
        case_transition(actor=getattr(world, who), case=new_case(), to_status=CaseStatus.IN_REVIEW)


# --- forwarding -------------------------------------------------------------------------------


def test_forward_shares_with_usncb_and_publishes(world, new_case, published):
    case = new_case()
    registrant, notice = case.registrant, case.travel_notice
    assert not Case.objects.visible_to(world.usncb_officer).exists()
    assert not Registrant.objects.visible_to(world.usncb_officer).exists()
    case = vetted_case(world, notice)
    case = case_forward(actor=world.analyst, case=case, reason="vetted")
    assert case.status == CaseStatus.FORWARDED and case.disposition == CaseDisposition.FORWARD_USNCB
    assert case.forwarded_at
    assert list(Case.objects.visible_to(world.usncb_officer)) == [case]
    assert list(Registrant.objects.visible_to(world.usncb_officer)) == [registrant]
    assert list(notice.__class__.objects.visible_to(world.usncb_officer)) == [notice]
    # read-only: the share is a view permission
    assert not Case.objects.visible_to(world.usncb_officer, "change").exists()
    assert not Registrant.objects.visible_to(world.usncb_officer, "change").exists()
    forwarded = published.of("case_forwarded")
    assert len(forwarded) == 1 and forwarded[0]["context"]["countries"] == ["FR"]


def test_forward_through_the_transition(world, new_case, published):
    case = vetted_case(world, new_case().travel_notice)
    case = case_transition(actor=world.analyst, case=case, to_status=CaseStatus.FORWARDED)
    assert case.status == CaseStatus.FORWARDED
    assert Case.objects.visible_to(world.usncb_officer).filter(pk=case.pk).exists()


def test_forward_refused_outside_review(world, new_case):
    with pytest.raises(ValidationError):
        case_forward(actor=world.analyst, case=new_case())
    with pytest.raises(PermissionDenied):
        case_forward(actor=world.va_staff, case=new_case())


# --- assignment -------------------------------------------------------------------------------


def test_supervisor_assigns_anyone_analyst_only_self(world, new_case):
    case = new_case()
    case = case_assign(actor=world.supervisor, case=case, assignee=world.analyst)
    assert case.assignee == world.analyst
    assert case.history.latest("history_id").history_user == world.supervisor
    with pytest.raises(PermissionDenied):
        case_assign(actor=world.analyst, case=case, assignee=world.supervisor)
    other = case_assign(actor=world.analyst, case=new_case(), assignee=world.analyst)
    assert other.assignee == world.analyst


def test_assignee_must_be_nsotc(world, new_case):
    with pytest.raises(ValidationError) as excinfo:
        case_assign(actor=world.supervisor, case=new_case(), assignee=world.va_staff)
    assert "assignee" in excinfo.value.message_dict


def test_sora_cannot_assign(world, new_case):
    with pytest.raises(PermissionDenied):
        case_assign(actor=world.va_staff, case=new_case(), assignee=world.analyst)


def test_bulk_assign_all_or_none(world, new_case):
    cases = [new_case(), new_case()]
    done = case_bulk_assign(actor=world.supervisor, cases=cases, assignee=world.analyst)
    assert {c.assignee_id for c in done} == {world.analyst.pk}
    closed = put_in_status(world, new_case(), CaseStatus.CLOSED)
    fresh = new_case()
    with pytest.raises(ValidationError):
        case_bulk_assign(actor=world.supervisor, cases=[fresh, closed], assignee=world.supervisor)
    fresh.refresh_from_db()
    assert fresh.assignee is None  # nothing half-written


# --- checklist, notes, attachments -------------------------------------------------------------


def test_checklist(world, new_case):
    case = new_case()
    case = case_update_checklist(actor=world.analyst, case=case, nsor_verified=True)
    assert case.nsor_verified and not case.checklist_complete
    record = case.history.latest("history_id")
    assert record.history_user == world.analyst and record.history_change_reason == "Checklist updated"
    with pytest.raises(ValidationError):
        case_update_checklist(actor=world.analyst, case=case, wanted=True)
    with pytest.raises(PermissionDenied):
        case_update_checklist(actor=world.va_staff, case=case, nsor_verified=False)
    closed = put_in_status(world, new_case(), CaseStatus.CLOSED)
    with pytest.raises(ValidationError):
        case_update_checklist(actor=world.analyst, case=closed, nsor_verified=False)


def test_notes(world, new_case):
    case = new_case()
    note = case_add_note(actor=world.va_staff, case=case, body="Registrant called")
    assert note.author == world.va_staff and note.history.get().history_user == world.va_staff
    with pytest.raises(ValidationError) as excinfo:
        case_add_note(actor=world.analyst, case=case, body="   ")
    assert "body" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        case_add_note(actor=world.md_staff, case=case, body="not mine")
    with pytest.raises(PermissionDenied):
        case_add_note(actor=world.lea_officer, case=case, body="read only")
    assert CaseNote.objects.count() == 1


def test_attachment_accepted(world, new_case):
    case = new_case()
    upload = SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf")
    attachment = case_add_attachment(actor=world.analyst, case=case, file=upload, description="Court order")
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert attachment.original_name == "order.pdf"
    assert "order" not in attachment.file.name  # stored under a random name
    assert attachment.history.get().history_user == world.analyst


def test_attachment_type_checked_by_content(world, new_case):
    case = new_case()
    fake = SimpleUploadedFile("order.pdf", b"MZ\x90\x00\x03\x00\x00\x00" * 10, content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        case_add_attachment(actor=world.analyst, case=case, file=fake)
    assert "not accepted" in excinfo.value.message_dict["file"][0]
    lying = SimpleUploadedFile("notes.txt", PDF, content_type="text/plain")
    with pytest.raises(ValidationError) as excinfo:
        case_add_attachment(actor=world.analyst, case=case, file=lying)
    assert "content is application/pdf" in excinfo.value.message_dict["file"][0]
    assert not CaseAttachment.objects.exists()


@override_settings(CASE_ATTACHMENT_MAX_BYTES=20)
def test_attachment_size_checked(world, new_case):
    upload = SimpleUploadedFile("big.txt", b"x" * 21, content_type="text/plain")
    with pytest.raises(ValidationError) as excinfo:
        case_add_attachment(actor=world.analyst, case=new_case(), file=upload)
    assert "limit" in excinfo.value.message_dict["file"][0]
    ok = SimpleUploadedFile("small.txt", b"x" * 20, content_type="text/plain")
    assert case_add_attachment(actor=world.analyst, case=new_case(), file=ok).size == 20


# --- cases from hits ---------------------------------------------------------------------------


def test_case_open_for_hit_is_idempotent(world):
    registrant = make_registrant(world.va, warrants=[{"issuing_agency_name": "PD", "number": "W9"}])
    case = case_open_for_hit(actor=world.analyst, registrant=registrant, hit_id=77, reason="Passport application")
    again = case_open_for_hit(actor=world.analyst, registrant=registrant, hit_id=77, reason="again")
    assert case == again and Case.objects.count() == 1
    assert case.origin == CaseOrigin.HIT and case.travel_notice is None and case.source_hit_id == 77
    assert case.priority_reasons == ["fugitive (active warrant)"]
    assert CaseEvent.objects.get(case=case).reason == "Passport application"
    assert case.due_date is not None
