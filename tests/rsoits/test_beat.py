"""Every scheduled entry names a task the worker knows."""

from django.conf import settings

from rsoits.celery import app


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"cases.tasks.check_late_notices_task", "cases.escalate_overdue_monitoring_checks"} <= names
    assert names - set(app.tasks) == set()
