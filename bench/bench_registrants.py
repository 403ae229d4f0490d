"""Registry benchmark: latency of the list page, list API and detail page under 8 concurrent
clients against gunicorn, SQL queries per request, and import throughput.

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_bench
    .venv/bin/python manage.py load_reference_data && .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/generate_registrants.py --count 1000000 --seed 1
    .venv/bin/python bench/bench_registrants.py [--clients 8] [--requests 40] [--import-rows 20000]

HTTP: the app runs under ``gunicorn rsoits.wsgi -w 2 --bind 127.0.0.1:8765`` (started and
stopped here) in the production configuration, ``DEBUG=0`` (see ``production_env``): cached
template loader, static files collected into STATIC_ROOT and served by WhiteNoise from the
manifest, secure cookies and SSL redirect on. The clients stand in for the TLS-terminating
proxy: they send ``X-Forwarded-Proto: https`` and return the Secure cookies over plain HTTP to
127.0.0.1. Each client thread signs in as ``nsotc_analyst`` through the real login form
(urllib with its own cookie jar) and times whole requests, client overhead included.
Queries: a separate pass through Django's test Client with ``CaptureQueriesContext``, in a child
process with the same production environment.
Import: a 20,000-row CSV in the importer's columns, timed through
``manage.py import_registrants FILE --agency VA`` (per-row services, with history).
Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")
VENV_BIN = ROOT / ".venv" / "bin"
USERNAME = "nsotc_analyst"
PASSWORD = os.environ.get("DEMO_PASSWORD", "rsoits-demo-2026!")
HOST = "127.0.0.1"

import django  # noqa: E402

django.setup()

from django.db import DatabaseError, connection  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- server ------------------------------------------------------------------------------


def production_env(redis_url: str) -> dict[str, str]:
    """The environment of the measured server (and of the query-count pass): production
    settings, with only what a local plain-HTTP run needs set here. REQUIRE_MFA is off because
    the demo user has no authenticator; with it on, every request adds one ``Authenticator``
    query (see docs/performance.md)."""
    env = dict(
        os.environ,
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-only-" + "k" * 50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        REQUIRE_MFA="0",
        LOG_LEVEL="WARNING",
    )
    env.pop("RSOITS_TESTING", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def prewarm(prefixes: tuple[str, ...] = ("registrants_", "rsoits_", "cases_", "notifications_")) -> None:
    """Read the application's tables and indexes into the operating system's page cache
    (``pg_prewarm(..., 'read')``) before timing, as a database server in service holds its working
    set: on this machine the page cache is reclaimed from outside (a cold cache made the detail
    page 20 % slower). Skipped, with a note, where the extension is not available."""
    with connection.cursor() as cur:
        try:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except DatabaseError as exc:  # (not installed, or no right to create it)
            print(f"pg_prewarm unavailable ({exc.__class__.__name__}): timing with the cache as it is", flush=True)
            return
        cur.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relname LIKE ANY(%s)",
            [[f"{p}%" for p in prefixes]],
        )
        blocks = 0
        for (name,) in cur.fetchall():
            cur.execute("SELECT pg_prewarm(%s::regclass, 'read')", [name])
            blocks += cur.fetchone()[0]
    print(f"prewarmed {blocks * 8 // 1024} MB of tables and indexes into the page cache", flush=True)


def collectstatic(env: dict[str, str]) -> None:
    """The manifest WhiteNoise serves from under DEBUG=0."""
    cmd = [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode:
        raise SystemExit(f"collectstatic failed: {proc.stderr[-500:]}")


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    log = open(Path(tempfile.gettempdir()) / "bench_gunicorn.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "rsoits.wsgi", "-w", str(workers), "--bind", f"{HOST}:{port}",
         "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = urllib.request.Request(f"http://{HOST}:{port}/healthz", headers={"X-Forwarded-Proto": "https"})
            urllib.request.urlopen(probe, timeout=10).read()  # noqa: S310
            return proc
        except OSError:  # URLError, refused, timed out while the workers boot
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log.name}") from None
            time.sleep(0.5)
    stop_gunicorn(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- HTTP client -------------------------------------------------------------------------


class LocalProxyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Return Secure cookies to 127.0.0.1 over plain HTTP: the client plays the TLS proxy."""

    def return_ok_secure(self, cookie, request) -> bool:
        return urllib.parse.urlsplit(request.get_full_url()).hostname == HOST


class Client:
    """One signed-in browser behind a TLS-terminating proxy: a cookie jar and an opener; only
    ever talks to 127.0.0.1, over plain HTTP with ``X-Forwarded-Proto: https``."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar(policy=LocalProxyCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def url(self, path: str) -> str:
        """An absolute URL on the local server; links the app builds say https (the proxy's)."""
        url = path if path.startswith("http") else self.base + path
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname == HOST, url
        return urllib.parse.urlunsplit(("http", *parts[1:]))

    def get(self, path: str, accept: str = "text/html") -> tuple[int, bytes]:
        url = self.url(path)
        headers = {"Accept": accept, "X-Forwarded-Proto": "https"}
        req = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only (asserted)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def login(self) -> None:
        status, body = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not token:
            raise SystemExit(f"login page: HTTP {status}, no CSRF token")
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "login": USERNAME, "password": PASSWORD,
             "acknowledge_notice": "on"}
        ).encode()  # fmt: skip
        url = self.url("/accounts/login/")
        # Under HTTPS, CSRF checks the Referer against the (proxied) https origin.
        referer = "https" + url[len("http") :]
        headers = {"Referer": referer, "X-Forwarded-Proto": "https"}
        req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - 127.0.0.1 only
        with self.opener.open(req, timeout=60) as resp:
            resp.read()
        status, _ = self.get("/registrants/")
        if status != 200:
            raise SystemExit(f"sign-in as {USERNAME} failed (GET /registrants/ -> HTTP {status}); run seed_demo")


def run_endpoint(base: str, clients: list[Client], name: str, make_request, per_client: int, warmup: int):
    """Each client thread runs ``warmup`` untimed then ``per_client`` timed requests."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def worker(index: int, client: Client) -> None:
        rng = random.Random(index)
        state: dict = {}
        mine, codes = [], Counter()
        for i in range(warmup + per_client):
            t0 = time.perf_counter()
            status = make_request(client, rng, state)
            elapsed = time.perf_counter() - t0
            if i >= warmup:
                mine.append(elapsed)
                codes[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "endpoint": name,
        "requests": len(latencies),
        "statuses": dict(statuses),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "max_ms": max(latencies) * 1000,
        "throughput_rps": len(latencies) / wall,
    }


def sample_ids(n: int) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM registrants_registrant")
        lo, hi = cur.fetchone()
        rng = random.Random(7)
        wanted = [rng.randint(lo, hi) for _ in range(n * 2)]
        cur.execute("SELECT id FROM registrants_registrant WHERE id = ANY(%s)", [wanted])
        found = [r[0] for r in cur.fetchall()]
    return found[:n]


def list_page(client: Client, rng, state) -> int:
    return client.get("/registrants/")[0]


def list_api(client: Client, rng, state) -> int:
    """Walk the cursor: first page, then up to 9 ``next`` pages, then start over."""
    url = state.get("next") if state.get("depth", 0) < 10 else None
    status, body = client.get(url or "/api/v1/registrants/", accept="application/json")
    if status == 200:
        state["next"] = json.loads(body).get("next")
        state["depth"] = 0 if not url else state.get("depth", 0) + 1
    return status


def make_detail(ids: list[int]):
    def detail(client: Client, rng, state) -> int:
        return client.get(f"/registrants/{rng.choice(ids)}/")[0]

    return detail


# --- query counts ------------------------------------------------------------------------


TX_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.I)


def count_queries(ids: list[int], samples: int = 10) -> dict:
    """Statements per request, after a first (untimed, uncounted) request per endpoint.
    ``sql_*`` leave out transaction control (BEGIN/COMMIT/SAVEPOINT of ATOMIC_REQUESTS)."""
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient()
    page = client.get("/accounts/login/", secure=True)
    token = page.cookies.get("csrftoken")
    client.post(
        "/accounts/login/",
        {"login": USERNAME, "password": PASSWORD, "acknowledge_notice": "on",
         "csrfmiddlewaretoken": token.value if token else ""},
        secure=True,
    )  # fmt: skip
    out = {}
    paths = {
        "list page": lambda i: "/registrants/",
        "list API": lambda i: "/api/v1/registrants/",
        "detail": lambda i: f"/registrants/{ids[i % len(ids)]}/",
    }
    for name, path in paths.items():
        counts, sql_counts, statements = [], [], Counter()
        client.get(path(samples), secure=True, **({"HTTP_ACCEPT": "application/json"} if "API" in name else {}))
        for i in range(samples):
            headers = {"HTTP_ACCEPT": "application/json"} if "API" in name else {}
            with CaptureQueriesContext(connection) as ctx:
                resp = client.get(path(i), secure=True, **headers)
            assert resp.status_code == 200, (name, resp.status_code)
            counts.append(len(ctx.captured_queries))
            control = sum(1 for q in ctx.captured_queries if TX_CONTROL.match(q["sql"]))
            sql_counts.append(len(ctx.captured_queries) - control)
            for q in ctx.captured_queries:
                sql = re.sub(r"\s+", " ", q["sql"])
                table = re.search(r'(?:FROM|INTO|UPDATE) "([a-z_0-9]+)"', sql)
                verb = sql.split(" ", 1)[0]
                statements[f"{verb} {table.group(1) if table else sql[:40]}"] += 1
        out[name] = {
            "min": min(counts),
            "max": max(counts),
            "median": statistics.median(counts),
            "sql_min": min(sql_counts),
            "sql_max": max(sql_counts),
            "sql_median": statistics.median(sql_counts),
            "per_request": {k: v / samples for k, v in statements.most_common()},
        }
    return out


def count_queries_in(env: dict[str, str], ids: list[int]) -> dict:
    """``count_queries`` in a child process started with the server's environment."""
    with tempfile.TemporaryDirectory() as tmp:
        ids_path, out_path = Path(tmp) / "ids.json", Path(tmp) / "queries.json"
        ids_path.write_text(json.dumps(ids))
        cmd = [str(VENV_BIN / "python"), str(Path(__file__).resolve()), "--count-queries", str(ids_path), str(out_path)]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode:
            raise SystemExit(f"query count failed: {proc.stderr[-1500:]}")
        return json.loads(out_path.read_text())


# --- import ------------------------------------------------------------------------------


def write_import_csv(path: Path, rows: int, tag: str) -> None:
    from bench.generate_registrants import random_person
    from registrants.importer import COLUMNS

    rng = random.Random(11)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for n in range(rows):
            sex, given, middle, surname = random_person(rng)
            aliases = ""
            if rng.random() < 0.04:
                _, a_given, _, a_surname = random_person(rng)
                aliases = f"{a_given} {a_surname.replace(' ', '-')}"
            passport = rng.random() < 0.05
            writer.writerow({
                "external_id": f"IMP-{tag}-{n:06d}", "given_name": given, "middle_name": middle,
                "surname": surname,
                "date_of_birth": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "sex": sex, "place_of_birth": "Synthetic", "citizenship": "US",
                "street": f"{rng.randint(1, 9999)} Synthetic St", "city": "Testville", "state": "VA",
                "postal_code": f"2{rng.randint(0, 9999):04d}", "country": "US",
                "fbi_number": f"IFBI{tag}{n:06d}" if rng.random() < 0.6 else "",
                "state_id": f"ISID-VA-{tag}-{n:06d}",
                "passport_number": f"IP{tag}{n:06d}" if passport else "", "passport_country": "US" if passport else "",
                "status": "compliant", "aliases": aliases,
            })  # fmt: skip


def bench_import(rows: int) -> dict:
    tag = time.strftime("%m%d%H%M%S")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_import.csv"
        write_import_csv(path, rows, tag)
        cmd = [str(VENV_BIN / "python"), "manage.py", "import_registrants", str(path), "--agency", "VA"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
        elapsed = time.perf_counter() - t0
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "returncode": proc.returncode,
        "summary": proc.stdout.strip()[-300:],
        "stderr_tail": proc.stderr.strip()[-500:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per client per endpoint")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--import-rows", type=int, default=20000, help="0 to skip the import benchmark")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        help="cache (and sessions) of the measured server, as in production; '' for local memory",
    )
    parser.add_argument(
        "--skip-collectstatic", action="store_true", help="serve the static files collected by an earlier run"
    )
    parser.add_argument("--no-prewarm", action="store_true", help="time with the page cache as it is")
    parser.add_argument("--count-queries", nargs=2, metavar=("IDS_JSON", "OUT_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.count_queries:  # the child process of count_queries_in
        ids_path, out_path = args.count_queries
        Path(out_path).write_text(json.dumps(count_queries(json.loads(Path(ids_path).read_text()))))
        return
    server_env = production_env(args.redis_url)
    # The pages measured here never match identities. A web worker otherwise reads the matching
    # engine's name frequencies when it starts (seconds of one grouped count at a million
    # registrants, see docs/matching.md): that start-up work would fall into the first timed
    # endpoint. The hit benchmark (bench/hits_api.py) keeps it.
    server_env.setdefault("MATCH_WARM_UP_AT_START", "0")
    print(
        "server settings: DEBUG=0 ALLOWED_HOSTS=127.0.0.1 REQUIRE_MFA=0 "
        f"REDIS_URL={server_env.get('REDIS_URL', '(unset: local-memory cache)')} "
        f"CONN_MAX_AGE={server_env.get('CONN_MAX_AGE', '60 (default)')} "
        f"MATCH_WARM_UP_AT_START={server_env['MATCH_WARM_UP_AT_START']}; clients send X-Forwarded-Proto: https",
        flush=True,
    )

    results: dict = {}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM registrants_registrant")
        results["registrants"] = cur.fetchone()[0]
    print(f"registrants in the database: {results['registrants']}", flush=True)
    ids = sample_ids(2000)
    if not args.skip_http and not args.no_prewarm:
        prewarm()  # (the pages' tables; the import's are read again before it, below)
    connection.close()

    if not args.skip_http:
        base = f"http://{HOST}:{args.port}"
        if not args.skip_collectstatic:
            collectstatic(server_env)
        proc = start_gunicorn(args.port, args.workers, server_env)
        try:
            clients = [Client(base) for _ in range(args.clients)]
            for c in clients:
                c.login()
            results["http"] = []
            for name, fn in (("GET /registrants/", list_page), ("GET /api/v1/registrants/", list_api),
                             ("GET /registrants/<id>/", make_detail(ids))):  # fmt: skip
                r = run_endpoint(base, clients, name, fn, args.requests, args.warmup)
                results["http"].append(r)
                print(
                    f"{name:28} n={r['requests']} p50={r['p50_ms']:.1f} ms p95={r['p95_ms']:.1f} ms "
                    f"mean={r['mean_ms']:.1f} ms max={r['max_ms']:.1f} ms {r['throughput_rps']:.1f} req/s "
                    f"statuses={r['statuses']}",
                    flush=True,
                )
        finally:
            stop_gunicorn(proc)

        # (pages render with the static files collected above)
        results["queries"] = count_queries_in(server_env, ids)
        for name, q in results["queries"].items():
            print(
                f"queries {name:10} all statements {q['min']}..{q['max']} (median {q['median']}); "
                f"without BEGIN/COMMIT {q['sql_min']}..{q['sql_max']} (median {q['sql_median']})",
                flush=True,
            )
            for stmt, n in q["per_request"].items():
                print(f"    {n:5.1f}  {stmt}")
    connection.close()

    if args.import_rows:
        if not args.no_prewarm:
            prewarm(("registrants_",))  # the indexes the new rows go into
            connection.close()
        r = bench_import(args.import_rows)
        results["import"] = r
        print(
            f"import {r['rows']} rows in {r['seconds']:.1f} s: {r['rows_per_s']:.0f} rows/s "
            f"(exit {r['returncode']}: {r['summary']}) {r['stderr_tail'][:200]}",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
