"""Deadline sweep benchmark: the travel-notice and case deadline checks over a large table.

Loads N synthetic travel notices (default 1,000,000) spread over ten years up to four months
ahead, as a registry would accumulate them: trips in the past are completed with their return
recorded, a trip not yet over is submitted (2 % of them late) and has its NSOTC case. Then it
times the three checks the beat runs (late notices, vetting due, return overdue) twice: the first
sweep publishes every due event through the real router and outbox, the second finds the same
rows and publishes nothing (dedupe keys), which is the steady state of a sweep every 15 minutes.

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_sweep
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_reference_data
    .venv/bin/python bench/deadline_sweep.py --notices 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Case, TravelNotice  # noqa: E402
from cases.tasks import (  # noqa: E402
    check_late_notices_task,
    check_returns_overdue_task,
    check_vetting_due_task,
    late_notices_due,
    returns_overdue,
    vetting_due,
)
from registrants.models import Registrant  # noqa: E402
from rsoits.bulk import bulk_insert_plain, bulk_insert_with_history  # noqa: E402
from rsoits.models import Agency  # noqa: E402

COLUMNS = (
    "registrant_id", "agency_id", "status", "date_given", "departure_date", "return_date", "purpose",
    "purpose_detail", "passport_number", "passport_country", "companions", "means_of_travel", "late_reason",
    "late_reason_detail", "days_of_notice", "is_late", "travel_prohibited_flag", "fugitive_flag", "submitted_at",
    "amendment_reason", "cancel_reason", "return_outcome", "actual_return_date", "created_at", "updated_at",
)  # fmt: skip


def load(notices: int, registrants: int, seed: int) -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("Run against PostgreSQL (DATABASE_URL=postgres://...).")
    agency = Agency.objects.get(code="VA")
    have = Registrant.objects.filter(external_id__startswith="SWEEP-").count()
    if have < registrants:
        people = [
            Registrant(registering_agency=agency, external_id=f"SWEEP-{n:06d}", given_name="Sweep", surname=f"P{n}")
            for n in range(have, registrants)
        ]
        bulk_insert_with_history(people, Registrant)
    ids = list(Registrant.objects.filter(external_id__startswith="SWEEP-").values_list("pk", flat=True))
    existing = TravelNotice.objects.filter(registrant_id__in=ids[:1]).exists() and TravelNotice.objects.count()
    if existing and existing >= notices:
        print(f"{existing} travel notices already loaded")
        return
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    t0 = time.perf_counter()
    batch: list[tuple] = []
    for _ in range(notices):
        departure = today + timedelta(days=rng.randint(-3650, 120))
        back = departure + timedelta(days=rng.randint(3, 30))
        late = rng.random() < 0.02
        given = departure - timedelta(days=rng.randint(5, 20) if late else rng.randint(21, 90))
        over = back < today - timedelta(days=5)
        batch.append((
            rng.choice(ids), agency.pk, "completed" if over else "submitted", given, departure, back, "travel", "",
            "", "", "", "air", "emergency" if late else "", "", (departure - given).days, late, False, False, now,
            "", "", "returned" if over else "", back if over else None, now, now,
        ))  # fmt: skip
        if len(batch) == 50_000:
            bulk_insert_plain(TravelNotice, batch, COLUMNS)
            batch = []
    bulk_insert_plain(TravelNotice, batch, COLUMNS)
    with connection.cursor() as cursor:
        # The NSOTC case of every notice not yet over: open, in review or forwarded.
        cursor.execute(
            """
            INSERT INTO cases_case (registrant_id, origin, travel_notice_id, priority, priority_reasons, due_date,
                                    status, ncic_wanted_checked, nsor_verified, registration_compliant,
                                    court_conditions_reviewed, disposition, opened_at, updated_at)
            SELECT registrant_id, 'travel_notice', id, 2, '[]', departure_date - 2,
                   (ARRAY['open', 'in_review', 'forwarded'])[1 + (id % 3)], false, false, false, false, '', now(), now()
            FROM cases_travelnotice t
            WHERE status = 'submitted' AND NOT EXISTS (SELECT 1 FROM cases_case c WHERE c.travel_notice_id = t.id)
            """
        )
        cursor.execute("ANALYZE cases_travelnotice; ANALYZE cases_case;")
    print(f"loaded {notices} notices in {time.perf_counter() - t0:.1f} s; {Case.objects.count()} cases")


def sweep(label: str) -> float:
    t0 = time.perf_counter()
    counts = {
        "late notices": check_late_notices_task(),
        "vetting due": check_vetting_due_task(),
        "returns overdue": check_returns_overdue_task(),
    }
    elapsed = time.perf_counter() - t0
    print(f"{label}: {elapsed:.2f} s, events published {counts}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=1_000_000)
    parser.add_argument("--registrants", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    load(args.notices, args.registrants, args.seed)
    print(f"travel notices in the table: {TravelNotice.objects.count()}")
    due = {
        "late notices": late_notices_due().count(),
        "vetting due": vetting_due().count(),
        "returns overdue": returns_overdue().count(),
    }
    print(f"due rows: {due}")
    sweep("first sweep (publishes)")
    sweep("second sweep (steady state: everything already told)")


if __name__ == "__main__":
    main()
