"""Celery tasks of the notifications app: thin, taking ids, calling one service each.

Delivery tasks are acknowledged late and rejected (so redelivered) if the worker dies; their
time limits sit well inside the Redis visibility timeout (``rsoits/celery.py``) and no task
is ever given an ETA or countdown: future attempts are scheduled in the database.
"""

from __future__ import annotations

from django.conf import settings

from rsoits.celery import app

from . import services
from .deadlines import run_deadline_check

DELIVERY_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "time_limit": settings.NOTIFICATIONS_TASK_TIME_LIMIT,
    "soft_time_limit": settings.NOTIFICATIONS_TASK_SOFT_TIME_LIMIT,
}


@app.task(name="notifications.deliver", **DELIVERY_OPTIONS)
def deliver_notification_task(notification_id: int) -> str:
    return services.notification_deliver(notification_id=notification_id)


@app.task(name="notifications.relay", **DELIVERY_OPTIONS)
def relay_notifications_task() -> int:
    """Claim and enqueue every due notification, batch by batch (bounded per run)."""
    total = 0
    for _ in range(settings.NOTIFICATIONS_RELAY_MAX_BATCHES):
        claimed = services.notification_relay()
        total += len(claimed)
        if len(claimed) < settings.NOTIFICATIONS_RELAY_BATCH:
            break
    return total


@app.task(name="notifications.sweep", **DELIVERY_OPTIONS)
def sweep_notifications_task() -> int:
    return len(services.notification_sweep())


@app.task(name="notifications.deadline_check", **DELIVERY_OPTIONS)
def deadline_check_task(name: str) -> int:
    """Run one registered deadline check (``CELERY_BEAT_SCHEDULE`` names it in ``args``)."""
    return run_deadline_check(name)
