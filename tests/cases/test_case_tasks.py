"""Deadline checks: which notices and cases each selects, at the edges of its thresholds, and
that each publishes with a dedupe key (so a second run tells nobody twice)."""

from datetime import timedelta

import pytest
from django.test import override_settings

from cases.choices import CaseStatus, ReturnOutcome
from cases.services import case_transition, travel_notice_cancel, travel_notice_record_return
from cases.tasks import (
    check_late_notices_task,
    check_returns_overdue_task,
    check_vetting_due_task,
    late_notices_due,
    returns_overdue,
    vetting_due,
)
from tests.cases.factories_travel import file_notice, make_registrant, today, vetted_case

pytestmark = pytest.mark.django_db


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_late_notices_selection(world, people):
    late = file_notice(world.va_staff, people.va, notice_days=20, departure_in=20, late_reason="emergency")
    file_notice(world.va_staff, make_registrant(world.va), notice_days=21, departure_in=21)
    assert ids(late_notices_due()) == {late.pk}
    # on the day of departure still listed; the day after, no longer
    assert ids(late_notices_due(late.departure_date)) == {late.pk}
    assert ids(late_notices_due(late.departure_date + timedelta(days=1))) == set()
    travel_notice_cancel(actor=world.va_staff, notice=late, reason="off")
    assert ids(late_notices_due()) == set()


def test_late_check_uses_the_submission_key(world, people, published):
    late = file_notice(world.va_staff, people.va, notice_days=10, departure_in=10, late_reason="emergency")
    check_late_notices_task()
    keys = [c["dedupe_key"] for c in published.of("travel_notice_late")]
    assert keys == [f"travel_notice_late:{late.pk}"] * 2  # submission, then the check: one key


@override_settings(CASES_VETTING_ESCALATE_DAYS=3)
def test_vetting_due_selection_edges(world):
    at_edge = file_notice(world.va_staff, make_registrant(world.va), departure_in=3, notice_days=25).cases.get()
    beyond = file_notice(world.va_staff, make_registrant(world.va), departure_in=4, notice_days=25).cases.get()
    past = file_notice(
        world.va_staff, make_registrant(world.va), departure_in=-1, notice_days=25, trip_days=10
    ).cases.get()
    reviewing = file_notice(world.va_staff, make_registrant(world.va), departure_in=2, notice_days=25).cases.get()
    case_transition(actor=world.analyst, case=reviewing, to_status=CaseStatus.IN_REVIEW)
    decided = file_notice(world.va_staff, make_registrant(world.va), departure_in=1, notice_days=25)
    decided_case = vetted_case(world, decided)
    case_transition(actor=world.analyst, case=decided_case, to_status=CaseStatus.NO_NOTICE, reason="low risk")
    assert ids(vetting_due()) == {at_edge.pk, past.pk, reviewing.pk}
    assert beyond.pk in ids(vetting_due(today() + timedelta(days=1)))


def test_vetting_check_escalates_once_per_departure(world, published):
    case = file_notice(world.va_staff, make_registrant(world.va), departure_in=2, notice_days=25).cases.get()
    assert check_vetting_due_task() == 1
    call = published.of("vetting_due")[0]
    assert call["source"] == case and call["context"]["escalate_to"] == "nsotc_supervisor"
    assert call["dedupe_key"] == f"vetting_due:{case.pk}:{case.travel_notice.departure_date.isoformat()}"
    assert call["actor"] is None


@override_settings(CASES_RETURN_GRACE_DAYS=3)
def test_returns_overdue_edges(world, time_machine):
    notice = file_notice(world.va_staff, make_registrant(world.va), departure_in=30, trip_days=5)
    back = notice.return_date
    assert ids(returns_overdue(back + timedelta(days=2))) == set()
    assert ids(returns_overdue(back + timedelta(days=3))) == {notice.pk}
    relocation = file_notice(
        world.va_staff,
        make_registrant(world.va),
        purpose="relocation_abroad",
        return_date=None,
        legs=[{"country": "PT", "arrival_date": notice.departure_date}],
        departure_in=30,
    )
    assert relocation.pk not in ids(returns_overdue(back + timedelta(days=300)))
    time_machine.move_to(back)
    travel_notice_record_return(actor=world.va_staff, notice=notice, outcome=ReturnOutcome.RETURNED)
    assert ids(returns_overdue(back + timedelta(days=3))) == set()


def test_return_check_publishes_with_key(world, published, time_machine):
    notice = file_notice(world.va_staff, make_registrant(world.va), departure_in=30, trip_days=5)
    time_machine.move_to(notice.return_date + timedelta(days=10))
    assert check_returns_overdue_task() == 1
    call = published.of("return_overdue")[0]
    assert call["dedupe_key"] == f"return_overdue:{notice.pk}:{notice.return_date.isoformat()}"
    assert call["registrant"] == notice.registrant
