"""Demo travel notices and cases for ``manage.py seed_demo``: one on time and being vetted, one
late (and travel prohibited), one forwarded to USNCB, one after the trip (closed), one draft.
Dates are relative to today so the queues look alive. Idempotent: a demo registrant that already
has a notice is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from registrants.models import Registrant
from rsoits.models import User

from .choices import CaseStatus, LateReason, ReturnOutcome, TravelMeans, TravelPurpose
from .services import (
    case_assign,
    case_forward,
    case_transition,
    case_update_checklist,
    travel_notice_create,
    travel_notice_record_return,
)

ALL_CHECKS = {
    "ncic_wanted_checked": True,
    "nsor_verified": True,
    "registration_compliant": True,
    "court_conditions_reviewed": True,
}


def _user(username: str):
    return User.objects.filter(username=username).first()


def _leg(country: str, city: str, arrival, departure, **extra):
    return {"country": country, "city": city, "arrival_date": arrival, "departure_date": departure, **extra}


def seed_travel_and_cases(ctx) -> None:
    today = timezone.localdate()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    va, md = _user("va_staff"), _user("md_staff")
    analyst, supervisor = _user("nsotc_analyst"), _user("nsotc_supervisor")
    created = 0

    def registrant(external_id: str):
        found = Registrant.objects.filter(external_id=external_id).first()
        if found is None or found.travel_notices.exists():
            return None
        return found

    # On time, being vetted by the analyst.
    r = registrant("DEMO-VA-001")
    if r:
        notice = travel_notice_create(
            actor=va, registrant=r, submit=True, date_given=d(-10), departure_date=d(30), return_date=d(44),
            purpose=TravelPurpose.TRAVEL, passport_number="X1234567", passport_country="US",
            means_of_travel=TravelMeans.AIR,
            legs=[
                _leg("FR", "Paris", d(31), d(38), address="Hotel Demo", carrier="AF", flight_numbers="AF31"),
                _leg("IT", "Rome", d(38), d(44), address="Pensione Demo"),
            ],
        )  # fmt: skip
        case = notice.cases.get()
        case_assign(actor=supervisor, case=case, assignee=analyst)
        case_transition(actor=analyst, case=case, to_status=CaseStatus.IN_REVIEW)
        case_update_checklist(actor=analyst, case=case, ncic_wanted_checked=True, nsor_verified=True)
        created += 1
    # Late, and the registrant may not travel abroad: urgent and unassigned.
    r = registrant("DEMO-VA-002")
    if r:
        travel_notice_create(
            actor=va, registrant=r, submit=True, date_given=d(-2), departure_date=d(12), return_date=d(19),
            purpose=TravelPurpose.BUSINESS, late_reason=LateReason.SHORT_NOTICE_BUSINESS,
            legs=[_leg("MX", "Monterrey", d(12), d(19), address="Client office, Av. Demo 100")],
        )  # fmt: skip
        created += 1
    # Vetted and forwarded to USNCB.
    r = registrant("DEMO-MD-001")
    if r:
        notice = travel_notice_create(
            actor=md, registrant=r, submit=True, date_given=d(-20), departure_date=d(25), return_date=d(40),
            purpose=TravelPurpose.TRAVEL,
            legs=[_leg("DE", "Berlin", d(26), d(40), address="c/o family, Demostraße 5")],
        )  # fmt: skip
        case = notice.cases.get()
        case_assign(actor=supervisor, case=case, assignee=supervisor)
        case_transition(actor=supervisor, case=case, to_status=CaseStatus.IN_REVIEW)
        case_update_checklist(actor=supervisor, case=case, **ALL_CHECKS)
        case_forward(actor=supervisor, case=case, reason="Vetted; destination to be told.")
        created += 1
    # A trip that is over: forwarded, returned, closed.
    r = registrant("DEMO-VA-004")
    if r:
        notice = travel_notice_create(
            actor=va, registrant=r, submit=True, date_given=d(-70), departure_date=d(-35), return_date=d(-20),
            purpose=TravelPurpose.MILITARY_ORDERS,
            legs=[_leg("DE", "Ramstein", d(-35), d(-20), address="Ramstein Air Base lodging")],
        )  # fmt: skip
        case = notice.cases.get()
        case_transition(actor=analyst, case=case, to_status=CaseStatus.IN_REVIEW)
        case_update_checklist(actor=analyst, case=case, **ALL_CHECKS)
        case_forward(actor=supervisor, case=case)
        travel_notice_record_return(
            actor=va, notice=notice, outcome=ReturnOutcome.RETURNED, note="Checked in on return."
        )
        created += 1
    # A draft not yet submitted (the registrant is a fugitive: it will be flagged on submission).
    r = registrant("DEMO-VA-003")
    if r:
        travel_notice_create(
            actor=va, registrant=r, date_given=today, departure_date=d(40), return_date=d(50),
            purpose=TravelPurpose.FAMILY_EMERGENCY, late_reason="",
            legs=[_leg("CA", "Toronto", d(40), d(50))],
        )  # fmt: skip
        created += 1
    ctx.say(f"demo travel notices and cases: created {created}")
