"""Delivery through a real Celery worker process on PostgreSQL and Redis (not eager).

The worker is ``celery -A rsoits worker`` started as a subprocess against the test database;
it sends to a real local SMTP server and a real local HTTP receiver, which record what they
actually received. Run with::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_notify REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python -m pytest --nomigrations --create-db tests/notifications/test_worker.py
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction

from notifications.choices import Channel, EventType, NotificationStatus
from notifications.defaults import install_default_rules
from notifications.models import Disclosure, Notification
from notifications.services import notification_sweep, publish_event
from notifications.tasks import relay_notifications_task
from rsoits.celery import app
from tests.conftest import requires_postgres, requires_redis
from tests.notifications.conftest import endpoint, make_registrant
from tests.notifications.receivers import HttpReceiver, SmtpSink

pytestmark = [requires_postgres, requires_redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
S = NotificationStatus


# ``celery`` run from this checkout, importing only its code: an editable install of another
# checkout in the same virtualenv must not fill in modules this one lacks.
BOOTSTRAP = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
    "sys.argv[0] = 'celery'; from celery.__main__ import main; main()"
)


class Worker:
    """One ``celery worker`` process (prefork, one child) in its own process group."""

    def __init__(self, smtp_port: int) -> None:
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "rsoits.settings",
            "DEBUG": "1",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "REQUIRE_MFA": "0",
        }
        self.log = tempfile.NamedTemporaryFile("w+", prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        command = [
            sys.executable, "-c", BOOTSTRAP, "-A", "rsoits", "worker", "--concurrency", "1", "--pool", "prefork",
            "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
            "--hostname", f"notify-test-{time.time()}@%h",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if app.control.ping(timeout=0.5):
                return self
        raise AssertionError(f"the worker did not start:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool child at once, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]


@pytest.fixture
def broker():
    """The test process talks to the real broker (not eager); the queue starts empty."""
    app.conf.task_always_eager = False
    app.control.purge()
    yield app
    app.control.purge()


@contextlib.contextmanager
def broker_unreachable():
    """Point this process's Celery at a closed port, as if Redis were down."""
    saved = app.conf.broker_url, app.conf.broker_connection_retry
    app.conf.broker_url = "redis://127.0.0.1:1/9"
    app.conf.broker_connection_retry = False
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_connection_retry = saved
        app._pool, app.amqp._producer_pool = None, None


def wait_for(predicate, *, timeout: float, every: float = 0.5, action=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if action is not None:
            action()
        time.sleep(every)
    return predicate()


def worker_connections() -> int:
    """Connections to the test database other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def outstanding() -> int:
    return Notification.objects.exclude(status=S.DELIVERED).count()


def test_exactly_once_through_a_killed_and_restarted_worker(world, broker):
    """1,000 deliveries (500 e-mails, 500 webhooks); the worker is SIGKILLed mid-batch and
    restarted: every message arrives, none twice, and the database records each once."""
    install_default_rules()
    registrant = make_registrant(world, external_id="W-1")
    events = 500
    with SmtpSink() as smtp, HttpReceiver() as http:
        endpoint(world.va, address="desk@va.example.test")
        endpoint(world.nsotc, kind="webhook", address=http.url)
        with transaction.atomic():
            for n in range(events):
                publish_event(
                    event_type=EventType.PASSPORT_APPLICATION, registrant=registrant, actor=world.va_staff,
                    source=world.va, dedupe_key=f"batch:{n}",
                )  # fmt: skip
        outbound = Notification.objects.exclude(channel=Channel.INBOX)
        assert outbound.count() == 2 * events  # exactly what the rules say: VA e-mail, NSOTC webhook
        assert Notification.objects.filter(channel=Channel.INBOX).count() == 2 * events
        expected_email = {
            str(k) for k in outbound.filter(channel=Channel.EMAIL).values_list("idempotency_key", flat=True)
        }
        expected_hook = {
            str(k) for k in outbound.filter(channel=Channel.WEBHOOK).values_list("idempotency_key", flat=True)
        }

        worker = Worker(smtp.port).start()
        try:
            assert wait_for(lambda: len(smtp.messages) + len(http.requests) >= 250, timeout=120), worker.output()
            worker.kill()
            delivered_at_kill = len(smtp.messages) + len(http.requests)
            assert delivered_at_kill < 2 * events, "the batch finished before the kill; nothing was tested"

            worker = Worker(smtp.port).start()
            # beat's sweep re-enqueues what the killed worker held (run here every second, with a
            # short stall threshold; the real one is NOTIFICATIONS_STALL_SECONDS)
            sweep = lambda: notification_sweep(stalled_after=timedelta(seconds=3))  # noqa: E731
            assert wait_for(lambda: outstanding() == 0, timeout=240, every=1, action=sweep), worker.output()
        finally:
            worker.stop()

        emails, hooks = smtp.keys, http.keys
        # none lost
        assert set(emails) == expected_email
        assert set(hooks) == expected_hook
        # none twice: at most the one message in flight at the instant of the kill can reach a
        # receiver a second time, and it carries the same idempotency key (receivers drop it)
        assert (len(emails) - len(set(emails))) + (len(hooks) - len(set(hooks))) <= 1, (len(emails), len(hooks))
    assert Disclosure.objects.count() == 4 * events  # one per delivered notification, never two
    assert not Notification.objects.filter(attempts__gt=1, channel=Channel.INBOX).exists()


def test_broker_down_at_commit_then_delivered_when_it_returns(world, broker):
    install_default_rules()
    registrant = make_registrant(world, external_id="W-2")
    with SmtpSink() as smtp, HttpReceiver() as http:
        endpoint(world.va, address="desk@va.example.test")
        endpoint(world.nsotc, kind="webhook", address=http.url)
        with broker_unreachable(), transaction.atomic():
            publish_event(event_type=EventType.PASSPORT_APPLICATION, registrant=registrant, actor=None)
        # committed, although the relay could not be enqueued
        assert set(Notification.objects.exclude(channel=Channel.INBOX).values_list("status", flat=True)) == {S.PENDING}
        worker = Worker(smtp.port).start()
        try:
            relay_notifications_task.apply_async()  # what beat does every 15 seconds
            assert wait_for(lambda: outstanding() == 0, timeout=60), worker.output()
        finally:
            worker.stop()
        assert len(smtp.keys) == 1 and len(http.keys) == 1


def test_an_event_produces_exactly_the_notifications_the_rules_say(world, broker):
    install_default_rules()
    fugitive = make_registrant(world, external_id="W-3", fugitive=True)  # warrant issued by MD
    with SmtpSink() as smtp:
        for agency in (world.md, world.nsotc, world.usncb, world.va):
            endpoint(agency)
        worker = Worker(smtp.port).start()
        try:
            with transaction.atomic():
                publish_event(event_type=EventType.VISA_APPLICATION, registrant=fugitive, actor=None)
            assert wait_for(lambda: outstanding() == 0, timeout=60), worker.output()
            time.sleep(1)  # the last task has finished
            # the worker keeps its database connection across tasks (CONN_MAX_AGE), as the web does
            assert worker_connections() >= 1, worker.output()
        finally:
            worker.stop()
        # White paper VI.3: a fugitive's visa application -> warrant agency, NSOTC, USNCB; not the SORA
        assert sorted(m["to"][0] for m in smtp.messages) == [
            "desk@md.example.test", "desk@nsotc.example.test", "desk@usncb.example.test",
        ]  # fmt: skip
