"""manage.py screen FILE [--output OUT.csv]"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from registrants.matching.screening import screen


class Command(BaseCommand):
    help = (
        "Match a CSV of reported identities (record_id, event_type, source, occurred_at, location, given_name, "
        "middle_name, surname, date_of_birth, sex, nationality, passport_number, passport_country, visa_number, "
        "flight) against the registry, storing nothing. Writes record_id, registrant_external_id, score, decision, "
        "explanation: one row per candidate, one no_match row for a record without candidates."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--output", help="Write the results to this CSV file instead of standard output.")
        parser.add_argument("--batch", type=int, default=None, help="Records matched together (bounded memory).")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes matching batches in parallel (default MATCH_SCREEN_WORKERS: automatic, every core up to "
            "4 for a file of MATCH_SCREEN_SNAPSHOT_ROWS records or more, else 1); the output keeps the input's order.",
        )

    def handle(self, *args, **options):
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers: must be at least 1.")
        try:
            source = open(options["file"], encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"FILE: {exc}") from exc
        out = None
        try:
            out = open(options["output"], "w", encoding="utf-8", newline="") if options["output"] else None  # noqa: SIM115
            result = screen(source, out or self.stdout, batch_size=options["batch"], workers=options["workers"])
        except OSError as exc:
            raise CommandError(f"--output: {exc}") from exc
        finally:
            source.close()
            if out is not None:
                out.close()
        if result.missing_columns:
            raise CommandError(f"FILE: missing column: {', '.join(result.missing_columns)}")
        for error in result.errors:
            self.stderr.write(str(error))
        self.stderr.write(result.summary())
        if result.rejected:
            sys.exit(1)
