"""The Celery app. On the embedded default (no REDIS_URL) tasks run in-process, eagerly.

With Redis as the broker, a message a worker has taken but not acknowledged comes back after
the visibility timeout (``CELERY_BROKER_TRANSPORT_OPTIONS``, 3600 s). Tasks are acknowledged
late, so every task time limit stays well inside that timeout (settings refuse a limit above a
tenth of it), and no task is ever scheduled with an ETA or countdown: a message waiting that
long would be redelivered to a second worker. Later work is scheduled in the database (the
notification outbox's ``next_attempt_at``) and picked up by beat's periodic tasks
(``CELERY_BEAT_SCHEDULE``, stored by django-celery-beat's DatabaseScheduler).

Database connections in a worker live as they do in the web process: kept open for
``CONN_MAX_AGE`` and checked before reuse (``CONN_HEALTH_CHECKS``), closed around a task only
when too old or broken (``close_old_connections`` below, as Django does around a request).
Left to itself, Celery's Django fixup would close every connection before and after every
task, so each task would open a new PostgreSQL connection; ``CELERY_DB_REUSE_MAX`` (settings)
turns that off except for a rare recycle.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

app = Celery("rsoits")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """Around each task run by a worker (not an eager one, which runs inside its caller's
    transaction): drop connections past ``CONN_MAX_AGE``, unusable or left in a bad state."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
