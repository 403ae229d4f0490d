"""Scheduled checks of the cases app (Celery beat). Tasks take ids or nothing, call one
service, and are idempotent: running a check twice tells nobody twice (dedupe keys)."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event

from .models.dod import InstallationMonitoring


def monitoring_checks_to_escalate(today: date):
    """Active plans whose next check is at least ``MONITORING_ESCALATE_AFTER_DAYS`` overdue."""
    limit = today - timedelta(days=settings.MONITORING_ESCALATE_AFTER_DAYS)
    return InstallationMonitoring.objects.overdue(today).filter(next_check_due__lte=limit)


def escalate_overdue_monitoring_checks(today: date | None = None) -> int:
    """Tell the installation LEA's chain that a monitoring check is overdue, once per missed
    due date (DTM 15-003 att. 3, 3.d: the installation LEA monitors when the state cannot)."""
    today = today or timezone.localdate()
    told = 0
    for monitoring in monitoring_checks_to_escalate(today).select_related("registrant", "installation"):
        with transaction.atomic():
            sent = publish_event(
                event_type=EventType.MONITORING_CHECK_OVERDUE,
                registrant=monitoring.registrant,
                actor=None,
                source=monitoring,
                context={"installation_id": monitoring.installation_id, "due": monitoring.next_check_due.isoformat()},
                dedupe_key=f"monitoring-overdue:{monitoring.pk}:{monitoring.next_check_due.isoformat()}",
            )
        told += len(sent)
    return told


@shared_task(name="cases.escalate_overdue_monitoring_checks")
def escalate_overdue_monitoring_checks_task() -> int:
    return escalate_overdue_monitoring_checks()
