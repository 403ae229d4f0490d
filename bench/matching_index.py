"""Fill the blocking index (``MatchKey``) for registrants that have none, e.g. after
``bench/generate_registrants.py`` loaded them in bulk. The same keys the services store.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_match_bench \
    .venv/bin/python bench/matching_index.py

Batches of ``--batch`` registrants, each read with two queries and written with COPY, in its own
transaction (bounded memory).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from registrants.keys import registrant_match_keys  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=20000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only (COPY).")
    last, done, keys_written = 0, 0, 0
    t0 = time.perf_counter()
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.id FROM registrants_registrant r WHERE r.id > %s AND NOT EXISTS "
                "(SELECT 1 FROM registrants_matchkey k WHERE k.registrant_id = r.id) ORDER BY r.id LIMIT %s",
                [last, args.batch],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            last = ids[-1]
            names, dates = defaultdict(list), defaultdict(list)
            cursor.execute(
                "SELECT registrant_id, norm_given, norm_surname FROM registrants_registrantname "
                "WHERE registrant_id = ANY(%s)",
                [ids],
            )
            for rid, given, surname in cursor.fetchall():
                names[rid].append((given, surname))
            cursor.execute(
                "SELECT registrant_id, date FROM registrants_registrantbirthdate WHERE registrant_id = ANY(%s)", [ids]
            )
            for rid, dob in cursor.fetchall():
                dates[rid].append(dob)
            raw = cursor.cursor
            with raw.copy("COPY registrants_matchkey (registrant_id, key) FROM STDIN") as copy:
                for rid in ids:
                    for key in registrant_match_keys(names[rid], dates[rid]):
                        copy.write_row((rid, key))
                        keys_written += 1
        done += len(ids)
        elapsed = time.perf_counter() - t0
        print(f"{done:>9} registrants  {keys_written:>10} keys  {done / elapsed:8.0f} registrants/s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registrants_matchkey")
    print(f"done: {done} registrants, {keys_written} keys in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
