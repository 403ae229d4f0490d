"""Travel notice services: the 21-day rule at its edges, field-named validation with nothing
half-written, flags, the case opened on submission, registrant updates, amend, cancel, return."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.choices import CasePriority, CaseStatus, ReturnOutcome, TravelNoticeStatus
from cases.models import Case, ItineraryLeg, TravelNotice
from cases.services import (
    travel_notice_amend,
    travel_notice_cancel,
    travel_notice_create,
    travel_notice_record_return,
    travel_notice_submit,
    travel_notice_update,
)
from registrants.choices import RegistrationStatus
from registrants.services import registrant_update
from tests.cases.factories_travel import days, file_notice, legs_for, make_registrant, notice_fields

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- the 21-day rule ---------------------------------------------------------------------------


def test_exactly_21_days_is_on_time(world, people, published):
    notice = file_notice(world.va_staff, people.va, notice_days=21)
    assert notice.days_of_notice == 21
    assert notice.is_late is False
    assert "travel_notice_late" not in published.types()


def test_20_days_is_late_and_needs_a_reason(world, people, published):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, notice_days=20)
    assert "late_reason" in errors_of(excinfo)
    assert "20 days" in errors_of(excinfo)["late_reason"][0]
    assert not TravelNotice.objects.exists()

    notice = file_notice(world.va_staff, people.va, notice_days=20, late_reason="emergency")
    assert notice.days_of_notice == 20 and notice.is_late is True
    case = notice.cases.get()
    assert case.priority == CasePriority.URGENT
    assert any("late notice" in r for r in case.priority_reasons)
    late = published.of("travel_notice_late")
    assert len(late) == 1 and late[0]["dedupe_key"] == f"travel_notice_late:{notice.pk}"


def test_other_late_reason_needs_details(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, notice_days=3, late_reason="other")
    assert "late_reason_detail" in errors_of(excinfo)


def test_draft_of_a_late_notice_also_needs_the_reason(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, submit=False, notice_days=0)
    assert "late_reason" in errors_of(excinfo)


# --- validation -------------------------------------------------------------------------------


def test_return_before_departure_is_named(world, people):
    fields = notice_fields()
    fields["return_date"] = fields["departure_date"] - timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_create(actor=world.va_staff, registrant=people.va, submit=True, **fields)
    assert "return_date" in errors_of(excinfo)
    assert not TravelNotice.objects.exists() and not ItineraryLeg.objects.exists()


def test_return_date_required_except_for_relocation(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, return_date=None, legs=legs_for(days(40), None))
    assert "return_date" in errors_of(excinfo)


def test_legs_inside_the_trip_and_in_order(world, people):
    departure, back = days(40), days(50)
    legs = [
        {"country": "FR", "arrival_date": departure - timedelta(days=1), "departure_date": days(44)},
        {"country": "IT", "arrival_date": days(46), "departure_date": days(48)},
        {"country": "ES", "arrival_date": days(45), "departure_date": back + timedelta(days=2)},
    ]
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, legs=legs)
    errors = errors_of(excinfo)
    assert "legs[0].arrival_date" in errors  # before the departure
    assert "legs[2].arrival_date" in errors  # before the previous stop
    assert "legs[2].departure_date" in errors  # after the return
    assert "legs[1].arrival_date" not in errors
    assert not TravelNotice.objects.exists()


def test_leg_leaving_before_arriving(world, people):
    legs = [{"country": "FR", "arrival_date": days(44), "departure_date": days(42)}]
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, legs=legs)
    assert "legs[0].departure_date" in errors_of(excinfo)


@pytest.mark.parametrize("code", ["XX", "FRA", "", "1A"])
def test_invalid_country_is_named(world, people, code):
    legs = [{"country": code, "arrival_date": days(40), "departure_date": days(45)}]
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, legs=legs)
    assert "legs[0].country" in errors_of(excinfo)


def test_country_is_normalised(world, people):
    legs = [{"country": "fr", "arrival_date": days(40), "departure_date": days(45)}]
    notice = file_notice(world.va_staff, people.va, legs=legs)
    assert notice.countries() == ["FR"]


def test_passport_country_checked(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, passport_country="ZZ")
    assert "passport_country" in errors_of(excinfo)


def test_submission_needs_a_leg(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, legs=[])
    assert "legs" in errors_of(excinfo)


def test_registrant_of_another_jurisdiction_refused(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.md)
    assert "registrant" in errors_of(excinfo)
    assert not TravelNotice.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "usncb_officer", "va_admin", "sysadmin"])
def test_only_sora_staff_file(world, people, who):
    with pytest.raises(PermissionDenied):
        file_notice(getattr(world, who), people.va)


def test_dod_law_enforcement_reports_only_for_registrants_on_its_installation(world, people):
    # DTM 15-003 att. 3, 4.d (tested end to end in test_events_routed.py)
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.lea_officer, people.va)
    assert "registrant" in errors_of(excinfo)
    assert file_notice(world.lea_officer, people.belvoir).agency == world.lea


def test_unknown_field_refused(world, people):
    with pytest.raises(ValidationError) as excinfo:
        file_notice(world.va_staff, people.va, colour="red")
    assert "colour" in errors_of(excinfo)


# --- draft, submit, flags, case --------------------------------------------------------------


def test_draft_then_submit_opens_one_case_and_publishes(world, people, published):
    notice = file_notice(world.va_staff, people.va, submit=False, legs=legs_for(days(40), days(50), ("FR", "IT")))
    assert notice.status == TravelNoticeStatus.DRAFT
    assert not Case.objects.exists()
    assert published.calls == []

    notice = travel_notice_submit(actor=world.va_staff, notice=notice)
    assert notice.status == TravelNoticeStatus.SUBMITTED and notice.submitted_at
    case = Case.objects.get(travel_notice=notice)
    assert case.status == CaseStatus.OPEN and case.registrant == people.va
    assert case.due_date == notice.departure_date - timedelta(days=2)
    assert case.due_date < notice.departure_date
    assert case.events.get().to_status == CaseStatus.OPEN
    submitted = published.of("travel_notice_submitted")
    assert len(submitted) == 1
    assert submitted[0]["context"]["countries"] == ["FR", "IT"]
    assert submitted[0]["source"] == notice and submitted[0]["actor"] == world.va_staff
    assert submitted[0]["registrant"] == people.va

    with pytest.raises(ValidationError) as excinfo:
        travel_notice_submit(actor=world.va_staff, notice=notice)
    assert "status" in excinfo.value.message_dict
    assert Case.objects.count() == 1


def test_case_opening_is_idempotent(world, people):
    from cases.services import case_open_for_notice

    notice = file_notice(world.va_staff, people.va)
    again = case_open_for_notice(actor=world.va_staff, notice=notice)
    assert again == notice.cases.get()
    assert Case.objects.count() == 1


def test_travel_prohibited_and_fugitive_flagged_on_submission(world, people):
    registrant_update(actor=None, registrant=people.va, travel_prohibited=True)
    notice = file_notice(world.va_staff, people.va)
    assert notice.travel_prohibited_flag and not notice.fugitive_flag
    assert notice.cases.get().priority == CasePriority.URGENT

    fugitive = make_registrant(world.va, warrants=[{"issuing_agency_name": "Richmond PD", "number": "W1"}])
    notice = file_notice(world.va_staff, fugitive)
    assert notice.fugitive_flag
    assert "fugitive (active warrant)" in notice.cases.get().priority_reasons


def test_priority_from_departure_proximity(world, people):
    near = file_notice(world.va_staff, people.va, departure_in=10, notice_days=25)
    assert near.cases.get().priority == CasePriority.HIGH
    far = file_notice(world.va_staff, make_registrant(world.va), departure_in=60, notice_days=30)
    assert far.cases.get().priority == CasePriority.NORMAL


def test_submit_writes_history_with_the_actor(world, people):
    notice = file_notice(world.va_staff, people.va)
    rows = list(notice.history.order_by("history_id"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert all(r.history_user == world.va_staff for r in rows)
    assert rows[-1].history_change_reason == "Submitted to NSOTC"
    case = notice.cases.get()
    assert case.history.get().history_user == world.va_staff


def test_draft_update_and_only_drafts(world, people):
    notice = file_notice(world.va_staff, people.va, submit=False)
    notice = travel_notice_update(actor=world.va_staff, notice=notice, companions="Spouse")
    assert notice.companions == "Spouse"
    travel_notice_submit(actor=world.va_staff, notice=notice)
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_update(actor=world.va_staff, notice=notice, companions="Nobody")
    assert "status" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        travel_notice_update(actor=world.md_staff, notice=notice, companions="x")


# --- relocation, employment, school abroad ---------------------------------------------------


def test_relocation_abroad_updates_the_registrant(world, people, published):
    departure = days(40)
    legs = [{"country": "PT", "city": "Lisbon", "arrival_date": departure, "address": "Rua Exemplo 1"}]
    notice = file_notice(
        world.va_staff, people.va, purpose="relocation_abroad", return_date=None, legs=legs, departure_in=40
    )
    people.va.refresh_from_db()
    assert people.va.status == RegistrationStatus.RELOCATED_ABROAD
    abroad = people.va.addresses.get(country="PT")
    assert abroad.current and abroad.kind == "residence" and abroad.city == "Lisbon"
    old = people.va.addresses.get(country="US")
    assert not old.current and old.until == departure
    assert people.va.history.latest("history_id").history_user == world.va_staff
    relocation = published.of("relocation_abroad")
    assert len(relocation) == 1 and relocation[0]["context"]["countries"] == ["PT"]
    assert relocation[0]["source"] == notice


@pytest.mark.parametrize(("purpose", "kind"), [("employment_abroad", "employment"), ("school_abroad", "school")])
def test_job_or_school_abroad_adds_an_address(world, people, published, purpose, kind):
    file_notice(world.va_staff, people.va, purpose=purpose, legs=legs_for(days(40), days(50), ("JP",)))
    people.va.refresh_from_db()
    assert people.va.status == RegistrationStatus.COMPLIANT
    assert people.va.addresses.get(country="JP").kind == kind
    assert people.va.addresses.get(country="US").current  # the residence stays
    assert not published.of("relocation_abroad")


# --- amend, cancel --------------------------------------------------------------------------


def test_amend_needs_reason_and_records_it(world, people, published):
    notice = file_notice(world.va_staff, people.va)
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_amend(actor=world.va_staff, notice=notice, reason=" ", companions="Brother")
    assert "reason" in excinfo.value.message_dict
    new_departure = notice.departure_date + timedelta(days=2)
    notice = travel_notice_amend(
        actor=world.va_staff,
        notice=notice,
        reason="Flight moved",
        departure_date=new_departure,
        legs=legs_for(new_departure, notice.return_date, ("FR", "BE")),
    )
    assert notice.status == TravelNoticeStatus.AMENDED
    assert notice.amendment_reason == "Flight moved"
    assert notice.countries() == ["FR", "BE"]
    assert notice.history.latest("history_id").history_change_reason == "Amended: Flight moved"
    assert notice.cases.get().due_date == new_departure - timedelta(days=2)
    amended = published.of("travel_notice_amended")
    assert amended and amended[0]["context"]["reason"] == "Flight moved"


def test_amend_validates_like_filing(world, people):
    notice = file_notice(world.va_staff, people.va)
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_amend(
            actor=world.va_staff, notice=notice, reason="x", return_date=notice.departure_date - timedelta(days=3)
        )
    assert "return_date" in excinfo.value.message_dict
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.SUBMITTED


def test_amend_a_draft_is_refused(world, people):
    notice = file_notice(world.va_staff, people.va, submit=False)
    with pytest.raises(ValidationError):
        travel_notice_amend(actor=world.va_staff, notice=notice, reason="x")


def test_cancel_closes_the_case(world, people, published):
    notice = file_notice(world.va_staff, people.va)
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_cancel(actor=world.va_staff, notice=notice, reason="")
    assert "reason" in excinfo.value.message_dict
    notice = travel_notice_cancel(actor=world.va_staff, notice=notice, reason="Trip called off")
    assert notice.status == TravelNoticeStatus.CANCELLED and notice.cancel_reason == "Trip called off"
    case = notice.cases.get()
    assert case.status == CaseStatus.CLOSED
    assert "Trip called off" in case.events.latest("at").reason
    assert published.of("travel_notice_cancelled")
    with pytest.raises(ValidationError):
        travel_notice_cancel(actor=world.va_staff, notice=notice, reason="again")
    with pytest.raises(ValidationError):
        travel_notice_amend(actor=world.va_staff, notice=notice, reason="x")


def test_other_sora_cannot_amend_or_cancel(world, people):
    notice = file_notice(world.va_staff, people.va)
    with pytest.raises(PermissionDenied):
        travel_notice_amend(actor=world.md_staff, notice=notice, reason="x")
    with pytest.raises(PermissionDenied):
        travel_notice_cancel(actor=world.analyst, notice=notice, reason="x")


# --- after the trip --------------------------------------------------------------------------


def test_return_confirmed_only_from_the_return_date(world, people, time_machine):
    notice = file_notice(world.va_staff, people.va, departure_in=30, trip_days=10)
    time_machine.move_to(notice.return_date - timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_record_return(actor=world.va_staff, notice=notice, outcome=ReturnOutcome.RETURNED)
    assert "outcome" in excinfo.value.message_dict
    time_machine.move_to(notice.return_date)
    notice = travel_notice_record_return(actor=world.va_staff, notice=notice, outcome=ReturnOutcome.RETURNED)
    assert notice.status == TravelNoticeStatus.COMPLETED
    assert notice.actual_return_date == notice.return_date
    assert notice.return_recorded_by == world.va_staff
    case = notice.cases.get()
    assert case.status == CaseStatus.CLOSED and case.closed_at
    with pytest.raises(ValidationError):
        travel_notice_record_return(actor=world.va_staff, notice=notice, outcome=ReturnOutcome.RETURNED)


def test_stayed_abroad_relocates_the_registrant(world, people, published, time_machine):
    notice = file_notice(world.va_staff, people.va, departure_in=30, trip_days=10)
    time_machine.move_to(notice.return_date + timedelta(days=5))
    travel_notice_record_return(actor=world.va_staff, notice=notice, outcome=ReturnOutcome.STAYED_ABROAD)
    people.va.refresh_from_db()
    assert people.va.status == RegistrationStatus.RELOCATED_ABROAD
    assert people.va.addresses.get(current=True).country == "FR"
    assert published.of("relocation_abroad")


def test_return_outcome_checked(world, people, time_machine):
    notice = file_notice(world.va_staff, people.va, departure_in=30, trip_days=10)
    time_machine.move_to(notice.return_date + timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_record_return(actor=world.va_staff, notice=notice, outcome="vanished")
    assert "outcome" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        travel_notice_record_return(
            actor=world.va_staff,
            notice=notice,
            outcome=ReturnOutcome.RETURNED,
            actual_return_date=notice.departure_date - timedelta(days=1),
        )
    assert "actual_return_date" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        travel_notice_record_return(actor=world.md_staff, notice=notice, outcome=ReturnOutcome.RETURNED)


def test_every_illegal_notice_transition_is_refused(world, people):
    """Each notice status, and each way out of it the table does not list, is refused."""
    import time_machine

    from cases.services import NOTICE_TRANSITIONS

    def in_status(status):
        notice = file_notice(world.va_staff, make_registrant(world.va), submit=status != TravelNoticeStatus.DRAFT)
        if status == TravelNoticeStatus.AMENDED:
            notice = travel_notice_amend(actor=world.va_staff, notice=notice, reason="change")
        elif status == TravelNoticeStatus.CANCELLED:
            notice = travel_notice_cancel(actor=world.va_staff, notice=notice, reason="off")
        elif status == TravelNoticeStatus.COMPLETED:
            with time_machine.travel(notice.return_date, tick=False):
                notice = travel_notice_record_return(actor=world.va_staff, notice=notice, outcome="returned")
        return notice

    attempts = {
        TravelNoticeStatus.SUBMITTED: lambda n: travel_notice_submit(actor=world.va_staff, notice=n),
        TravelNoticeStatus.AMENDED: lambda n: travel_notice_amend(actor=world.va_staff, notice=n, reason="x"),
        TravelNoticeStatus.CANCELLED: lambda n: travel_notice_cancel(actor=world.va_staff, notice=n, reason="x"),
        TravelNoticeStatus.COMPLETED: lambda n: travel_notice_record_return(
            actor=world.va_staff, notice=n, outcome="stayed_abroad"
        ),
    }
    refused = 0
    for source in TravelNoticeStatus.values:
        for target, attempt in attempts.items():
            if target in NOTICE_TRANSITIONS[source]:
                continue
            notice = in_status(source)
            with pytest.raises(ValidationError) as excinfo:
                attempt(notice)
            assert "cannot be" in excinfo.value.message_dict["status"][0]
            notice.refresh_from_db()
            assert notice.status == source
            refused += 1
    assert refused == 12
