import django_tables2 as tables

from .models.dod import InstallationMonitoring, SeparationNotice

ATTRS = {"class": "usa-table usa-table--borderless usa-table--striped"}


class MonitoringTable(tables.Table):
    registrant = tables.Column(linkify=lambda record: record.get_absolute_url(), order_by=("registrant__surname",))
    installation = tables.Column(accessor="installation__code")
    next_check_due = tables.DateColumn("Y-m-d", verbose_name="Next check due")
    monitored_by = tables.Column()
    status = tables.Column()

    class Meta:
        model = InstallationMonitoring
        fields = ("registrant", "installation", "monitored_by", "next_check_due", "status")
        attrs = ATTRS

    def render_next_check_due(self, record, value):
        from django.utils import timezone
        from django.utils.html import format_html

        if value is None:
            return "—"
        if record.is_overdue(timezone.localdate()):
            return format_html('<span class="usa-tag bg-secondary-dark">Overdue</span> {}', value.strftime("%Y-%m-%d"))
        return value.strftime("%Y-%m-%d")


class SeparationTable(tables.Table):
    surname = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="Member")
    kind = tables.Column()
    effective_date = tables.DateColumn("Y-m-d")
    state_registry = tables.Column(accessor="state_registry__code", verbose_name="State registry")
    status = tables.Column()

    class Meta:
        model = SeparationNotice
        fields = ("surname", "kind", "component", "effective_date", "state_registry", "status")
        attrs = ATTRS

    def render_surname(self, record):
        return f"{record.surname}, {record.given_name}"
