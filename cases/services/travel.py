"""Writes to travel notices: filing (as a draft or submitted at once), submission (which opens the
NSOTC case and tells the agencies), amendment, cancellation, and the return after the trip.

White paper IV.A.2 (the registrant's 21-day advance notice to the SORA) and IV.A.3.b (the SORA
sends it to NSOTC); DTM 15-003 attachment 3 section 4; 34 U.S.C. 20914(a)(7)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.choices import AddressKind, RegistrationStatus
from registrants.models import Registrant
from registrants.services import registrant_update
from rsoits.audit import audited_service
from rsoits.choices import AgencyKind
from rsoits.models import Agency
from rsoits.principal import principal_for

from ..choices import ReturnOutcome, TravelNoticeStatus, TravelPurpose
from ..models import ItineraryLeg, TravelNotice
from .cases import case_close_for_notice, case_open_for_notice, case_refresh_from_notice
from .dod import dod_filing_agency

NOTICE_FIELDS = {
    "date_given",
    "departure_date",
    "return_date",
    "purpose",
    "purpose_detail",
    "passport_number",
    "passport_country",
    "companions",
    "means_of_travel",
    "late_reason",
    "late_reason_detail",
}
LEG_FIELDS = {
    "country",
    "city",
    "arrival_date",
    "departure_date",
    "address",
    "carrier",
    "flight_numbers",
    "port_of_departure",
    "port_of_entry",
}
T = TravelNoticeStatus

# The life of a notice. Editing a draft is not a status change; an amended notice may be amended
# again. Anything not listed is refused.
NOTICE_TRANSITIONS: dict[str, set[str]] = {
    T.DRAFT: {T.SUBMITTED, T.CANCELLED},
    T.SUBMITTED: {T.AMENDED, T.CANCELLED, T.COMPLETED},
    T.AMENDED: {T.AMENDED, T.CANCELLED, T.COMPLETED},
    T.CANCELLED: set(),
    T.COMPLETED: set(),
}
_VERBS = {T.SUBMITTED: "submitted", T.AMENDED: "amended", T.CANCELLED: "cancelled", T.COMPLETED: "completed"}


def _check_notice_transition(notice: TravelNotice, target: str) -> None:
    if target not in NOTICE_TRANSITIONS.get(notice.status, set()):
        raise ValidationError(
            {"status": f"A notice that is {T(notice.status).label.lower()} cannot be {_VERBS.get(target, target)}."}
        )


# --- checks ---------------------------------------------------------------------------------


def _check_registrant(actor: Any, registrant: Registrant) -> Agency:
    """A SORA files notices only for registrants of its own jurisdiction (those it may change).
    A DoD component that learns of an affiliated registrant's travel or move overseas reports it
    for a registrant on its installation (DTM 15-003 att. 3, 4.d). Returns the filing agency."""
    if actor is None:
        return registrant.registering_agency
    if principal_for(actor).sora_agency_ids:
        if not Registrant.objects.visible_to(actor, "change").filter(pk=registrant.pk).exists():
            raise ValidationError({"registrant": "This registrant is not registered in your jurisdiction."})
        return registrant.registering_agency
    dod = dod_filing_agency(actor)
    if dod is None:
        raise PermissionDenied("Only registration agency (SORA) staff or DoD law enforcement file travel notices.")
    if not Registrant.objects.visible_to(actor).filter(pk=registrant.pk).exists():
        raise ValidationError({"registrant": "This registrant does not live or work on your installation."})
    return dod


def _check_can_change(actor: Any, notice: TravelNotice) -> None:
    if actor is None:
        return
    if not TravelNotice.objects.visible_to(actor, "change").filter(pk=notice.pk).exists():
        raise PermissionDenied("You may not change this travel notice.")


def _split(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - NOTICE_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    return fields


def _leg_errors(notice: TravelNotice, legs: list[ItineraryLeg], *, require_legs: bool) -> dict[str, list[str]]:
    """Each leg valid, inside the trip and after the one before it (errors named ``legs[i].field``)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if require_legs and not legs:
        add("legs", "Give at least one stop of the itinerary (country and arrival date).")
    previous: ItineraryLeg | None = None
    for index, leg in enumerate(legs):
        prefix = f"legs[{index}]"
        try:
            leg.full_clean(exclude=["notice"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    add(f"{prefix}.{field}", message)
        if leg.arrival_date and notice.departure_date and leg.arrival_date < notice.departure_date:
            add(f"{prefix}.arrival_date", "The arrival is before the departure date of the trip.")
        if notice.return_date:
            if leg.arrival_date and leg.arrival_date > notice.return_date:
                add(f"{prefix}.arrival_date", "The arrival is after the return date of the trip.")
            if leg.departure_date and leg.departure_date > notice.return_date:
                add(f"{prefix}.departure_date", "The departure from this stop is after the return date of the trip.")
        if previous is not None and leg.arrival_date:
            before = previous.departure_date or previous.arrival_date
            if before and leg.arrival_date < before:
                add(f"{prefix}.arrival_date", f"Stops must be in order: this arrival is before stop {index}'s dates.")
        previous = leg
    return errors


def _build_legs(notice: TravelNotice, rows: list[dict[str, Any]]) -> list[ItineraryLeg]:
    legs = []
    for index, row in enumerate(rows):
        unknown = set(row) - LEG_FIELDS - {"id", "order"}
        if unknown:
            raise ValidationError({f"legs[{index}].{name}": "Unknown field." for name in sorted(unknown)})
        values = {k: v for k, v in row.items() if k in LEG_FIELDS}
        if isinstance(values.get("country"), str):
            values["country"] = values["country"].strip().upper()
        legs.append(ItineraryLeg(notice=notice, order=index + 1, **values))
    return legs


def _validate(notice: TravelNotice, legs: list[ItineraryLeg], *, require_legs: bool) -> None:
    """Every error at once, each named by its field, before anything is written."""
    errors: dict[str, list[str]] = {}
    try:
        notice.full_clean(exclude=["registrant", "agency", "filed_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for key, messages in _leg_errors(notice, legs, require_legs=require_legs).items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _save_legs(notice: TravelNotice, legs: list[ItineraryLeg]) -> None:
    """Make the stored legs equal to ``legs`` position by position: unchanged stops are left
    alone, so history shows what an amendment actually changed."""
    existing = list(notice.legs.order_by("order", "id"))
    for index, leg in enumerate(legs):
        if index < len(existing):
            stored = existing[index]
            changed = False
            for field in (*LEG_FIELDS, "order"):
                value = getattr(leg, field)
                if getattr(stored, field) != value:
                    setattr(stored, field, value)
                    changed = True
            if changed:
                stored.save()
        else:
            leg.notice = notice
            leg.save()
    for stale in existing[len(legs) :]:
        stale.delete()


# --- filing ----------------------------------------------------------------------------------


@transaction.atomic
@audited_service
def travel_notice_create(
    *, actor: Any, registrant: Registrant, legs: list[dict[str, Any]] | None = None, submit: bool = False, **fields: Any
) -> TravelNotice:
    """File a travel notice for a registrant of the actor's jurisdiction, as a draft or (``submit``)
    submitted at once. ``legs`` are dicts of itinerary fields, in travel order."""
    agency = _check_registrant(actor, registrant)
    notice = TravelNotice(
        registrant=registrant,
        agency=agency,
        filed_by=actor if getattr(actor, "pk", None) else None,
        status=T.DRAFT,
        **_split(fields),
    )
    built = _build_legs(notice, legs or [])
    _validate(notice, built, require_legs=submit)
    notice.save()
    _save_legs(notice, built)
    if submit:
        notice = travel_notice_submit(actor=actor, notice=notice)
    return notice


@transaction.atomic
@audited_service
def travel_notice_update(
    *, actor: Any, notice: TravelNotice, legs: list[dict[str, Any]] | None = None, **fields: Any
) -> TravelNotice:
    """Change a draft. A submitted notice changes only through ``travel_notice_amend``."""
    _check_can_change(actor, notice)
    notice = TravelNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != T.DRAFT:
        raise ValidationError({"status": "Only a draft is edited; amend a submitted notice, giving the reason."})
    for name, value in _split(fields).items():
        setattr(notice, name, value)
    built = _build_legs(notice, legs) if legs is not None else list(notice.legs.all())
    _validate(notice, built, require_legs=False)
    notice.save()
    if legs is not None:
        _save_legs(notice, built)
    return notice


@transaction.atomic
@audited_service
def travel_notice_submit(*, actor: Any, notice: TravelNotice) -> TravelNotice:
    """Send a draft to NSOTC: flag it, open its case at once (white paper IV.A.3.b), tell the
    agencies, and apply a move, job or school abroad to the registrant (SORNA)."""
    _check_can_change(actor, notice)
    notice = TravelNotice.objects.select_for_update().select_related("registrant").get(pk=notice.pk)
    _check_notice_transition(notice, T.SUBMITTED)
    legs = list(notice.legs.all())
    _validate(notice, legs, require_legs=True)
    registrant = notice.registrant
    # The flags record the registrant's state when the notice reached NSOTC.
    notice.travel_prohibited_flag = registrant.travel_prohibited
    notice.fugitive_flag = registrant.is_fugitive
    notice.status = T.SUBMITTED
    notice.submitted_at = timezone.now()
    notice._change_reason = "Submitted to NSOTC"
    notice.save()
    case = case_open_for_notice(actor=actor, notice=notice)
    countries = notice.countries()
    # DTM 15-003 att. 3, 4.d: a DoD component's report goes to the state registry and NSOTC.
    reported_by_dod = notice.agency.kind not in AgencyKind.sora_kinds()
    publish_event(
        event_type=EventType.TRAVEL_REPORTED_BY_DOD if reported_by_dod else EventType.TRAVEL_NOTICE_SUBMITTED,
        registrant=registrant,
        actor=actor,
        source=notice,
        context={
            "countries": countries,
            "case_id": case.pk,
            "late": notice.is_late,
            "days_of_notice": notice.days_of_notice,
            "travel_prohibited": notice.travel_prohibited_flag,
            "fugitive": notice.fugitive_flag,
        },
    )
    if notice.is_late:
        # DESIGN.md "Time rules": a late notice is flagged at once. The deadline check uses the
        # same key, so it never sends this a second time.
        publish_event(
            event_type=EventType.TRAVEL_NOTICE_LATE,
            registrant=registrant,
            actor=actor,
            source=notice,
            context={"countries": countries, "days_of_notice": notice.days_of_notice},
            dedupe_key=late_dedupe_key(notice),
        )
    if not reported_by_dod:
        # The registry record is the SORA's to change: a DoD report tells the SORA, which records
        # the move on its own record.
        _apply_to_registrant(actor, notice, legs)
    return notice


def late_dedupe_key(notice: TravelNotice) -> str:
    return f"travel_notice_late:{notice.pk}"


def _apply_to_registrant(actor: Any, notice: TravelNotice, legs: list[ItineraryLeg]) -> None:
    """A relocation, a job or school abroad is also a change of residence, employment or school
    address, which SORNA requires the registry to record (34 U.S.C. 20914(a)(3)-(5)); a
    relocation also changes the registration status and tells USMS."""
    if notice.purpose not in TravelPurpose.updating_registrant() or not legs:
        return
    kind = {
        TravelPurpose.RELOCATION_ABROAD: AddressKind.RESIDENCE,
        TravelPurpose.EMPLOYMENT_ABROAD: AddressKind.EMPLOYMENT,
        TravelPurpose.SCHOOL_ABROAD: AddressKind.SCHOOL,
    }[notice.purpose]
    relocating = notice.purpose == TravelPurpose.RELOCATION_ABROAD
    _record_address_abroad(
        actor,
        notice.registrant,
        kind,
        legs[-1],
        status=RegistrationStatus.RELOCATED_ABROAD if relocating else None,
        ends_current=relocating,
    )
    if relocating:
        publish_event(
            event_type=EventType.RELOCATION_ABROAD,
            registrant=notice.registrant,
            actor=actor,
            source=notice,
            context={"countries": [legs[-1].country], "departure_date": notice.departure_date.isoformat()},
            dedupe_key=f"relocation_abroad:{notice.pk}",
        )


def _record_address_abroad(
    actor: Any, registrant: Registrant, kind: str, leg: ItineraryLeg, *, status: str | None, ends_current: bool
) -> None:
    """Add the address abroad (once) and, for a move, end the current addresses of that kind."""
    rows = []
    already = False
    for address in registrant.addresses.all():
        row = {
            "id": address.pk,
            "kind": address.kind,
            "street": address.street,
            "city": address.city,
            "state": address.state,
            "postal_code": address.postal_code,
            "country": address.country,
            "current": address.current,
            "since": address.since,
            "until": address.until,
        }
        if address.kind == kind and address.country == leg.country and address.since == leg.arrival_date:
            already = True
        elif ends_current and address.kind == kind and address.current:
            row["current"] = False
            row["until"] = row["until"] or leg.arrival_date
            if row["since"] and row["until"] < row["since"]:
                row["until"] = row["since"]
        rows.append(row)
    if not already:
        rows.append(
            {
                "kind": kind,
                "street": (leg.address or "").replace("\n", ", ")[:200],
                "city": leg.city,
                "country": leg.country,
                "current": True,
                "since": leg.arrival_date,
            }
        )
    changes: dict[str, Any] = {"addresses": rows}
    if status and registrant.status != status:
        changes["status"] = status
    # The SORA changes its own registrant; the registry's service writes the history rows.
    registrant_update(actor=actor, registrant=registrant, **changes)


@transaction.atomic
@audited_service
def travel_notice_amend(
    *, actor: Any, notice: TravelNotice, reason: str, legs: list[dict[str, Any]] | None = None, **fields: Any
) -> TravelNotice:
    """Change a submitted notice, giving the reason; the case's priority and due date follow, and
    NSOTC is told of the amendment."""
    _check_can_change(actor, notice)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for the amendment."})
    notice = TravelNotice.objects.select_for_update().select_related("registrant").get(pk=notice.pk)
    _check_notice_transition(notice, T.AMENDED)
    for name, value in _split(fields).items():
        setattr(notice, name, value)
    built = _build_legs(notice, legs) if legs is not None else list(notice.legs.all())
    _validate(notice, built, require_legs=True)
    notice.status = T.AMENDED
    notice.amended_at = timezone.now()
    notice.amendment_reason = reason.strip()
    notice._change_reason = f"Amended: {reason.strip()}"[:500]
    notice.save()
    if legs is not None:
        _save_legs(notice, built)
    legs_now = list(notice.legs.all())
    case = notice.cases.first()
    if case is not None:
        case_refresh_from_notice(actor=actor, case=case)
    publish_event(
        event_type=EventType.TRAVEL_NOTICE_AMENDED,
        registrant=notice.registrant,
        actor=actor,
        source=notice,
        context={"countries": notice.countries(), "reason": reason.strip(), "case_id": case.pk if case else None},
    )
    if notice.is_late:
        publish_event(
            event_type=EventType.TRAVEL_NOTICE_LATE,
            registrant=notice.registrant,
            actor=actor,
            source=notice,
            context={"countries": notice.countries(), "days_of_notice": notice.days_of_notice},
            dedupe_key=late_dedupe_key(notice),
        )
    _apply_to_registrant(actor, notice, legs_now)
    return notice


@transaction.atomic
@audited_service
def travel_notice_cancel(*, actor: Any, notice: TravelNotice, reason: str) -> TravelNotice:
    """Withdraw a notice (the trip will not happen), giving the reason; its case closes."""
    _check_can_change(actor, notice)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason for cancelling the notice."})
    notice = TravelNotice.objects.select_for_update().select_related("registrant").get(pk=notice.pk)
    _check_notice_transition(notice, T.CANCELLED)
    was_submitted = notice.status != T.DRAFT
    notice.status = T.CANCELLED
    notice.cancelled_at = timezone.now()
    notice.cancel_reason = reason.strip()
    notice._change_reason = f"Cancelled: {reason.strip()}"[:500]
    notice.save()
    if was_submitted:
        for case in notice.cases.all():
            case_close_for_notice(actor=actor, case=case, reason=f"Travel notice cancelled: {reason.strip()}")
        publish_event(
            event_type=EventType.TRAVEL_NOTICE_CANCELLED,
            registrant=notice.registrant,
            actor=actor,
            source=notice,
            context={"countries": notice.countries(), "reason": reason.strip()},
        )
    return notice


# --- after the trip ----------------------------------------------------------------------------


@transaction.atomic
@audited_service
def travel_notice_record_return(
    *, actor: Any, notice: TravelNotice, outcome: str, actual_return_date: Any = None, note: str = ""
) -> TravelNotice:
    """After the return date the SORA confirms the return, or records that the person stayed
    abroad (which makes them relocated abroad on the registry); the notice is completed and its
    case closed (DESIGN.md "Time rules")."""
    _check_can_change(actor, notice)
    notice = TravelNotice.objects.select_for_update().select_related("registrant").get(pk=notice.pk)
    _check_notice_transition(notice, T.COMPLETED)
    if outcome not in ReturnOutcome.values:
        raise ValidationError({"outcome": "Choose whether the registrant returned or stayed abroad."})
    today = timezone.localdate()
    if outcome == ReturnOutcome.RETURNED:
        if notice.return_date is None or today < notice.return_date:
            due = notice.return_date.isoformat() if notice.return_date else "a return date"
            raise ValidationError({"outcome": f"The return can be confirmed from {due} on."})
        actual_return_date = actual_return_date or notice.return_date
        if actual_return_date < notice.departure_date or actual_return_date > today:
            raise ValidationError({"actual_return_date": "The return date must fall between the departure and today."})
    else:
        earliest = notice.return_date or notice.departure_date
        if today < earliest:
            raise ValidationError({"outcome": f"A stay abroad can be recorded from {earliest.isoformat()} on."})
        actual_return_date = None
    notice.return_outcome = outcome
    notice.actual_return_date = actual_return_date
    notice.return_recorded_at = timezone.now()
    notice.return_recorded_by = actor if getattr(actor, "pk", None) else None
    notice.status = T.COMPLETED
    label = ReturnOutcome(outcome).label
    notice._change_reason = f"{label}{': ' + note.strip() if note and note.strip() else ''}"[:500]
    notice.save()
    for case in notice.cases.all():
        case_close_for_notice(actor=actor, case=case, reason=f"After the trip: {label.lower()}. {note}".strip())
    if outcome == ReturnOutcome.STAYED_ABROAD:
        legs = list(notice.legs.all())
        if legs:
            _record_address_abroad(
                actor,
                notice.registrant,
                AddressKind.RESIDENCE,
                legs[-1],
                status=RegistrationStatus.RELOCATED_ABROAD,
                ends_current=True,
            )
        elif notice.registrant.status != RegistrationStatus.RELOCATED_ABROAD:
            registrant_update(actor=actor, registrant=notice.registrant, status=RegistrationStatus.RELOCATED_ABROAD)
        publish_event(
            event_type=EventType.RELOCATION_ABROAD,
            registrant=notice.registrant,
            actor=actor,
            source=notice,
            context={"countries": notice.countries(), "stayed_abroad": True},
            dedupe_key=f"relocation_abroad:{notice.pk}",
        )
    return notice
