"""Deadline checks of travel notices, cases and DoD monitoring (DESIGN.md "Time rules"), run
by Celery beat.

Each check selects what is due and publishes one event per record with a ``dedupe_key``, so a
check that runs twice (a retry, a second beat) tells nobody anything twice. The selections are
plain functions of the day, so they are tested at their edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications.choices import EventType
from notifications.selectors import published_dedupe_keys
from notifications.services import publish_event

from .choices import CaseStatus, TravelNoticeStatus
from .choices_hits import HitStatus
from .models import Case, Hit, InstallationMonitoring, TravelNotice
from .services.travel import late_dedupe_key


def late_notices_due(today: date | None = None) -> QuerySet[TravelNotice]:
    """Submitted late notices whose trip has not started yet (the late flag is still useful)."""
    today = today or timezone.localdate()
    return TravelNotice.objects.filter(
        status__in=TravelNoticeStatus.live(), is_late=True, departure_date__gte=today
    ).select_related("registrant")


def vetting_due(today: date | None = None) -> QuerySet[Case]:
    """Cases still being vetted whose departure is ``CASES_VETTING_ESCALATE_DAYS`` days away or
    closer (or already past): vetting must finish before departure."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.CASES_VETTING_ESCALATE_DAYS)
    return Case.objects.filter(
        status__in=CaseStatus.active(), travel_notice__departure_date__lte=horizon
    ).select_related("registrant", "travel_notice")


def returns_overdue(today: date | None = None) -> QuerySet[TravelNotice]:
    """Notices whose return date is ``CASES_RETURN_GRACE_DAYS`` days past with no return recorded."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.CASES_RETURN_GRACE_DAYS)
    return TravelNotice.objects.filter(
        status__in=TravelNoticeStatus.live(), return_outcome="", return_date__isnull=False, return_date__lte=cutoff
    ).select_related("registrant")


@shared_task
def check_late_notices_task() -> int:
    sent = 0
    due = list(late_notices_due())
    told = published_dedupe_keys(event_type=EventType.TRAVEL_NOTICE_LATE, keys=[late_dedupe_key(n) for n in due])
    for notice in due:
        if late_dedupe_key(notice) in told:
            continue
        with transaction.atomic():
            sent += bool(
                publish_event(
                    event_type=EventType.TRAVEL_NOTICE_LATE,
                    registrant=notice.registrant,
                    actor=None,
                    source=notice,
                    context={"countries": notice.countries(), "days_of_notice": notice.days_of_notice},
                    dedupe_key=late_dedupe_key(notice),
                )
            )
    return sent


@shared_task
def check_vetting_due_task() -> int:
    """Escalate to the NSOTC supervisor (DESIGN.md: escalate as departure nears, case still open)."""
    sent = 0
    due = list(vetting_due())
    told = published_dedupe_keys(
        event_type=EventType.VETTING_DUE,
        keys=[f"vetting_due:{c.pk}:{c.travel_notice.departure_date.isoformat()}" for c in due],
    )
    for case in due:
        departure = case.travel_notice.departure_date
        if f"vetting_due:{case.pk}:{departure.isoformat()}" in told:
            continue
        with transaction.atomic():
            sent += bool(
                publish_event(
                    event_type=EventType.VETTING_DUE,
                    registrant=case.registrant,
                    actor=None,
                    source=case,
                    context={
                        "countries": case.travel_notice.countries(),
                        "departure_date": departure.isoformat(),
                        "escalate_to": "nsotc_supervisor",
                        "assignee": case.assignee_id,
                    },
                    # A new departure date (an amendment) is a new deadline, escalated again.
                    dedupe_key=f"vetting_due:{case.pk}:{departure.isoformat()}",
                )
            )
    return sent


@shared_task
def check_returns_overdue_task() -> int:
    """Remind the SORA to confirm the return or record a stay abroad."""
    sent = 0
    due = list(returns_overdue())
    told = published_dedupe_keys(
        event_type=EventType.RETURN_OVERDUE,
        keys=[f"return_overdue:{n.pk}:{n.return_date.isoformat()}" for n in due],
    )
    for notice in due:
        if f"return_overdue:{notice.pk}:{notice.return_date.isoformat()}" in told:
            continue
        with transaction.atomic():
            sent += bool(
                publish_event(
                    event_type=EventType.RETURN_OVERDUE,
                    registrant=notice.registrant,
                    actor=None,
                    source=notice,
                    context={"countries": notice.countries(), "return_date": notice.return_date.isoformat()},
                    dedupe_key=f"return_overdue:{notice.pk}:{notice.return_date.isoformat()}",
                )
            )
    return sent


def monitoring_checks_to_escalate(today: date):
    """Active plans whose next check is at least ``MONITORING_ESCALATE_AFTER_DAYS`` overdue."""
    limit = today - timedelta(days=settings.MONITORING_ESCALATE_AFTER_DAYS)
    return InstallationMonitoring.objects.overdue(today).filter(next_check_due__lte=limit)


def escalate_overdue_monitoring_checks(today: date | None = None) -> int:
    """Tell the installation LEA's chain that a monitoring check is overdue, once per missed
    due date (DTM 15-003 att. 3, 3.d: the installation LEA monitors when the state cannot)."""
    today = today or timezone.localdate()
    told = 0
    due = list(monitoring_checks_to_escalate(today).select_related("registrant", "installation"))

    def key(monitoring) -> str:
        return f"monitoring-overdue:{monitoring.pk}:{monitoring.next_check_due.isoformat()}"

    # Published before: left out in one query (publishing again would write nothing).
    published = published_dedupe_keys(event_type=EventType.MONITORING_CHECK_OVERDUE, keys=[key(m) for m in due])
    for monitoring in due:
        if key(monitoring) in published:
            continue
        with transaction.atomic():
            sent = publish_event(
                event_type=EventType.MONITORING_CHECK_OVERDUE,
                registrant=monitoring.registrant,
                actor=None,
                source=monitoring,
                context={"installation_id": monitoring.installation_id, "due": monitoring.next_check_due.isoformat()},
                dedupe_key=key(monitoring),
            )
        told += len(sent)
    return told


@shared_task(name="cases.escalate_overdue_monitoring_checks")
def escalate_overdue_monitoring_checks_task() -> int:
    return escalate_overdue_monitoring_checks()


def hits_review_overdue(now: datetime | None = None) -> QuerySet[Hit]:
    """Hits still waiting for an analyst ``HITS_REVIEW_ESCALATE_HOURS`` after they arrived."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.HITS_REVIEW_ESCALATE_HOURS)
    return Hit.objects.filter(status=HitStatus.AWAITING_REVIEW, received_at__lte=cutoff).select_related("registrant")


@shared_task
def check_hits_review_overdue_task(now: datetime | None = None) -> int:
    """DESIGN.md "Time rules": a hit waiting for human review too long is escalated (once)."""
    sent = 0
    due = list(hits_review_overdue(now))

    def key(hit: Hit) -> str:
        return f"hit_review_overdue:{hit.pk}"

    told = published_dedupe_keys(event_type=EventType.HIT_REVIEW_OVERDUE, keys=[key(h) for h in due])
    for hit in due:
        if key(hit) in told:
            continue  # escalated before (publishing again would write nothing)
        with transaction.atomic():
            sent += bool(
                publish_event(
                    event_type=EventType.HIT_REVIEW_OVERDUE,
                    registrant=hit.registrant,
                    actor=None,
                    source=hit,
                    context={"hit_id": hit.pk, "received_at": hit.received_at.isoformat()},
                    dedupe_key=key(hit),
                )
            )
    return sent
