"""The Celery app. On the embedded default (no REDIS_URL) tasks run in-process, eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

app = Celery("rsoits")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
