"""Writes of USNCB's work: preparing, reviewing, sending, acknowledging and correcting foreign
notices; decisions not to send; complaints about wrong notices; inbound notices from abroad.

White paper IV.A.3.b (USNCB notifies the destination country through INTERPOL); International
Megan's Law, 34 U.S.C. 21503/21504 (notice before travel, Angel Watch 48 hours ahead, corrections
at once, every notice, response and decision not to send recorded); DESIGN.md "Time rules"."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.choices import IdentifierKind, NameKind
from rsoits.audit import audited_service
from rsoits.choices import AgencyKind
from rsoits.models import Agency
from rsoits.principal import principal_for

from ..choices import CaseStatus
from ..choices_foreign import ComplaintStatus, ForeignNoticeStatus
from ..models import Case, ForeignNotice, ForeignNoticeComplaint, InboundForeignNotice, NoNoticeDecision
from ..models.foreign import ANGEL_WATCH_HOURS

F = ForeignNoticeStatus

# The foreign-notice workflow; anything not listed is refused. A sent notice is never edited:
# a mistake is put right by a correction, which is a new notice (34 U.S.C. 21503(c)).
TRANSITIONS: dict[str, set[str]] = {
    F.DRAFT: {F.REVIEWED},
    F.REVIEWED: {F.SENT, F.DRAFT},
    F.SENT: {F.ACKNOWLEDGED},
    F.ACKNOWLEDGED: set(),
}

COMPLAINT_TRANSITIONS: dict[str, set[str]] = {
    ComplaintStatus.RECEIVED: {ComplaintStatus.IN_PROGRESS, ComplaintStatus.ANSWERED},
    ComplaintStatus.IN_PROGRESS: {ComplaintStatus.ANSWERED},
    ComplaintStatus.ANSWERED: set(),
}

# Identifiers that may leave the country in a foreign notice: travel documents only. FBI number,
# state SID and NSOR record are for domestic use only (SMART notice form; white paper VI).
FOREIGN_IDENTIFIER_KINDS = {IdentifierKind.PASSPORT, IdentifierKind.VISA}
if FOREIGN_IDENTIFIER_KINDS & IdentifierKind.domestic_only():  # pragma: no cover - a guard on the table above
    raise RuntimeError("A domestic-only identifier kind is listed as one that may go abroad.")


def _check_usncb(actor: Any) -> None:
    if actor is None:
        return  # seeding runs as the system
    if not principal_for(actor).is_usncb:
        raise PermissionDenied("Only USNCB officers work foreign notices.")


def _refuse(notice_status: str, target: str, field: str = "status") -> None:
    if target not in TRANSITIONS.get(notice_status, set()):
        raise ValidationError(
            {field: f"A notice that is {F(notice_status).label.lower()} cannot become {F(target).label.lower()}."}
        )


def _locked(notice: ForeignNotice) -> ForeignNotice:
    return ForeignNotice.objects.select_for_update().get(pk=notice.pk)


def ncb_for(country: str) -> Agency | None:
    """The destination country's INTERPOL NCB, from the agency reference data."""
    return Agency.objects.filter(kind=AgencyKind.FOREIGN_NCB, jurisdiction=country, active=True).order_by("pk").first()


def domestic_values(registrant: Any) -> set[str]:
    """The registrant's domestic-only identifier values (as stored and normalised)."""
    values: set[str] = set()
    for ident in registrant.identifiers.filter(kind__in=IdentifierKind.domestic_only()):
        values.update(v for v in (ident.value.strip(), ident.norm_value) if v and len(v) >= 3)
    return values


def leaked_domestic_values(text: str, registrant: Any) -> list[str]:
    """Domestic-only identifier values of ``registrant`` that occur in ``text``."""
    folded = text.upper()
    compact = "".join(ch for ch in folded if ch.isalnum())
    return sorted(v for v in domestic_values(registrant) if v.upper() in folded or v.upper() in compact)


def _check_no_domestic(fields: dict[str, str], registrant: Any) -> None:
    errors = {
        name: "Domestic-only identifiers (FBI number, state SID, NSOR record) may not go into a foreign notice."
        for name, text in fields.items()
        if text and leaked_domestic_values(text, registrant)
    }
    if errors:
        raise ValidationError(errors)


def default_conviction_summary(registrant: Any) -> str:
    tier = f", {registrant.get_tier_display()}" if registrant.tier else ""
    return (
        f"Registered sex offender{tier}, registered with {registrant.registering_agency.name}. "
        f"Registration status: {registrant.get_status_display().lower()}."
    )


def build_content(case: Case, country: str, *, conviction_summary: str, remarks: str) -> dict[str, Any]:
    """What the destination country is told: identity, aliases, dates of birth, sex, citizenship,
    travel documents, travel dates and legs, conviction summary and requesting agency. Built from
    an explicit list of fields; identifiers are limited to ``FOREIGN_IDENTIFIER_KINDS``."""
    registrant = case.registrant
    notice = case.travel_notice
    aliases = [str(n) for n in registrant.names.all() if n.kind != NameKind.PRIMARY]
    dobs = [b.date.isoformat() for b in registrant.birth_dates.all()]
    if registrant.date_of_birth and registrant.date_of_birth.isoformat() not in dobs:
        dobs.insert(0, registrant.date_of_birth.isoformat())
    documents = [
        {
            "kind": IdentifierKind(i.kind).label,
            "number": i.value,
            "country": i.issuing_country,
            "expires": i.expires.isoformat() if i.expires else "",
        }
        for i in registrant.identifiers.filter(kind__in=FOREIGN_IDENTIFIER_KINDS).order_by("kind", "value")
    ]
    travel: dict[str, Any] = {}
    requesting = registrant.registering_agency
    if notice is not None:
        requesting = notice.agency
        if notice.passport_number and not any(d["number"] == notice.passport_number for d in documents):
            documents.append(
                {
                    "kind": "Passport (used for this trip)",
                    "number": notice.passport_number,
                    "country": notice.passport_country,
                    "expires": "",
                }
            )
        travel = {
            "departure_date": notice.departure_date.isoformat(),
            "return_date": notice.return_date.isoformat() if notice.return_date else "",
            "purpose": notice.get_purpose_display(),
            "means_of_travel": notice.get_means_of_travel_display(),
            "legs": [
                {
                    "order": leg.order,
                    "country": leg.country,
                    "city": leg.city,
                    "arrival_date": leg.arrival_date.isoformat(),
                    "departure_date": leg.departure_date.isoformat() if leg.departure_date else "",
                    "address": leg.address,
                    "carrier": leg.carrier,
                    "flight_numbers": leg.flight_numbers,
                    "port_of_departure": leg.port_of_departure,
                    "port_of_entry": leg.port_of_entry,
                }
                for leg in notice.legs.order_by("order", "id")
            ],
        }
    return {
        "destination_country": country,
        "identity": {
            "full_name": registrant.full_name,
            "surname": registrant.surname,
            "given_name": registrant.given_name,
            "middle_name": registrant.middle_name,
            "aliases": aliases,
            "dates_of_birth": dobs,
            "sex": registrant.get_sex_display(),
            "place_of_birth": registrant.place_of_birth,
            "citizenships": list(registrant.citizenships or []),
        },
        "travel_documents": documents,
        "travel": travel,
        "conviction_summary": conviction_summary,
        "requesting_agency": {"name": requesting.name, "code": requesting.code},
        "remarks": remarks,
    }


def _assert_clean(content: dict[str, Any], registrant: Any) -> None:
    """Last line of defence: the serialised content holds no domestic-only identifier value."""
    leaked = leaked_domestic_values(json.dumps(content), registrant)
    if leaked:
        raise ValidationError({"content": "The notice would carry a domestic-only identifier; it was not saved."})


def timeliness(sent_at: datetime, departure: date | None) -> tuple[bool | None, bool | None]:
    """(sent before travel began, sent at least 48 hours before departure — Angel Watch)."""
    if departure is None:
        return None, None
    # Travel begins at the start of the departure day (UTC): the notice gives a date, not a time,
    # so the earliest moment is the safe reading.
    start = datetime.combine(departure, time.min, tzinfo=UTC)
    return sent_at < start, sent_at <= start - timedelta(hours=ANGEL_WATCH_HOURS)


def _countries_of(case: Case) -> list[str]:
    return case.travel_notice.countries() if case.travel_notice_id else []


def _check_forwarded(actor: Any, case: Case) -> None:
    if actor is not None and not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied("This case has not been forwarded to you.")
    if case.status != CaseStatus.FORWARDED:
        raise ValidationError({"case": "Only cases forwarded to USNCB get foreign notices."})


@transaction.atomic
@audited_service
def foreign_notice_prepare(
    *, actor: Any, case: Case, country: str, conviction_summary: str = "", remarks: str = ""
) -> ForeignNotice:
    """Prepare the draft notice for one destination country of a forwarded case, with its
    generated content for the officer to review."""
    _check_usncb(actor)
    _check_forwarded(actor, case)
    country = (country or "").strip().upper()
    if country not in _countries_of(case):
        raise ValidationError({"country": f"{country or 'That country'} is not a destination of this trip."})
    if ForeignNotice.objects.filter(case=case, country=country, corrects__isnull=True).exists():
        raise ValidationError({"country": f"A notice to {country} already exists for this case."})
    if NoNoticeDecision.objects.filter(case=case, country=country).exists():
        raise ValidationError({"country": f"It was decided not to notify {country} for this case."})
    ncb = ncb_for(country)
    if ncb is None:
        raise ValidationError({"country": f"No INTERPOL NCB is on file for {country}; record a decision not to send."})
    registrant = case.registrant
    conviction_summary = conviction_summary.strip() or default_conviction_summary(registrant)
    _check_no_domestic({"conviction_summary": conviction_summary, "remarks": remarks}, registrant)
    content = build_content(case, country, conviction_summary=conviction_summary, remarks=remarks)
    _assert_clean(content, registrant)
    notice = ForeignNotice(
        case=case,
        registrant=registrant,
        country=country,
        ncb=ncb,
        content=content,
        conviction_summary=conviction_summary,
        remarks=remarks,
        departure_date=case.travel_notice.departure_date if case.travel_notice_id else None,
        prepared_by=actor,
        prepared_at=timezone.now(),
    )
    notice.full_clean()
    notice.save()
    return notice


@transaction.atomic
@audited_service
def foreign_notices_prepare_all(*, actor: Any, case: Case) -> list[ForeignNotice]:
    """A draft for every destination country that has neither a notice nor a decision not to send."""
    _check_usncb(actor)
    _check_forwarded(actor, case)
    done = set(ForeignNotice.objects.filter(case=case, corrects__isnull=True).values_list("country", flat=True))
    done |= set(NoNoticeDecision.objects.filter(case=case).values_list("country", flat=True))
    return [
        foreign_notice_prepare(actor=actor, case=case, country=country)
        for country in _countries_of(case)
        if country not in done
    ]


@transaction.atomic
@audited_service
def foreign_notice_review(
    *, actor: Any, notice: ForeignNotice, conviction_summary: str | None = None, remarks: str | None = None
) -> ForeignNotice:
    """The officer has reviewed the generated content (and may edit the summary and remarks):
    the draft becomes reviewed, its content regenerated from the current record."""
    _check_usncb(actor)
    notice = _locked(notice)
    _refuse(notice.status, F.REVIEWED)
    if conviction_summary is not None:
        notice.conviction_summary = conviction_summary.strip() or default_conviction_summary(notice.registrant)
    if remarks is not None:
        notice.remarks = remarks
    _check_no_domestic({"conviction_summary": notice.conviction_summary, "remarks": notice.remarks}, notice.registrant)
    notice.content = build_content(
        notice.case, notice.country, conviction_summary=notice.conviction_summary, remarks=notice.remarks
    )
    _assert_clean(notice.content, notice.registrant)
    notice.status = F.REVIEWED
    notice.reviewed_by, notice.reviewed_at = actor, timezone.now()
    notice.full_clean()
    notice._change_reason = "Reviewed"
    notice.save()
    return notice


@transaction.atomic
@audited_service
def foreign_notice_reopen(*, actor: Any, notice: ForeignNotice) -> ForeignNotice:
    """Send a reviewed notice back to draft for changes."""
    _check_usncb(actor)
    notice = _locked(notice)
    _refuse(notice.status, F.DRAFT)
    notice.status = F.DRAFT
    notice.reviewed_by, notice.reviewed_at = None, None
    notice._change_reason = "Returned to draft"
    notice.save()
    return notice


def _mark_sent(notice: ForeignNotice, actor: Any, now: datetime) -> None:
    notice.status = F.SENT
    notice.sent_by, notice.sent_at = actor, now
    notice.sent_before_travel, notice.sent_48h_ahead = timeliness(now, notice.departure_date)


@transaction.atomic
@audited_service
def foreign_notice_send(*, actor: Any, notice: ForeignNotice, now: datetime | None = None) -> ForeignNotice:
    """Send a reviewed notice to the destination NCB. Whether it left before travel began and
    48 hours ahead (Angel Watch) is recorded; ``foreign_notice_sent`` is published."""
    _check_usncb(actor)
    notice = _locked(notice)
    _refuse(notice.status, F.SENT)
    _assert_clean(notice.content, notice.registrant)
    _mark_sent(notice, actor, now or timezone.now())
    notice._change_reason = "Sent"
    notice.save()
    publish_event(
        event_type=EventType.FOREIGN_NOTICE_SENT,
        registrant=notice.registrant,
        actor=actor,
        source=notice,
        context={"countries": [notice.country], "ncb": notice.ncb.code, "case": notice.case_id},
        dedupe_key=f"foreign_notice_sent:{notice.pk}",
    )
    return notice


@transaction.atomic
@audited_service
def foreign_notice_acknowledge(
    *, actor: Any, notice: ForeignNotice, acknowledged_on: date, text: str = ""
) -> ForeignNotice:
    """Record the destination country's acknowledgement and response."""
    _check_usncb(actor)
    notice = _locked(notice)
    _refuse(notice.status, F.ACKNOWLEDGED)
    errors = {}
    if acknowledged_on is None:
        errors["acknowledged_on"] = "Give the date of the acknowledgement."
    elif acknowledged_on > timezone.localdate():
        errors["acknowledged_on"] = "The acknowledgement date cannot be in the future."
    elif notice.sent_at and acknowledged_on < notice.sent_at.date():
        errors["acknowledged_on"] = "The acknowledgement date is before the notice was sent."
    if errors:
        raise ValidationError(errors)
    notice.status = F.ACKNOWLEDGED
    notice.acknowledged_on, notice.acknowledgement_text, notice.acknowledged_by = acknowledged_on, text.strip(), actor
    notice._change_reason = "Acknowledged"
    notice.save()
    return notice


@transaction.atomic
@audited_service
def foreign_notice_correct(
    *,
    actor: Any,
    notice: ForeignNotice,
    reason: str,
    conviction_summary: str | None = None,
    remarks: str | None = None,
    now: datetime | None = None,
) -> ForeignNotice:
    """Correct a notice already sent: a new notice with the corrected content goes out at once to
    the same NCB, linked to the original (34 U.S.C. 21503(c)); ``foreign_notice_corrected`` is
    published."""
    _check_usncb(actor)
    original = _locked(notice)
    if original.status not in F.went_out():
        raise ValidationError({"status": "Only a notice that was sent can be corrected; edit the draft instead."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say what the correction puts right."})
    summary = original.conviction_summary if conviction_summary is None else conviction_summary.strip()
    summary = summary or default_conviction_summary(original.registrant)
    new_remarks = original.remarks if remarks is None else remarks
    _check_no_domestic({"conviction_summary": summary, "remarks": new_remarks, "reason": reason}, original.registrant)
    content = build_content(original.case, original.country, conviction_summary=summary, remarks=new_remarks)
    content["correction_of"] = original.pk
    content["correction_reason"] = reason.strip()
    _assert_clean(content, original.registrant)
    correction = ForeignNotice(
        case=original.case,
        registrant=original.registrant,
        country=original.country,
        ncb=original.ncb,
        content=content,
        conviction_summary=summary,
        remarks=new_remarks,
        departure_date=original.departure_date,
        prepared_by=actor,
        prepared_at=now or timezone.now(),
        reviewed_by=actor,
        reviewed_at=now or timezone.now(),
        corrects=original,
        correction_reason=reason.strip(),
    )
    _mark_sent(correction, actor, now or timezone.now())
    correction.full_clean()
    correction._change_reason = f"Correction of notice #{original.pk}"
    correction.save()
    publish_event(
        event_type=EventType.FOREIGN_NOTICE_CORRECTED,
        registrant=correction.registrant,
        actor=actor,
        source=correction,
        context={"countries": [correction.country], "ncb": correction.ncb.code, "corrects": original.pk},
        dedupe_key=f"foreign_notice_corrected:{correction.pk}",
    )
    return correction


@transaction.atomic
@audited_service
def no_notice_decide(*, actor: Any, case: Case, country: str, reason: str, detail: str = "") -> NoNoticeDecision:
    """Record a decision not to notify a destination country, with its reason (34 U.S.C. 21504)."""
    _check_usncb(actor)
    _check_forwarded(actor, case)
    country = (country or "").strip().upper()
    if country not in _countries_of(case):
        raise ValidationError({"country": f"{country or 'That country'} is not a destination of this trip."})
    existing = ForeignNotice.objects.filter(case=case, country=country, corrects__isnull=True).first()
    if existing is not None and existing.status in F.went_out():
        raise ValidationError({"country": f"A notice to {country} was already sent."})
    if NoNoticeDecision.objects.filter(case=case, country=country).exists():
        raise ValidationError({"country": f"A decision about {country} is already recorded."})
    if existing is not None:
        # The unsent draft gives way to the decision; its history keeps the record.
        existing._change_reason = "Withdrawn: decided not to send"
        existing.delete()
    decision = NoNoticeDecision(
        case=case,
        registrant=case.registrant,
        country=country,
        reason=reason,
        detail=detail.strip(),
        decided_by=actor,
        decided_at=timezone.now(),
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
@audited_service
def complaint_log(
    *, actor: Any, notice: ForeignNotice, complainant: str, received_on: date, description: str
) -> ForeignNoticeComplaint:
    """Log a complaint that a notice was wrong."""
    _check_usncb(actor)
    if notice.status not in F.went_out():
        raise ValidationError({"notice": "Complaints concern notices that were sent."})
    complaint = ForeignNoticeComplaint(
        notice=notice,
        complainant=(complainant or "").strip(),
        received_on=received_on,
        description=(description or "").strip(),
        logged_by=actor,
    )
    complaint.full_clean()
    complaint.save()
    return complaint


@transaction.atomic
@audited_service
def complaint_transition(
    *, actor: Any, complaint: ForeignNoticeComplaint, to_status: str, answer: str = ""
) -> ForeignNoticeComplaint:
    """Work a complaint (received → being worked → answered); an answer needs its text."""
    _check_usncb(actor)
    complaint = ForeignNoticeComplaint.objects.select_for_update().get(pk=complaint.pk)
    if to_status not in COMPLAINT_TRANSITIONS.get(complaint.status, set()):
        current = ComplaintStatus(complaint.status).label.lower()
        target = ComplaintStatus(to_status).label.lower() if to_status in ComplaintStatus.values else to_status
        raise ValidationError({"to_status": f"A complaint that is {current} cannot become {target}."})
    if to_status == ComplaintStatus.ANSWERED:
        if not (answer or "").strip():
            raise ValidationError({"answer": "Write the answer given to the complainant."})
        complaint.answer, complaint.answered_on = answer.strip(), timezone.localdate()
    complaint.status = to_status
    complaint._change_reason = ComplaintStatus(to_status).label
    complaint.save()
    return complaint


INBOUND_FIELDS = {
    "country",
    "ncb",
    "foreign_reference",
    "received_on",
    "given_name",
    "middle_name",
    "surname",
    "aliases",
    "date_of_birth",
    "sex",
    "nationality",
    "passport_number",
    "passport_country",
    "arrival_date",
    "departure_date",
    "port_of_entry",
    "flight",
    "destination_address",
    "conviction_summary",
}


@transaction.atomic
@audited_service
def inbound_notice_log(*, actor: Any, **fields: Any) -> InboundForeignNotice:
    """Log a foreign country's notice that one of its offenders travels to the United States.
    Without a named NCB, the country's NCB from reference data is used."""
    _check_usncb(actor)
    unknown = set(fields) - INBOUND_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    inbound = InboundForeignNotice(logged_by=actor, **fields)
    inbound.country = (inbound.country or "").strip().upper()
    if inbound.ncb_id is None and inbound.country:
        inbound.ncb = ncb_for(inbound.country)
    if inbound.ncb_id and inbound.ncb.kind != AgencyKind.FOREIGN_NCB:
        raise ValidationError({"ncb": "Choose a foreign NCB."})
    inbound.full_clean()
    inbound.save()
    _inbound_to_hit(inbound, actor)
    return inbound


def _inbound_to_hit(inbound: InboundForeignNotice, actor: Any) -> None:
    """An inbound notice is an identity event like any other (DESIGN.md "Hit": inbound foreign
    notice): it becomes a hit, matched against the registry and reviewed by NSOTC. Logging the
    same notice again is the same hit."""
    from ..choices_hits import HitEventType, HitSource
    from .hits import hit_ingest

    # A user's hit is filed for the agency ``submitting_agency_for`` gives (USNCB's own, for an
    # inbound notice); a notice logged by the system is USNCB's.
    agency = None
    if actor is None:
        agency = Agency.objects.filter(kind=AgencyKind.USNCB).first()
        if agency is None:
            return
    hit_ingest(
        actor=actor,
        agency=agency,
        event_type=HitEventType.FOREIGN_INBOUND,
        source=HitSource.INTERPOL,
        source_id=f"{inbound.country}-{inbound.foreign_reference}"[:100],
        occurred_at=timezone.now(),
        given_name=inbound.given_name,
        middle_name=inbound.middle_name,
        surname=inbound.surname,
        date_of_birth=inbound.date_of_birth,
        sex=inbound.sex,
        nationality=inbound.nationality,
        passport_number=inbound.passport_number,
        passport_country=inbound.passport_country if inbound.passport_number else "",
        flight=inbound.flight[:32],
        origin_country=inbound.country,
        destination_country="US",
    )
