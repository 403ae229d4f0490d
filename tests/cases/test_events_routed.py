"""Events of the cases app go through the real router and outbox: who is told of a travel
notice, a forwarded case, a UCMJ separation notice and an overdue monitoring check, and a
deadline check run twice tells nobody twice."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    with CaptureQueriesContext(connection) as again:
        assert escalate_overdue_monitoring_checks(date(2026, 2, 8)) == 0
    assert not [q["sql"] for q in again.captured_queries if q["sql"].startswith(("INSERT", "SAVEPOINT"))]
    assert Notification.objects.filter(event_type="monitoring_check_overdue").count() == first
    assert world.lea.code in told("monitoring_check_overdue")


def test_a_dod_component_reports_an_affiliated_registrants_move_overseas(world, client):
    """DTM 15-003 att. 3, 4.d: the report goes to the state registry and NSOTC; the registry
    record stays the SORA's to change."""
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from cases.models import TravelNotice
    from tests.factories import InstallationFactory, member

    on_base = make_registrant(world.va, installation=world.installation, lives_on_installation=True)
    off_base = make_registrant(world.md)
    notice = file_notice(world.lea_officer, on_base, purpose="relocation_abroad")
    assert notice.agency == world.lea and notice.status == "submitted"
    assert told("travel_reported_by_dod") == {"VA", "NSOTC"}
    assert not Notification.objects.filter(event_type="travel_notice_submitted").exists()
    assert notice.cases.count() == 1  # NSOTC vets it like any notice
    on_base.refresh_from_db()
    assert on_base.status != "relocated_abroad"  # the SORA records the move on its own record
    assert TravelNotice.objects.visible_to(world.va_staff).filter(pk=notice.pk).exists()
    with pytest.raises(ValidationError):
        file_notice(world.lea_officer, off_base)
    other = member(InstallationFactory(code="FTMEADE").lea, "installation_lea", username="lea_b")
    with pytest.raises(ValidationError):
        file_notice(other, on_base)
    assert not TravelNotice.objects.visible_to(other).exists()
    # the page: the LEA may open the form, and only its installation's registrants are offered
    client.force_login(world.lea_officer)
    page = client.get(reverse("travelnotice_create"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["registrant"].queryset) == [on_base]
    client.force_login(other)
    assert list(client.get(reverse("travelnotice_create")).context["form"].fields["registrant"].queryset) == []


def test_a_hit_waiting_for_review_too_long_is_escalated_once(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Hit
    from cases.services import hit_ingest
    from cases.tasks import check_hits_review_overdue_task, hits_review_overdue

    settings.HITS_REVIEW_ESCALATE_HOURS = 24
    make_registrant(world.va, given_name="Margaret", surname="Smith")
    hit, _ = hit_ingest(
        actor=world.analyst, event_type="port_arrival", source="manual", source_id="R-1",
        occurred_at=timezone.now(), given_name="Margaret", surname="Smith", sex="F",
    )  # fmt: skip
    assert hit.status == "awaiting_review"
    arrived = Hit.objects.get(pk=hit.pk).received_at
    assert list(hits_review_overdue(arrived + timedelta(hours=24) - timedelta(seconds=1))) == []
    assert list(hits_review_overdue(arrived + timedelta(hours=24))) == [hit]
    later = arrived + timedelta(hours=30)
    assert check_hits_review_overdue_task(later) == 1
    with CaptureQueriesContext(connection) as again:
        assert check_hits_review_overdue_task(later) == 0
    # escalated before: left out by one look-up of the published keys, nothing inserted or routed
    assert not [q["sql"] for q in again.captured_queries if q["sql"].startswith(("INSERT", "SAVEPOINT"))]
    assert told("hit_review_overdue") == {"NSOTC"}
