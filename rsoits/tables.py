"""django-tables2 tables of the admin screens (rendered with templates/django_tables2/uswds.html)."""

from __future__ import annotations

import django_tables2 as tables

from .models import AccessLog, Agency, Installation, User

USWDS_ATTRS = {"class": "usa-table usa-table--borderless usa-table--striped width-full"}


class AgencyTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = Agency
        fields = ("code", "name", "kind", "jurisdiction_type", "jurisdiction", "ori", "active")
        attrs = USWDS_ATTRS
        empty_text = "No agencies match."


class InstallationTable(tables.Table):
    name = tables.Column(linkify=True)
    lea = tables.Column(verbose_name="Law enforcement agency", accessor="lea__code")

    class Meta:
        model = Installation
        fields = ("code", "name", "component", "city", "state", "country", "lea", "active")
        attrs = USWDS_ATTRS
        empty_text = "No installations match."


class UserTable(tables.Table):
    username = tables.Column(linkify=True)
    agencies = tables.Column(empty_values=(), orderable=False, verbose_name="Agencies and roles")
    locked = tables.BooleanColumn(accessor="locked_at", verbose_name="Locked", orderable=False)

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active")
        attrs = USWDS_ATTRS
        empty_text = "No users match."

    def render_agencies(self, record: User) -> str:
        # memberships are prefetched by the view (constant query count)
        return "; ".join(f"{m.agency.code}: {m.get_role_display()}" for m in record.memberships.all()) or "—"

    def render_locked(self, value) -> str:
        return "Yes" if value else "No"


class AccessLogTable(tables.Table):
    at = tables.DateTimeColumn("Y-m-d H:i:s", verbose_name="When (UTC)")

    class Meta:
        model = AccessLog
        fields = (
            "at",
            "username",
            "agency_code",
            "ori",
            "action",
            "outcome",
            "object_type",
            "object_id",
            "object_repr",
            "count",
            "ip",
            "path",
        )
        attrs = USWDS_ATTRS
        empty_text = "No access-log rows match."
