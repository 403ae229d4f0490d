"""The Celery app. On the embedded default (no REDIS_URL) tasks run in-process, eagerly.

With Redis as the broker, a message a worker has taken but not acknowledged comes back after
the visibility timeout (``CELERY_BROKER_TRANSPORT_OPTIONS``, 3600 s). Tasks are acknowledged
late, so every task time limit stays well inside that timeout (settings refuse a limit above a
tenth of it), and no task is ever scheduled with an ETA or countdown: a message waiting that
long would be redelivered to a second worker. Later work is scheduled in the database (the
notification outbox's ``next_attempt_at``) and picked up by beat's periodic tasks
(``CELERY_BEAT_SCHEDULE``, stored by django-celery-beat's DatabaseScheduler).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

app = Celery("rsoits")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
