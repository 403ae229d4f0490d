"""How a worker treats its database connections between tasks (rsoits/celery.py): reused at
once after a task without a health check, checked again after an idle spell, never touched
around an eager task."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from rsoits import celery as worker_hooks
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def task(*, eager: bool = False) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


@pytest.fixture
def used_connection():
    # A new connection: one opened by an earlier test may be older than CONN_MAX_AGE by now, and
    # would rightly be closed after the task.
    connection.close()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection


def test_a_task_following_another_reuses_the_connection_unchecked(used_connection, settings):
    settings.CELERY_CONNECTION_CHECK_AFTER_IDLE = 60
    used_connection.health_check_done = False
    worker_hooks._close_old_connections(sender=task())
    assert used_connection.connection is not None  # kept open
    assert used_connection.health_check_done  # just used: no SELECT 1 before the next task
    worker_hooks._check_connections_after_idle(sender=task())
    assert used_connection.health_check_done


def test_after_an_idle_spell_the_connection_is_checked_again(used_connection, settings, monkeypatch):
    settings.CELERY_CONNECTION_CHECK_AFTER_IDLE = 1.0
    worker_hooks._close_old_connections(sender=task())
    assert used_connection.health_check_done
    monkeypatch.setattr(worker_hooks, "_last_task_finished", worker_hooks.time.monotonic() - 5)
    worker_hooks._check_connections_after_idle(sender=task())
    assert not used_connection.health_check_done  # the next statement is preceded by a check


@requires_postgres  # an in-memory SQLite test database is never closed
def test_a_connection_left_broken_is_closed_after_the_task(used_connection):
    used_connection.errors_occurred = True
    used_connection.is_usable = lambda: False  # as if the server had gone away during the task
    try:
        worker_hooks._close_old_connections(sender=task())
        assert used_connection.connection is None
    finally:
        del used_connection.is_usable


def test_eager_tasks_leave_the_callers_connection_alone(used_connection, monkeypatch):
    monkeypatch.setattr(worker_hooks, "_last_task_finished", float("-inf"))
    used_connection.health_check_done = True
    worker_hooks._check_connections_after_idle(sender=task(eager=True))
    worker_hooks._close_old_connections(sender=task(eager=True))
    assert used_connection.health_check_done
    assert worker_hooks._last_task_finished == float("-inf")
