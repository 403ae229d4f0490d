"""The Celery app. On the embedded default (no REDIS_URL) tasks run in-process, eagerly.

With Redis as the broker, a message a worker has taken but not acknowledged comes back after
the visibility timeout (``CELERY_BROKER_TRANSPORT_OPTIONS``, 3600 s). Tasks are acknowledged
late, so every task time limit stays well inside that timeout (settings refuse a limit above a
tenth of it), and no task is ever scheduled with an ETA or countdown: a message waiting that
long would be redelivered to a second worker. Later work is scheduled in the database (the
notification outbox's ``next_attempt_at``) and picked up by beat's periodic tasks
(``CELERY_BEAT_SCHEDULE``, stored by django-celery-beat's DatabaseScheduler).

Database connections in a worker live as they do in the web process: kept open for
``CONN_MAX_AGE``, closed after a task when too old or broken (``close_old_connections`` below,
as Django does after a request), and checked before reuse (``CONN_HEALTH_CHECKS``) when the
worker was idle for ``CELERY_CONNECTION_CHECK_AFTER_IDLE`` seconds. A task that follows another
at once reuses the connection that task just used without a ``SELECT 1`` round trip: at a
hundred and more deliveries a second, that check would be one statement in six.
Left to itself, Celery's Django fixup would close every connection before and after every
task, so each task would open a new PostgreSQL connection; ``CELERY_DB_REUSE_MAX`` (settings)
turns that off except for a rare recycle.
"""

import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

app = Celery("rsoits")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


_last_task_finished = float("-inf")  # time.monotonic() at the end of this process's last task


def _is_eager(sender) -> bool:
    return bool(getattr(getattr(sender, "request", None), "is_eager", False))


@task_prerun.connect
def _check_connections_after_idle(sender=None, **kwargs) -> None:
    """Before a task (not an eager one, which runs inside its caller's transaction): after an
    idle spell, drop connections past ``CONN_MAX_AGE`` and have the others checked on first use."""
    if _is_eager(sender):
        return
    from django.conf import settings
    from django.db import close_old_connections

    if time.monotonic() - _last_task_finished > settings.CELERY_CONNECTION_CHECK_AFTER_IDLE:
        close_old_connections()


@task_postrun.connect
def _close_old_connections(sender=None, **kwargs) -> None:
    """After a task: drop connections past ``CONN_MAX_AGE``, unusable or left in a bad state;
    the ones kept count as checked, since the task has just used them."""
    global _last_task_finished
    if _is_eager(sender):
        return
    from django.db import close_old_connections, connections

    close_old_connections()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            connection.health_check_done = True
    _last_task_finished = time.monotonic()
