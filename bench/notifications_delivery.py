"""Notification delivery benchmark: deliveries per second through one Celery worker to a local
SMTP sink (aiosmtpd) and a local HTTP receiver, on PostgreSQL + Redis.

    createdb -h 127.0.0.1 -U postgres rsoits_notify_bench
    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_notify_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/notifications_delivery.py [--events 1000] [--pool prefork] [--concurrency N]

Each event (a passport application of a non-fugitive) is routed by the default rules to the
registering SORA (inbox + e-mail) and NSOTC (inbox + signed webhook): two outbound deliveries
per event. All events are published in one transaction; the clock starts when it commits (the
relay is enqueued) and stops when the last outbound notification is delivered. The worker is
``celery -A rsoits worker`` with the production pool and concurrency (``CELERY_WORKER_POOL``,
``CELERY_WORKER_CONCURRENCY``) unless ``--pool``/``--concurrency`` say otherwise, started here and
stopped at the end. The receivers run in a process of their own and are first measured alone
(``--receiver-check``). Besides the rate, the script prints the CPU time per delivery of the
worker, of its PostgreSQL backends and of the receivers. Only 127.0.0.1 is contacted; the wait
is bounded.
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

from django.db import connection, transaction  # noqa: E402

from notifications.choices import Channel, EventType, NotificationStatus  # noqa: E402
from notifications.defaults import install_default_rules  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.services import publish_event  # noqa: E402
from registrants.models import Registrant  # noqa: E402
from registrants.services import registrant_create  # noqa: E402
from rsoits.celery import app  # noqa: E402
from rsoits.choices import AgencyKind, EndpointKind, JurisdictionType  # noqa: E402
from rsoits.models import Agency, AgencyEndpoint  # noqa: E402
from tests.notifications.receivers import ReceiverProcess  # noqa: E402

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


def worker_env(smtp_port: int) -> dict[str, str]:
    """The worker runs with the production settings of the registry benchmark (``DEBUG=0``: no
    query log, no debug cursor wrapper), its mail server pointed at the local sink."""
    from bench.bench_registrants import production_env

    env = production_env(os.environ["REDIS_URL"])
    env.update(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", CELERY_TASK_ALWAYS_EAGER="0")
    return env


def cpu_seconds(*, group: int | None = None, pids: set[int] | frozenset = frozenset()) -> float:
    """User + system CPU seconds used so far by the processes of a process group and/or the
    given pids (from /proc; a load-independent measure, unlike wall time on a shared host)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(entry.name) in pids or (group is not None and int(fields[2]) == group):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_backends() -> set[int]:
    """The PostgreSQL server processes serving this database, except this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def receiver_capacity(count: int) -> tuple[float, float]:
    """E-mails and webhook posts per second the receivers take from one sequential client on
    one kept-open connection each (the worker's children each hold one such connection)."""
    import httpx
    from django.core.mail import EmailMessage
    from django.core.mail.backends.smtp import EmailBackend

    with ReceiverProcess() as receivers:
        mail = EmailBackend(host="127.0.0.1", port=receivers.smtp_port, fail_silently=False)
        mail.open()
        started = time.perf_counter()
        for n in range(count):
            key = f"capacity-{n}"
            headers = {"Message-ID": f"<{key}@bench>", "X-RSOITS-Idempotency-Key": key}
            mail.send_messages([EmailMessage("s", "b", "a@example.test", ["b@example.test"], headers=headers)])
        emails = count / (time.perf_counter() - started)
        mail.close()
        with httpx.Client() as client:
            started = time.perf_counter()
            for n in range(count):
                client.post(receivers.http_url, content=b"{}", headers={"Idempotency-Key": f"capacity-{n}"})
            hooks = count / (time.perf_counter() - started)
        received = receivers.stats()
        assert len(received["emails"]) == len(received["hooks"]) == count, "the receivers lost messages"
    return emails, hooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--pool", default=None, help="the worker's pool (default: CELERY_WORKER_POOL)")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="default: the worker's (CELERY_WORKER_CONCURRENCY)"
    )
    parser.add_argument("--receiver-check", type=int, default=1000, help="messages per receiver in the capacity check")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... and REDIS_URL=redis://... (see the docstring).")
    pool = args.pool or app.conf.worker_pool
    concurrency = args.concurrency or app.conf.worker_concurrency or os.cpu_count()

    if args.receiver_check:
        emails_per_s, hooks_per_s = receiver_capacity(args.receiver_check)
        print(f"receiver capacity:           {emails_per_s:.0f} e-mails/s, {hooks_per_s:.0f} webhooks/s (one client)")

    with ReceiverProcess() as receivers:
        registrant = setup(receivers.smtp_port, receivers.http_url)
        env = worker_env(receivers.smtp_port)
        command = [
            sys.executable, "-c", BOOTSTRAP, "-A", "rsoits", "worker", "--concurrency", str(concurrency),
            "--pool", pool, "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
            "--hostname", f"bench-{time.time()}@%h",
        ]  # fmt: skip
        app.control.purge()
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):
                if time.monotonic() > deadline or worker.poll() is not None:
                    sys.exit("The worker did not start.")
            worker_cpu = cpu_seconds(group=worker.pid)
            main_cpu = cpu_seconds(pids={worker.pid})
            receiver_cpu = cpu_seconds(pids={receivers.process.pid})
            backends_before = database_backends()
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
            worker_cpu = cpu_seconds(group=worker.pid) - worker_cpu
            main_cpu = cpu_seconds(pids={worker.pid}) - main_cpu
            receiver_cpu = cpu_seconds(pids={receivers.process.pid}) - receiver_cpu
            # the worker's own connections (opened for this run; CONN_MAX_AGE keeps them open)
            database_cpu = cpu_seconds(pids=database_backends() - backends_before)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        received = receivers.stats()
    emails, hooks = received["emails"], received["hooks"]
    twice = len(emails) - len(set(emails)) + len(hooks) - len(set(hooks))

    elapsed = done - committed
    print(
        f"events published:            {args.events} in {committed - started_publish:.2f} s "
        f"({args.events / (committed - started_publish):.0f} events/s, one transaction)"
    )
    print(f"outbound deliveries:         {total} (SMTP sink received {len(emails)}, HTTP receiver {len(hooks)}; "
          f"received twice: {twice})")  # fmt: skip
    print(f"worker:                      --pool {pool} --concurrency {concurrency}")
    print(f"commit -> last delivered:    {elapsed:.2f} s")
    print(f"deliveries per second:       {total / elapsed:.0f}")
    print(
        f"CPU per delivery:            worker {worker_cpu / total * 1000:.1f} ms "
        f"(main process {main_cpu / total * 1000:.1f} ms, pool {(worker_cpu - main_cpu) / total * 1000:.1f} ms), "
        f"its PostgreSQL backends {database_cpu / total * 1000:.1f} ms, receivers {receiver_cpu / total * 1000:.1f} ms"
    )
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
