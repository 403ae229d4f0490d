"""Hit ingest latency through the API: ``POST /api/v1/hits/`` (stored, matched against the whole
registry, answered with the result) by a system client, with 1 and with N concurrent clients,
against a PostgreSQL registry (e.g. the 1,000,000 registrants of ``bench/matching_index.py``).

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_match_bench
    .venv/bin/python bench/hits_api.py --clients 1 --requests 200
    .venv/bin/python bench/hits_api.py --clients 8 --requests 50

The server runs with the production settings of ``bench_registrants.production_env`` (DEBUG=0,
Redis, PostgreSQL JIT off); the client sends ``X-Forwarded-Proto: https`` as the TLS proxy would.
Each request reports a registrant drawn at random, with a typo in the surname half the time, or
a person not in the registry; every ``source_id`` is new, so every request matches.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.bench_registrants import (  # noqa: E402
    HOST,
    percentile,
    prewarm,
    production_env,
    start_gunicorn,
    stop_gunicorn,
)
from registrants.models import Registrant  # noqa: E402
from rsoits.choices import AgencyKind, JurisdictionType, Role  # noqa: E402
from rsoits.models import Agency, Membership, User  # noqa: E402
from rsoits.services import token_issue  # noqa: E402


def client_token() -> str:
    agency, _ = Agency.objects.get_or_create(
        code="BENCH-CBP",
        defaults={"name": "Benchmark screening client", "kind": AgencyKind.CBP,
                  "jurisdiction_type": JurisdictionType.FEDERAL, "jurisdiction": "US"},
    )  # fmt: skip
    user, _ = User.objects.get_or_create(username="bench_hits_client")
    Membership.objects.get_or_create(user=user, agency=agency, role=Role.SYSTEM_CLIENT)
    _, token = token_issue(actor=None, user=user)
    return token


def subjects(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    top = Registrant.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # As many more keys as the range has gaps (deleted records), so that n people are found.
    draws = n * 2 * top // max(Registrant.objects.count(), 1)
    ids = [rng.randint(1, top) for _ in range(draws)]
    people = list(Registrant.objects.filter(pk__in=ids).values("given_name", "surname", "date_of_birth", "sex")[:n])
    out = []
    for i, p in enumerate(people):
        surname = p["surname"]
        if i % 2 and len(surname) > 3:
            k = rng.randrange(1, len(surname) - 1)
            surname = surname[:k] + surname[k + 1] + surname[k] + surname[k + 2 :]  # transposed letters
        if i % 5 == 4:
            surname = "Zzyzx" + surname  # someone not in the registry
        out.append({
            "given_name": p["given_name"], "surname": surname, "sex": p["sex"] or "U",
            "date_of_birth": p["date_of_birth"].isoformat() if p["date_of_birth"] else None,
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per client")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="the server's REDIS_URL ('' for none)")
    parser.add_argument("--no-prewarm", action="store_true", help="time with the page cache as it is")
    args = parser.parse_args()
    if not args.no_prewarm:
        prewarm()
    token = client_token()
    people = subjects(args.clients * (args.requests + 3), seed=int(time.time()))
    run = time.strftime("%H%M%S")
    proc = start_gunicorn(args.port, args.workers, production_env(args.redis_url))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    decisions: dict[str, int] = {}
    lock = threading.Lock()

    def worker(index: int) -> None:
        mine = people[index :: args.clients]
        for n, person in enumerate(mine[: args.requests + 3]):
            body = json.dumps({
                "event_type": "port_departure", "source": "tecs_apis", "source_id": f"BENCH-{run}-{index}-{n}",
                "occurred_at": "2026-11-20T14:05:00Z", "port_code": "IAD", "nationality": "US", **person,
            }).encode()  # fmt: skip
            req = urllib.request.Request(
                f"http://{HOST}:{args.port}/api/v1/hits/", data=body, method="POST",
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                         "X-Forwarded-Proto": "https"},  # (the client plays the TLS proxy)
            )  # fmt: skip
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
                    status, payload = resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                status, payload = exc.code, {}
            elapsed = time.perf_counter() - t0
            if n < 3:
                continue  # warm-up
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                decisions[payload.get("decision", "?")] = decisions.get(payload.get("decision", "?"), 0) + 1

    try:
        # A registry in service has statistics on its hit tables; a fresh benchmark database has
        # none, and the planner would join a "tiny" candidate table by merging over the whole
        # registry's key. Warm up with a few hits, then let PostgreSQL look at the tables.
        warm = threading.Thread(target=worker, args=(args.clients,))
        people.extend(subjects(30, seed=1))
        warm.start()
        warm.join()
        latencies.clear(), statuses.clear(), decisions.clear()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_hit")
            cursor.execute("ANALYZE cases_hitcandidate")
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        stop_gunicorn(proc)
    print(f"registrants: {Registrant.objects.count()}; clients {args.clients}; gunicorn workers {args.workers}")
    print(f"requests {len(latencies)}; HTTP {statuses}; decisions {decisions}")
    print(
        f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; {len(latencies) / wall:.1f} requests/s"
    )


if __name__ == "__main__":
    main()
