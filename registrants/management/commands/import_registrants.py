"""manage.py import_registrants FILE --agency CODE [--dry-run] [--user USERNAME]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from registrants.importer import import_registrants
from rsoits.models import Agency, User


class Command(BaseCommand):
    help = "Import registrants from a CSV or XLSX file into a registering agency (idempotent)."
    # A data command: the system checks (a few hundred milliseconds at every start) belong to
    # deployment ("manage.py check --deploy"), not to every import.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--agency", required=True, help="Code of the registering agency, e.g. VA.")
        parser.add_argument("--user", help="Username recorded in history as the importer.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, store nothing.")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"].upper()).first()
        if agency is None or not agency.is_sora:
            raise CommandError(f"--agency: no registering agency with code '{options['agency']}'.")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"--user: no user '{options['user']}'.")
        try:
            with open(options["file"], "rb") as stream:
                result = import_registrants(
                    stream, options["file"], agency=agency, actor=actor, dry_run=options["dry_run"]
                )
        except FileNotFoundError as exc:
            raise CommandError(f"FILE: {exc}") from exc
        for column in result.unknown_columns:
            self.stderr.write(f"unknown column ignored: {column}")
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(result.summary())
        if result.rejected:
            raise SystemExit(1)
