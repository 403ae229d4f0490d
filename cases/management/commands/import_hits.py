"""manage.py import_hits FILE [--agency CODE] [--user USERNAME] [--dry-run]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cases.hits_import import import_hits
from rsoits.models import Agency, User


class Command(BaseCommand):
    help = (
        "Import hits from a passenger manifest or a CLASS extract (CSV or XLSX) and match them. Idempotent: "
        "a record already stored is counted, not stored again. Exits 1 when a row was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--agency", default="NSOTC", help="Code of the submitting agency (default NSOTC).")
        parser.add_argument("--user", help="Username recorded in history as the importer.")
        parser.add_argument("--dry-run", action="store_true", help="Validate, match and count; store nothing.")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"].upper()).first()
        if agency is None:
            raise CommandError(f"--agency: no agency with code '{options['agency']}'.")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"--user: no user '{options['user']}'.")
        try:
            with open(options["file"], "rb") as stream:
                result = import_hits(stream, options["file"], agency=agency, actor=actor, dry_run=options["dry_run"])
        except FileNotFoundError as exc:
            raise CommandError(f"FILE: {exc}") from exc
        for column in result.unknown_columns:
            self.stderr.write(f"unknown column ignored: {column}")
        for column in result.missing_columns:
            self.stderr.write(f"missing column: {column}")
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(result.summary())
        if result.rejected:
            raise SystemExit(1)
