"""Deadline checks: a small registry of idempotent checks run by Celery beat.

A check is a function ``check(now) -> int`` (events published) registered under a name with
``@deadline_check("app.name")``; ``CELERY_BEAT_SCHEDULE`` runs it through
``notifications.deadline_check`` with the name as its argument. Every check publishes through
``publish_event`` with a ``dedupe_key`` from ``deadline_key`` so that running it twice, or on
two beat instances at once, tells nobody twice (DESIGN.md "Time rules").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

DeadlineCheck = Callable[[datetime], int]
_checks: dict[str, DeadlineCheck] = {}


def deadline_check(name: str) -> Callable[[DeadlineCheck], DeadlineCheck]:
    """Register ``func`` as the deadline check ``name`` (call from an AppConfig.ready import)."""

    def register(func: DeadlineCheck) -> DeadlineCheck:
        _checks[name] = func
        return func

    return register


def registered_checks() -> dict[str, DeadlineCheck]:
    return dict(_checks)


def deadline_key(check: str, obj_label: str, obj_id: object, stage: str = "") -> str:
    """The dedupe key of one deadline notice: the same object at the same stage is told once."""
    return f"deadline:{check}:{obj_label}:{obj_id}:{stage}"[:200]


def run_deadline_check(name: str, now: datetime | None = None) -> int:
    check = _checks.get(name)
    if check is None:
        raise KeyError(f"No deadline check named {name!r}; registered: {sorted(_checks)}")
    count = check(now or timezone.now())
    if count:
        logger.info("Deadline check %s published %d events.", name, count)
    return count


# --- notifications not acknowledged in time -------------------------------------------------


@deadline_check("notifications.unacknowledged")
def escalate_unacknowledged(now: datetime) -> int:
    """An inbox notification not acknowledged within NOTIFICATIONS_ACK_DEADLINE_HOURS is
    escalated to the recipient agency's supervisors and the NSOTC supervisors (DESIGN.md
    "Time rules": never silently dropped). Escalations themselves are not escalated again."""
    from .choices import Channel, EventType, NotificationStatus
    from .models import Notification
    from .services import publish_event

    cutoff = now - settings.NOTIFICATIONS_ACK_DEADLINE
    overdue = (
        Notification.objects.filter(
            channel=Channel.INBOX,
            status=NotificationStatus.DELIVERED,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            created_at__lte=cutoff,
        )
        .exclude(event_type=EventType.NOTIFICATION_UNACKNOWLEDGED)
        .select_related("registrant")
        .order_by("pk")
    )
    published = 0
    for notification in overdue.iterator(chunk_size=500):
        with transaction.atomic():
            written = publish_event(
                event_type=EventType.NOTIFICATION_UNACKNOWLEDGED,
                registrant=notification.registrant,
                actor=None,
                source=notification,
                context={"agency_id": notification.agency_id, "notification_id": notification.pk},
                dedupe_key=deadline_key("notifications.unacknowledged", "notification", notification.pk),
            )
            Notification.objects.filter(pk=notification.pk, escalated_at__isnull=True).update(escalated_at=now)
        published += 1 if written else 0
    return published
