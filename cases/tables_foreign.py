"""Tables of the foreign-notice, inbound-notice and passport-action lists."""

from __future__ import annotations

import django_tables2 as tables

from .models import ForeignNotice, InboundForeignNotice, PassportAction

ATTRS = {"class": "usa-table usa-table--borderless usa-table--striped width-full"}


class ForeignNoticeTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="Notice")
    registrant = tables.Column(verbose_name="Registrant")
    case = tables.Column(accessor="case_id", verbose_name="Case")
    ncb = tables.Column(accessor="ncb__code", verbose_name="NCB")
    corrects = tables.Column(accessor="corrects_id", verbose_name="Corrects", default="—")
    sent_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name="Sent")
    sent_48h_ahead = tables.BooleanColumn(verbose_name="48 h ahead", null=True)

    class Meta:
        model = ForeignNotice
        fields = ("id", "registrant", "case", "country", "ncb", "status", "departure_date", "sent_at")
        sequence = ("id", "registrant", "case", "country", "ncb", "status", "departure_date", "sent_at")
        attrs = ATTRS
        empty_text = "No foreign notices."


class InboundForeignNoticeTable(tables.Table):
    foreign_reference = tables.Column(linkify=True)
    surname = tables.Column(verbose_name="Name", order_by=("surname", "given_name"))

    class Meta:
        model = InboundForeignNotice
        fields = ("foreign_reference", "country", "surname", "date_of_birth", "nationality", "arrival_date")
        attrs = ATTRS
        empty_text = "No inbound notices."

    def render_surname(self, record):
        return f"{record.surname}, {record.given_name}"


class PassportActionTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="Request")
    registrant = tables.Column()
    requesting_agency = tables.Column(accessor="requesting_agency__code", verbose_name="Requested by")
    requested_at = tables.DateTimeColumn("Y-m-d", verbose_name="Requested")

    class Meta:
        model = PassportAction
        fields = ("id", "registrant", "kind", "legal_basis", "status", "requesting_agency", "requested_at")
        attrs = ATTRS
        empty_text = "No passport actions."
