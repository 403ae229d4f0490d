"""Events of the cases app go through the real router and outbox: who is told of a travel
notice, a forwarded case, a UCMJ separation notice and an overdue monitoring check, and a
deadline check run twice tells nobody twice."""

from datetime import date

import pytest

from cases.choices_dod import MonitoredBy
from cases.services import case_forward, monitoring_start, separation_file
from cases.tasks import check_late_notices_task, escalate_overdue_monitoring_checks
from notifications.defaults import install_default_rules
from notifications.models import Notification
from tests.cases.factories_travel import file_notice, make_registrant, vetted_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules(db):
    install_default_rules()  # the data migration's rules, also under --nomigrations


def told(event_type: str) -> set[str]:
    return set(Notification.objects.filter(event_type=event_type).values_list("agency__code", flat=True))


def test_notice_submitted_tells_nsotc_and_forwarding_tells_usncb_and_the_sora(world):
    registrant = make_registrant(world.va)
    notice = file_notice(world.va_staff, registrant)
    assert told("travel_notice_submitted") == {"NSOTC"}
    case_forward(actor=world.analyst, case=vetted_case(world, notice), reason="Vetted")
    assert told("case_forwarded") == {"USNCB", "VA"}


def test_late_notice_check_run_twice_tells_once(world):
    registrant = make_registrant(world.va)
    file_notice(world.va_staff, registrant, departure_in=30, notice_days=10, late_reason="emergency")
    before = Notification.objects.filter(event_type="travel_notice_late").count()
    assert before > 0  # flagged at once on submission
    check_late_notices_task()
    check_late_notices_task()
    assert Notification.objects.filter(event_type="travel_notice_late").count() == before


def test_separation_notice_tells_the_residence_registry_and_nsotc(world):
    separation_file(
        actor=world.lea_officer, kind="separation", component="army", given_name="Frank", surname="Dunn",
        date_of_birth=date(1990, 2, 3), ucmj_article="Art. 120b", offense="Abuse", conviction_date=date(2026, 9, 1),
        effective_date=date(2026, 12, 1), residence_street="1 Elm St", residence_city="Norfolk", residence_state="MD",
    )  # fmt: skip
    assert told("ucmj_separation") == {"MD", "NSOTC"}


def test_overdue_monitoring_check_escalates_once_per_missed_due_date(world, settings):
    settings.MONITORING_ESCALATE_AFTER_DAYS = 7
    registrant = make_registrant(world.va, installation=world.installation, lives_on_installation=True)
    monitoring_start(
        actor=world.lea_officer, registrant=registrant, installation=world.installation,
        monitored_by=MonitoredBy.INSTALLATION, started_on=date(2026, 1, 1), check_interval_days=30,
    )  # fmt: skip
    assert escalate_overdue_monitoring_checks(date(2026, 2, 6)) == 0
    assert escalate_overdue_monitoring_checks(date(2026, 2, 7)) > 0
    first = Notification.objects.filter(event_type="monitoring_check_overdue").count()
    assert escalate_overdue_monitoring_checks(date(2026, 2, 8)) == 0
    assert Notification.objects.filter(event_type="monitoring_check_overdue").count() == first
    assert world.lea.code in told("monitoring_check_overdue")
