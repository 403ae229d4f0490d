"""Notification delivery benchmark: deliveries per second through one Celery worker process to a
local SMTP sink (aiosmtpd) and a local HTTP receiver, on PostgreSQL + Redis.

    createdb -h 127.0.0.1 -U postgres rsoits_notify_bench
    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_notify_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/notifications_delivery.py [--events 1000] [--concurrency 1]

Each event (a passport application of a non-fugitive) is routed by the default rules to the
registering SORA (inbox + e-mail) and NSOTC (inbox + signed webhook): two outbound deliveries
per event. All events are published in one transaction; the clock starts when it commits (the
relay is enqueued) and stops when the last outbound notification is delivered. The worker is
``celery -A rsoits worker --concurrency N`` started here and stopped at the end. Only 127.0.0.1
is contacted; the wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from notifications.choices import Channel, EventType, NotificationStatus  # noqa: E402
from notifications.defaults import install_default_rules  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.services import publish_event  # noqa: E402
from registrants.models import Registrant  # noqa: E402
from registrants.services import registrant_create  # noqa: E402
from rsoits.celery import app  # noqa: E402
from rsoits.choices import AgencyKind, EndpointKind, JurisdictionType  # noqa: E402
from rsoits.models import Agency, AgencyEndpoint  # noqa: E402
from tests.notifications.receivers import HttpReceiver, SmtpSink  # noqa: E402

BOOTSTRAP = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
    "sys.argv[0] = 'celery'; from celery.__main__ import main; main()"
)


def agency(code: str, kind: str, jurisdiction_type: str, jurisdiction: str) -> Agency:
    found = Agency.objects.filter(code=code).first()
    if found:
        return found
    return Agency.objects.create(
        code=code, name=f"Bench {code}", kind=kind, jurisdiction_type=jurisdiction_type, jurisdiction=jurisdiction
    )


def setup(smtp_port: int, hook_url: str) -> Registrant:
    install_default_rules()
    va = agency("VA", AgencyKind.STATE_SORA, JurisdictionType.STATE, "VA")
    nsotc = agency("NSOTC", AgencyKind.NSOTC, JurisdictionType.FEDERAL, "US")
    AgencyEndpoint.objects.filter(agency__in=[va, nsotc]).update(active=False)
    AgencyEndpoint.objects.update_or_create(
        agency=va, kind=EndpointKind.EMAIL, address="bench@va.example.test", defaults={"active": True}
    )
    AgencyEndpoint.objects.update_or_create(
        agency=nsotc, kind=EndpointKind.WEBHOOK, address=hook_url, defaults={"active": True}
    )
    registrant = Registrant.objects.filter(registering_agency=va, external_id="BENCH-NOTIFY").first()
    return registrant or registrant_create(
        actor=None, registering_agency=va, external_id="BENCH-NOTIFY", given_name="Bench", surname="Person"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... and REDIS_URL=redis://... (see the docstring).")

    with SmtpSink() as smtp, HttpReceiver() as http:
        registrant = setup(smtp.port, http.url)
        env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "CELERY_TASK_ALWAYS_EAGER": "0"}
        command = [
            sys.executable, "-c", BOOTSTRAP, "-A", "rsoits", "worker", "--concurrency", str(args.concurrency),
            "--pool", "prefork", "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
            "--hostname", f"bench-{time.time()}@%h",
        ]  # fmt: skip
        app.control.purge()
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):
                if time.monotonic() > deadline or worker.poll() is not None:
                    sys.exit("The worker did not start.")
            started_publish = time.perf_counter()
            with transaction.atomic():
                first_id = None
                for n in range(args.events):
                    written = publish_event(
                        event_type=EventType.PASSPORT_APPLICATION, registrant=registrant, actor=None,
                        dedupe_key=f"bench:{time.time_ns()}:{n}",
                    )  # fmt: skip
                    first_id = first_id or min(x.pk for x in written)
            committed = time.perf_counter()
            outbound = Notification.objects.filter(pk__gte=first_id).exclude(channel=Channel.INBOX)
            total = outbound.count()
            deadline = time.monotonic() + args.timeout
            while outbound.exclude(status=NotificationStatus.DELIVERED).exists():
                if time.monotonic() > deadline:
                    sys.exit("Timed out waiting for deliveries.")
                time.sleep(0.05)
            done = time.perf_counter()
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        emails, hooks = len(smtp.messages), len(http.accepted)

    elapsed = done - committed
    print(
        f"events published:            {args.events} in {committed - started_publish:.2f} s "
        f"({args.events / (committed - started_publish):.0f} events/s, one transaction)"
    )
    print(f"outbound deliveries:         {total} (SMTP sink received {emails}, HTTP receiver {hooks})")
    print(f"worker concurrency:          {args.concurrency}")
    print(f"commit -> last delivered:    {elapsed:.2f} s")
    print(f"deliveries per second:       {total / elapsed:.0f}")


if __name__ == "__main__":
    main()
