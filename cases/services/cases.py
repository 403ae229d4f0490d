"""Writes to cases: opening (from a travel notice or a confirmed hit), assignment, the vetting
checklist, notes, attachments, and every status change through one transition table.

White paper IV.A.3.b (NSOTC vets each notice and forwards it to USNCB); DESIGN.md "Core records"
(every state change is a recorded event)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.models import Registrant
from rsoits.audit import audited_service
from rsoits.choices import AgencyKind, Role
from rsoits.models import Agency, Membership
from rsoits.principal import principal_for

from ..choices import CaseDisposition, CaseOrigin, CasePriority, CaseStatus
from ..models import CHECKLIST_FIELDS, Case, CaseAttachment, CaseEvent, CaseNote, TravelNotice
from ..validators import sniff_content_type

S = CaseStatus


@dataclass(frozen=True)
class Transition:
    """One allowed status change. ``disposition`` is what the case records on reaching it."""

    source: str
    target: str
    label: str
    reason_required: bool = False
    checklist_required: bool = False
    supervisor_only: bool = False
    disposition: str | None = None


# The case workflow. Anything not listed here is refused. Vetting (white paper IV.A.3.b) ends in
# one disposition; a case closes after the trip (or when the notice is withdrawn); a supervisor
# may reopen a closed or decided case for more vetting.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.OPEN, S.IN_REVIEW, "Start vetting"),
    Transition(S.OPEN, S.CLOSED, "Close without vetting", reason_required=True),
    Transition(S.IN_REVIEW, S.OPEN, "Return to the queue", reason_required=True),
    Transition(
        S.IN_REVIEW, S.FORWARDED, "Forward to USNCB", checklist_required=True, disposition=CaseDisposition.FORWARD_USNCB
    ),
    # 34 U.S.C. 21503: every decision not to send a notice abroad is recorded with its reason.
    Transition(
        S.IN_REVIEW,
        S.NO_NOTICE,
        "No foreign notice warranted",
        reason_required=True,
        checklist_required=True,
        disposition=CaseDisposition.NO_FOREIGN_NOTICE,
    ),
    Transition(
        S.IN_REVIEW,
        S.REFERRED,
        "Refer for 18 U.S.C. 2250 investigation",
        reason_required=True,
        checklist_required=True,
        disposition=CaseDisposition.REFER_2250,
    ),
    Transition(
        S.IN_REVIEW,
        S.PASSPORT_DENIAL_REQUESTED,
        "Request passport denial",
        reason_required=True,
        checklist_required=True,
        disposition=CaseDisposition.PASSPORT_DENIAL,
    ),
    Transition(S.IN_REVIEW, S.CLOSED, "Close", reason_required=True),
    Transition(S.FORWARDED, S.CLOSED, "Close"),
    Transition(S.NO_NOTICE, S.CLOSED, "Close"),
    Transition(S.REFERRED, S.CLOSED, "Close"),
    Transition(S.PASSPORT_DENIAL_REQUESTED, S.CLOSED, "Close"),
    Transition(S.NO_NOTICE, S.IN_REVIEW, "Reopen for vetting", reason_required=True, supervisor_only=True),
    Transition(S.CLOSED, S.IN_REVIEW, "Reopen", reason_required=True, supervisor_only=True),
)

TRANSITION_TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == status]


# --- permission checks ---------------------------------------------------------------------


def _is_system(actor: Any) -> bool:
    """Seeding, imports and scheduled jobs run as the system (no actor)."""
    return actor is None


def _check_nsotc(actor: Any, message: str = "Only NSOTC analysts and supervisors work cases.") -> None:
    if _is_system(actor):
        return
    if not principal_for(actor).is_nsotc:
        raise PermissionDenied(message)


def _check_visible(actor: Any, case: Case, action: str = "view") -> None:
    if _is_system(actor):
        return
    if not Case.objects.visible_to(actor, action).filter(pk=case.pk).exists():
        raise PermissionDenied("You may not work on this case.")


def _check_contributor(actor: Any, case: Case) -> None:
    """Notes and attachments: NSOTC, and the SORA or USNCB officers who see the case. An
    installation LEA reads cases but does not write to them."""
    if _is_system(actor):
        return
    principal = principal_for(actor)
    if not (principal.is_nsotc or principal.sora_agency_ids or principal.is_usncb):
        raise PermissionDenied("Your role may read this case but not add to it.")
    _check_visible(actor, case)


def _locked(case: Case) -> Case:
    """The case row, locked for the rest of the transaction (two analysts never both move it)."""
    return Case.objects.select_for_update().get(pk=case.pk)


# --- priority and due date -----------------------------------------------------------------


def case_priority_for(*, registrant: Registrant, notice: TravelNotice | None, today: date | None = None):
    """The priority of a case and the reasons for it. A late notice, a fugitive and a travel
    prohibition are top priority (DESIGN.md "Time rules"); a departure within
    ``CASES_PRIORITY_NEAR_DAYS`` raises the priority."""
    today = today or timezone.localdate()
    reasons: list[str] = []
    fugitive = notice.fugitive_flag if notice is not None else registrant.is_fugitive
    prohibited = notice.travel_prohibited_flag if notice is not None else registrant.travel_prohibited
    if notice is not None and notice.is_late:
        reasons.append(f"late notice ({notice.days_of_notice} days)")
    if fugitive:
        reasons.append("fugitive (active warrant)")
    if prohibited:
        reasons.append("international travel prohibited")
    if reasons:
        return CasePriority.URGENT, reasons
    if notice is not None and (notice.departure_date - today).days <= settings.CASES_PRIORITY_NEAR_DAYS:
        return CasePriority.HIGH, [f"departure within {settings.CASES_PRIORITY_NEAR_DAYS} days"]
    return CasePriority.NORMAL, []


def case_due_date_for(*, notice: TravelNotice | None, today: date | None = None) -> date:
    """Vetting must finish before departure: ``CASES_DUE_DAYS_BEFORE_DEPARTURE`` days ahead of it,
    never earlier than today. A case opened by a hit is due ``CASES_HIT_DUE_DAYS`` from today."""
    today = today or timezone.localdate()
    if notice is None:
        return today + timedelta(days=settings.CASES_HIT_DUE_DAYS)
    return max(today, notice.departure_date - timedelta(days=settings.CASES_DUE_DAYS_BEFORE_DEPARTURE))


def _record_event(case: Case, source: str, target: str, actor: Any, reason: str) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, from_status=source, to_status=target, actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )  # fmt: skip


# --- opening -------------------------------------------------------------------------------


@transaction.atomic
@audited_service
def case_open_for_notice(*, actor: Any, notice: TravelNotice) -> Case:
    """The NSOTC case of a submitted travel notice; one per notice (a second call returns it)."""
    existing = Case.objects.filter(travel_notice=notice).first()
    if existing is not None:
        return existing
    priority, reasons = case_priority_for(registrant=notice.registrant, notice=notice)
    case = Case(
        registrant=notice.registrant,
        origin=CaseOrigin.TRAVEL_NOTICE,
        travel_notice=notice,
        priority=priority,
        priority_reasons=reasons,
        due_date=case_due_date_for(notice=notice),
    )
    case.full_clean()
    case.save()
    _record_event(case, "", S.OPEN, actor, f"Opened by travel notice #{notice.pk}.")
    return case


@transaction.atomic(savepoint=False)  # (called inside the hit's transaction: no savepoint)
@audited_service
def case_open_for_hit(*, actor: Any, registrant: Registrant, hit_id: int, reason: str, new_hit: bool = False) -> Case:
    """The NSOTC case of a confirmed hit (one per hit: a second call returns the first case).
    ``new_hit``: the hit was inserted in this transaction, so it has no case yet to look for."""
    existing = None if new_hit else Case.objects.filter(source_hit_id=hit_id).first()
    if existing is not None:
        return existing
    priority, reasons = case_priority_for(registrant=registrant, notice=None)
    case = Case(
        registrant=registrant,
        origin=CaseOrigin.HIT,
        source_hit_id=hit_id,
        priority=priority,
        priority_reasons=reasons,
        due_date=case_due_date_for(notice=None),
    )
    # The registrant is a row in hand, and one case per hit was checked just above (the hit's
    # decision holds its row lock; the case_one_per_hit constraint backs it): field checks only.
    case.full_clean(exclude=["registrant"], validate_unique=False, validate_constraints=False)
    case.save()
    _record_event(case, "", S.OPEN, actor, reason or f"Opened by confirmed hit #{hit_id}.")
    return case


@transaction.atomic
@audited_service
def case_refresh_from_notice(*, actor: Any, case: Case) -> Case:
    """Recompute priority and due date after the notice was amended (never lowers a priority a
    person raised by hand: only the computed reasons change)."""
    notice = case.travel_notice
    if notice is None:
        return case
    priority, reasons = case_priority_for(registrant=case.registrant, notice=notice)
    due = case_due_date_for(notice=notice)
    changed = False
    if priority > case.priority:
        case.priority, changed = priority, True
    if reasons != case.priority_reasons:
        case.priority_reasons, changed = reasons, True
    if case.status in S.active() and due != case.due_date:
        case.due_date, changed = due, True
    if changed:
        case.save()
    return case


# --- transitions ---------------------------------------------------------------------------


def _check_transition(case: Case, target: str, actor: Any, reason: str) -> Transition:
    if target not in S.values:
        raise ValidationError({"to_status": f"“{target}” is not a case status."})
    transition = TRANSITION_TABLE.get((case.status, target))
    if transition is None:
        allowed = ", ".join(S(t.target).label for t in transitions_from(case.status)) or "none"
        raise ValidationError(
            {
                "to_status": f"A case that is {S(case.status).label.lower()} cannot become "
                f"{S(target).label.lower()} (allowed: {allowed})."
            }
        )
    if transition.reason_required and not (reason or "").strip():
        raise ValidationError({"reason": f"Give the reason for “{transition.label}”."})
    if transition.checklist_required and not case.checklist_complete:
        missing = [Case._meta.get_field(name).verbose_name for name in CHECKLIST_FIELDS if not getattr(case, name)]
        raise ValidationError({"to_status": f"Finish the vetting checklist first: {', '.join(missing)}."})
    if transition.supervisor_only and not _is_system(actor) and Role.NSOTC_SUPERVISOR not in principal_for(actor).roles:
        raise PermissionDenied("Only an NSOTC supervisor may reopen a case.")
    return transition


def _apply_transition(case: Case, target: str, actor: Any, reason: str) -> Case:
    """Move a locked case along the table, with its event and history row."""
    transition = _check_transition(case, target, actor, reason)
    source = case.status
    case.status = target
    if transition.disposition:
        case.disposition = transition.disposition
    if target == S.CLOSED:
        case.closed_at = timezone.now()
        if not case.disposition:
            case.disposition = CaseDisposition.CLOSED
    if target == S.IN_REVIEW and source in (S.CLOSED, S.NO_NOTICE):
        case.closed_at = None
        case.disposition = ""
    if target == S.FORWARDED:
        case.forwarded_at = timezone.now()
    case._change_reason = (reason or transition.label)[:500]
    case.full_clean()
    case.save()
    _record_event(case, source, target, actor, reason)
    return case


@transaction.atomic
@audited_service
def case_transition(*, actor: Any, case: Case, to_status: str, reason: str = "") -> Case:
    """Change a case's status along ``TRANSITIONS``; anything else is refused with the reason.
    Forwarding and referral tell the agencies concerned (``case_forward``, ``case_referred``)."""
    _check_nsotc(actor)
    _check_visible(actor, case, "change")
    if to_status == S.FORWARDED:
        return case_forward(actor=actor, case=case, reason=reason)
    case = _locked(case)
    case = _apply_transition(case, to_status, actor, reason)
    if to_status == S.REFERRED:
        # 18 U.S.C. 2250: non-compliance goes to a USMS district for investigation.
        publish_event(
            event_type=EventType.CASE_REFERRED,
            registrant=case.registrant,
            actor=actor,
            source=case,
            context={"reason": reason, "countries": _countries(case)},
        )
    return case


def _countries(case: Case) -> list[str]:
    return case.travel_notice.countries() if case.travel_notice_id else []


def usncb_agencies() -> list[Agency]:
    return list(Agency.objects.filter(kind=AgencyKind.USNCB, active=True))


def _share_with_usncb(case: Case) -> None:
    """USNCB sees a case once it is forwarded, with its registrant and travel notice: a view
    permission for the USNCB agency's group on each (read through ``visible_to``)."""
    from guardian.shortcuts import assign_perm

    from rsoits.services import agency_group

    for agency in usncb_agencies():
        group = agency_group(agency)
        assign_perm("cases.view_case", group, case)
        assign_perm("registrants.view_registrant", group, case.registrant)
        if case.travel_notice_id:
            assign_perm("cases.view_travelnotice", group, case.travel_notice)


@transaction.atomic
@audited_service
def case_forward(*, actor: Any, case: Case, reason: str = "") -> Case:
    """Forward a vetted case to USNCB (white paper IV.A.3.b): it lands in USNCB's queue, USNCB may
    read the case, its notice and the registrant, and ``case_forwarded`` is published."""
    _check_nsotc(actor, "Only NSOTC forwards cases to USNCB.")
    _check_visible(actor, case, "change")
    if not usncb_agencies():
        raise ValidationError({"to_status": "No active USNCB agency is set up to receive the case."})
    case = _locked(case)
    case = _apply_transition(case, S.FORWARDED, actor, reason)
    _share_with_usncb(case)
    publish_event(
        event_type=EventType.CASE_FORWARDED,
        registrant=case.registrant,
        actor=actor,
        source=case,
        context={"countries": _countries(case), "reason": reason},
    )
    return case


@transaction.atomic
@audited_service
def case_close_for_notice(*, actor: Any, case: Case, reason: str) -> Case:
    """Close the case of a notice that ended (return recorded, notice cancelled). The caller has
    checked the actor's right over the notice; the transition table still applies."""
    case = _locked(case)
    if case.status == S.CLOSED:
        return case
    return _apply_transition(case, S.CLOSED, actor, reason)


# --- assignment, checklist, notes, attachments ----------------------------------------------


def nsotc_assignees() -> Any:
    """Users who may be given a case: active NSOTC analysts and supervisors."""
    from rsoits.models import User

    members = Membership.objects.filter(
        role__in=Role.nsotc_roles(), active=True, agency__active=True, agency__kind=AgencyKind.NSOTC
    ).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True).order_by("username")


def _check_assign(actor: Any, assignee: Any) -> None:
    if assignee is not None and not nsotc_assignees().filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": f"{assignee} is not an NSOTC analyst or supervisor."})
    if _is_system(actor):
        return
    principal = principal_for(actor)
    _check_nsotc(actor, "Only NSOTC assigns cases.")
    if Role.NSOTC_SUPERVISOR not in principal.roles and (assignee is None or assignee.pk != actor.pk):
        raise PermissionDenied("An analyst may take a case; only a supervisor assigns cases to others.")


@transaction.atomic
@audited_service
def case_assign(*, actor: Any, case: Case, assignee: Any) -> Case:
    """Give a case to an NSOTC analyst or supervisor (``None`` puts it back in the queue)."""
    _check_assign(actor, assignee)
    _check_visible(actor, case, "change")
    case = _locked(case)
    if case.status == S.CLOSED:
        raise ValidationError({"assignee": "A closed case is not assigned; reopen it first."})
    if case.assignee_id != (assignee.pk if assignee else None):
        case.assignee = assignee
        case._change_reason = f"Assigned to {assignee.username}" if assignee else "Unassigned"
        case.save()
    return case


@transaction.atomic
@audited_service
def case_bulk_assign(*, actor: Any, cases: Iterable[Case], assignee: Any) -> list[Case]:
    """Assign several cases at once; all or none (one refused case refuses the batch)."""
    _check_assign(actor, assignee)
    return [case_assign(actor=actor, case=case, assignee=assignee) for case in cases]


@transaction.atomic
@audited_service
def case_update_checklist(*, actor: Any, case: Case, **items: bool) -> Case:
    """Tick or untick vetting checklist items (NCIC Wanted, NSOR, compliance, court conditions)."""
    unknown = set(items) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValidationError({name: "Not a checklist item." for name in sorted(unknown)})
    _check_nsotc(actor)
    _check_visible(actor, case, "change")
    case = _locked(case)
    if case.status not in S.active():
        raise ValidationError({"__all__": "The checklist can change only while the case is being vetted."})
    changed = [name for name, value in items.items() if getattr(case, name) != bool(value)]
    for name in changed:
        setattr(case, name, bool(items[name]))
    if changed:
        case._change_reason = "Checklist updated"
        case.save()
    return case


@transaction.atomic
@audited_service
def case_add_note(*, actor: Any, case: Case, body: str) -> CaseNote:
    _check_contributor(actor, case)
    note = CaseNote(case=case, author=actor, body=(body or "").strip())
    note.full_clean()
    note.save()
    return note


@transaction.atomic
@audited_service
def case_add_attachment(*, actor: Any, case: Case, file: Any, description: str = "") -> CaseAttachment:
    """Attach a document after checking its size and its real content type (not the name)."""
    _check_contributor(actor, case)
    name = (getattr(file, "name", "") or "attachment").rsplit("/", 1)[-1][:200]
    attachment = CaseAttachment(
        case=case,
        file=file,
        original_name=name,
        content_type=(getattr(file, "content_type", "") or "")[:100],
        size=getattr(file, "size", None) or 0,
        description=description,
        uploaded_by=actor,
    )
    attachment.full_clean()  # size and content type (CaseAttachment.clean)
    attachment.content_type = sniff_content_type(file)  # what the bytes are, not what was claimed
    attachment.save()
    return attachment
