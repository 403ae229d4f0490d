"""Deadline checks: escalation of notifications not acknowledged in time, at the edges of the
threshold, idempotent; the check registry and the beat schedule."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from notifications.choices import Channel, EventType
from notifications.deadlines import deadline_check, registered_checks, run_deadline_check
from notifications.models import Notification
from notifications.services import notification_acknowledge, publish_event
from notifications.tasks import deadline_check_task

pytestmark = pytest.mark.django_db

CHECK = "notifications.unacknowledged"


def inbox_rows(world, registrant, *, age):
    publish_event(event_type=EventType.PASSPORT_APPLICATION, registrant=registrant, actor=None)
    rows = Notification.objects.filter(channel=Channel.INBOX, event_type=EventType.PASSPORT_APPLICATION)
    rows.update(created_at=timezone.now() - age)
    return rows


def escalations():
    return Notification.objects.filter(event_type=EventType.NOTIFICATION_UNACKNOWLEDGED, channel=Channel.INBOX)


@override_settings(NOTIFICATIONS_ACK_DEADLINE=timedelta(hours=24))
def test_escalates_exactly_at_the_threshold_not_before(world, rules, registrant):
    rows = inbox_rows(world, registrant, age=timedelta(0))
    now = timezone.now()
    va = rows.get(agency=world.va)
    Notification.objects.filter(pk=va.pk).update(created_at=now - timedelta(hours=24) + timedelta(seconds=1))
    Notification.objects.filter(agency=world.nsotc, channel=Channel.INBOX).update(created_at=now - timedelta(hours=24))
    assert run_deadline_check(CHECK, now) == 1  # NSOTC's, exactly 24 h old; VA's is one second short
    escalated = {(n.agency.code, n.audience_role) for n in escalations()}
    assert escalated == {("NSOTC", "nsotc_supervisor")}
    assert run_deadline_check(CHECK, now + timedelta(seconds=1)) == 1  # now VA's too
    assert {(n.agency.code, n.audience_role) for n in escalations()} == {
        ("NSOTC", "nsotc_supervisor"), ("VA", "sora_supervisor"),
    }  # fmt: skip


def test_running_twice_sends_nothing_twice(world, rules, registrant):
    inbox_rows(world, registrant, age=timedelta(days=2))
    assert run_deadline_check(CHECK) == 2
    before = Notification.objects.count()
    assert run_deadline_check(CHECK) == 0
    # even when the escalation mark is lost, the dedupe key keeps it to one
    Notification.objects.update(escalated_at=None)
    assert run_deadline_check(CHECK) == 0
    assert Notification.objects.count() == before


def test_acknowledged_and_escalations_are_not_escalated(world, rules, registrant):
    rows = inbox_rows(world, registrant, age=timedelta(days=2))
    notification_acknowledge(actor=world.va_staff, notification=rows.get(agency=world.va))
    assert run_deadline_check(CHECK) == 1  # NSOTC's only
    escalations().update(created_at=timezone.now() - timedelta(days=5))
    assert run_deadline_check(CHECK) == 0  # an escalation is not escalated again


def test_task_runs_a_registered_check_and_beat_lists_it(world, rules, registrant):
    inbox_rows(world, registrant, age=timedelta(days=2))
    assert deadline_check_task.apply(args=(CHECK,)).get() == 2
    entry = settings.CELERY_BEAT_SCHEDULE["deadline-notifications-unacknowledged"]
    assert entry["task"] == "notifications.deadline_check" and entry["args"] == (CHECK,)
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    with pytest.raises(KeyError, match="No deadline check named"):
        run_deadline_check("nope")


def test_other_apps_register_checks_with_dedupe(world, rules, registrant):
    """The shape the cases app's checks take: publish with a deadline key; twice is once."""
    from notifications.deadlines import deadline_key

    @deadline_check("tests.return_overdue")
    def check(now):
        written = publish_event(
            event_type=EventType.RETURN_OVERDUE,
            registrant=registrant,
            actor=None,
            dedupe_key=deadline_key("tests.return_overdue", "travelnotice", 7, "return"),
        )
        return 1 if written else 0

    try:
        assert "tests.return_overdue" in registered_checks()
        assert run_deadline_check("tests.return_overdue") == 1
        assert run_deadline_check("tests.return_overdue") == 0
        assert Notification.objects.filter(event_type=EventType.RETURN_OVERDUE, channel=Channel.INBOX).count() == 2
    finally:
        from notifications import deadlines

        deadlines._checks.pop("tests.return_overdue", None)


def test_task_options_respect_the_visibility_timeout():
    from notifications.tasks import deliver_notification_task, relay_notifications_task

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (deliver_notification_task, relay_notifications_task, deadline_check_task):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.soft_time_limit < task.time_limit <= timeout / 10
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
