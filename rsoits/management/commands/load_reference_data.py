"""Load the reference agency directory and DoD installations (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from rsoits import reference_data


class Command(BaseCommand):
    help = (
        "Create or update the reference agencies (state, territory and tribal SORAs, federal "
        "partners, DoD offices, INTERPOL NCBs) and DoD installations. Safe to run repeatedly."
    )

    def handle(self, *args, **options) -> None:
        counts = reference_data.load(actor=None)
        parts = []
        for label in ("agencies", "installations"):
            c = counts[label]
            text = f"{label}: created {c['created']}, unchanged {c['unchanged']}"
            if c["updated"]:
                text += f", updated {c['updated']}"
            parts.append(text)
        self.stdout.write("; ".join(parts))
