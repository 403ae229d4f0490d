"""Passport actions: who may request, the transition table to State's answer, documents checked
for size and type, the event published, history on every change, and who sees what."""

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases.choices_foreign import PassportActionKind, PassportActionStatus, PassportLegalBasis
from cases.models import PassportAction, PassportActionDocument
from cases.services import passport as svc
from tests.cases.factories_foreign import make_registrant

pytestmark = pytest.mark.django_db

P = PassportActionStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="order.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def denial(world, actor=None, registrant=None, **extra):
    registrant = registrant or make_registrant(world)
    fields = {
        "kind": PassportActionKind.DENIAL,
        "legal_basis": PassportLegalBasis.PAROLE,
        "basis_reference": "Parole order 2026-17",
        "justification": "Parole prohibits international travel.",
    }
    fields.update(extra)
    return svc.passport_action_request(actor=actor or world.va_staff, registrant=registrant, **fields)


def test_request_with_document_publishes_and_records_history(world):
    registrant = make_registrant(world)
    with mock.patch("cases.services.passport.publish_event") as publish:
        action = denial(world, registrant=registrant, documents=[pdf()])
    assert action.requesting_agency == world.va and action.requested_by == world.va_staff
    assert action.status == P.REQUESTED
    document = action.documents.get()
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert document.original_name == "order.pdf" and "order" not in document.file.name
    assert publish.call_args.kwargs["event_type"] == "passport_action_requested"
    assert publish.call_args.kwargs["registrant"] == registrant
    assert action.history.get().history_user == world.va_staff
    assert document.history.get().history_user == world.va_staff


def test_denial_needs_legal_basis_and_reference(world):
    with pytest.raises(ValidationError) as err:
        denial(world, legal_basis="", basis_reference="")
    assert {"legal_basis", "basis_reference"} <= set(err.value.message_dict)
    lookout = svc.passport_action_request(
        actor=world.va_staff, registrant=make_registrant(world), kind=PassportActionKind.CLASS_LOOKOUT
    )
    assert lookout.legal_basis == ""


def test_bad_document_refused_and_nothing_written(world):
    registrant = make_registrant(world)
    with pytest.raises(ValidationError) as err:
        denial(world, registrant=registrant, documents=[pdf("x.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")])
    assert "documents[0]" in err.value.message_dict
    with override_settings(CASE_ATTACHMENT_MAX_BYTES=10), pytest.raises(ValidationError, match="limit"):
        denial(world, registrant=registrant, documents=[pdf()])
    assert not PassportAction.objects.exists() and not PassportActionDocument.objects.exists()


def test_who_may_request(world):
    va_registrant = make_registrant(world)
    with pytest.raises(PermissionDenied):
        denial(world, actor=world.md_staff, registrant=va_registrant)  # not their registrant
    for user in (world.usncb_officer, world.lea_officer, world.va_admin, world.auditor, world.sysadmin):
        with pytest.raises(PermissionDenied):
            denial(world, actor=user, registrant=va_registrant)
    with pytest.raises(ValidationError) as err:
        denial(world, registrant=va_registrant, requesting_agency=world.md)
    assert "requesting_agency" in err.value.message_dict
    by_nsotc = denial(world, actor=world.analyst, registrant=va_registrant)
    assert by_nsotc.requesting_agency == world.nsotc
    assert PassportAction.objects.count() == 1


def test_transitions_to_states_answer(world):
    action = denial(world)
    action = svc.passport_action_transition(
        actor=world.va_staff, action=action, to_status=P.SUBMITTED, state_reference="CA-PPT-991"
    )
    assert action.status == P.SUBMITTED and action.submitted_at and action.state_reference == "CA-PPT-991"
    with pytest.raises(ValidationError) as err:
        svc.passport_action_transition(actor=world.va_staff, action=action, to_status=P.GRANTED)
    assert "note" in err.value.message_dict
    action = svc.passport_action_transition(
        actor=world.va_staff, action=action, to_status=P.GRANTED, note="Passport application denied 22 CFR 51.60"
    )
    assert action.status == P.GRANTED and action.decided_at
    statuses = [h.status for h in action.history.order_by("history_id")]
    assert statuses == [P.REQUESTED, P.SUBMITTED, P.GRANTED]
    assert {h.history_user for h in action.history.all()} == {world.va_staff}


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (P.REQUESTED, P.GRANTED),
        (P.REQUESTED, P.DENIED),
        (P.REQUESTED, P.REQUESTED),
        (P.SUBMITTED, P.REQUESTED),
        (P.SUBMITTED, P.SUBMITTED),
        (P.GRANTED, P.WITHDRAWN),
        (P.GRANTED, P.DENIED),
        (P.DENIED, P.SUBMITTED),
        (P.WITHDRAWN, P.SUBMITTED),
        (P.WITHDRAWN, P.REQUESTED),
        (P.REQUESTED, "bogus"),
    ],
)
def test_illegal_transitions_refused(world, start, target):
    action = denial(world)
    PassportAction.objects.filter(pk=action.pk).update(status=start)
    with pytest.raises(ValidationError) as err:
        svc.passport_action_transition(actor=world.va_staff, action=action, to_status=target, note="x")
    assert "cannot become" in err.value.message_dict["to_status"][0]
    action.refresh_from_db()
    assert action.status == start


def test_only_requesting_agency_changes(world):
    action = denial(world)
    for user in (world.md_staff, world.analyst, world.usncb_officer, world.lea_officer):
        with pytest.raises(PermissionDenied):
            svc.passport_action_transition(actor=user, action=action, to_status=P.WITHDRAWN, note="x")
        with pytest.raises(PermissionDenied):
            svc.passport_action_add_document(actor=user, action=action, file=pdf())
    svc.passport_action_add_document(actor=world.va_staff, action=action, file=pdf(), description="Parole terms")
    assert PassportActionDocument.objects.filter(action=action).count() == 1


def test_scoping_for_every_role(world):
    va_own = denial(world)
    md_registrant = make_registrant(world, agency=world.md)
    md_own = denial(world, actor=world.md_staff, registrant=md_registrant)
    # NSOTC asks about a VA registrant: VA sees it (its registrant), MD does not.
    nsotc_on_va = denial(world, actor=world.analyst, registrant=va_own.registrant)
    visible = {
        user: set(PassportAction.objects.visible_to(user).values_list("pk", flat=True))
        for user in (
            world.va_staff, world.md_staff, world.analyst, world.supervisor, world.usncb_officer, world.lea_officer,
            world.va_admin, world.sysadmin, world.auditor,
        )
    }  # fmt: skip
    assert visible[world.va_staff] == {va_own.pk, nsotc_on_va.pk}
    assert visible[world.md_staff] == {md_own.pk}
    assert visible[world.analyst] == visible[world.supervisor] == {va_own.pk, md_own.pk, nsotc_on_va.pk}
    for user in (world.usncb_officer, world.lea_officer, world.va_admin, world.sysadmin, world.auditor):
        assert visible[user] == set()
    changeable = set(PassportAction.objects.visible_to(world.va_staff, "change").values_list("pk", flat=True))
    assert changeable == {va_own.pk}
    assert set(PassportAction.objects.visible_to(world.analyst, "change").values_list("pk", flat=True)) == {
        nsotc_on_va.pk
    }


def test_case_link_must_be_a_visible_case_of_the_registrant(world):
    from tests.cases.factories_foreign import make_forwarded_case

    va_case = make_forwarded_case(world)
    md_case = make_forwarded_case(world, registrant=make_registrant(world, agency=world.md))
    with pytest.raises(ValidationError) as err:
        denial(world, registrant=va_case.registrant, case=md_case)
    assert "case" in err.value.message_dict
    action = denial(world, registrant=va_case.registrant, case=va_case)
    assert action.case == va_case
