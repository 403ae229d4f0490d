"""Tables of the cases app's list pages."""

from __future__ import annotations

import django_tables2 as tables

from .models import Hit
from .models.hits import score_text

__all__ = ["HitQueueTable", "HitTable"]


class HitTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="Hit")
    received_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name="Received")
    event_type = tables.Column(verbose_name="Event")
    subject = tables.Column(accessor="surname", verbose_name="Subject as reported", order_by=("surname", "given_name"))
    date_of_birth = tables.DateColumn("Y-m-d", verbose_name="Date of birth")
    source = tables.Column(verbose_name="Source")
    location = tables.Column(accessor="port_code", verbose_name="Where", orderable=False, empty_values=())
    decision = tables.Column(verbose_name="Matching")
    status = tables.Column()

    class Meta:
        model = Hit
        # What an analyst scans first (status, matching, who) before the columns that scroll.
        fields = ("id", "received_at", "status", "decision", "event_type", "subject", "date_of_birth", "location",
                  "source")  # fmt: skip
        sequence = fields
        attrs = {"class": "usa-table usa-table--borderless usa-table--striped"}

    def render_id(self, record):
        return f"#{record.pk}"

    def render_subject(self, record):
        return f"{record.surname}, {record.given_name} {record.middle_name}".strip(", ")

    def render_source(self, record):
        return f"{record.source}:{record.source_id}"

    def render_location(self, record):
        return record.location or "—"


class HitQueueTable(HitTable):
    fugitive = tables.BooleanColumn(
        accessor="fugitive_candidate", verbose_name="Fugitive", yesno="Fugitive candidate,—", orderable=False
    )
    best = tables.Column(accessor="best_name", verbose_name="Best candidate", orderable=False)

    class Meta(HitTable.Meta):
        sequence = ("fugitive", "id", "received_at", "best", "...")
        orderable = False  # the queue's order is the point: fugitives first, then the oldest

    def render_best(self, value, record):
        """The best candidate still open and its score, as the hit's page shows it."""
        return f"{value} ({score_text(record.best_score)})"
