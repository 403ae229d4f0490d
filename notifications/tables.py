import django_tables2 as tables
from django.utils.html import format_html

from .models import Disclosure, Notification

TABLE_ATTRS = {"class": "usa-table usa-table--borderless usa-table--striped"}


class InboxTable(tables.Table):
    created_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name="Received (UTC)")
    subject = tables.Column(linkify=True, verbose_name="Notification")
    agency = tables.Column(accessor="agency__code", verbose_name="For")
    priority = tables.Column()
    acknowledged_at = tables.Column(verbose_name="Acknowledged", empty_values=())

    class Meta:
        model = Notification
        fields = ("created_at", "subject", "agency", "priority", "acknowledged_at")
        attrs = TABLE_ATTRS
        order_by = ("-created_at",)

    def render_acknowledged_at(self, record):
        if record.acknowledged_at is None:
            return format_html('<span class="usa-tag bg-secondary">{}</span>', "Unread")
        who = record.acknowledged_by.get_username() if record.acknowledged_by else ""
        return f"{record.acknowledged_at:%Y-%m-%d %H:%M} {who}".strip()


class OutboxTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="#")
    created_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name="Created (UTC)")
    event_type = tables.Column(verbose_name="Event")
    agency = tables.Column(accessor="agency__code", verbose_name="Recipient")
    channel = tables.Column()
    address = tables.Column(verbose_name="Address")
    status = tables.Column()
    attempts = tables.Column()
    last_error = tables.Column(verbose_name="Last error")

    class Meta:
        model = Notification
        fields = ("id", "created_at", "event_type", "agency", "channel", "address", "status", "attempts", "last_error")
        attrs = TABLE_ATTRS
        order_by = ("-created_at",)


class DisclosureTable(tables.Table):
    disclosed_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name="Date (UTC)")
    nature_and_purpose = tables.Column(verbose_name="Nature and purpose")
    recipient_name = tables.Column(verbose_name="Recipient")
    recipient_address = tables.Column(verbose_name="Recipient's address")
    channel = tables.Column()
    sender_name = tables.Column(verbose_name="Sent by")

    class Meta:
        model = Disclosure
        fields = ("disclosed_at", "nature_and_purpose", "recipient_name", "recipient_address", "channel", "sender_name")
        attrs = TABLE_ATTRS
        orderable = False
