"""Tables of the travel notice and case lists."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from .models import Case, TravelNotice

TABLE_ATTRS = {"class": "usa-table usa-table--borderless usa-table--striped"}


def flag_badges(notice: TravelNotice | None) -> str:
    if notice is None:
        return ""
    flags = []
    if notice.travel_prohibited_flag:
        flags.append(("usa-tag bg-secondary-dark", "Travel prohibited"))
    if notice.fugitive_flag:
        flags.append(("usa-tag bg-secondary-dark", "Fugitive"))
    if notice.is_late:
        flags.append(("usa-tag bg-accent-warm-dark", f"Late ({notice.days_of_notice} d)"))
    return format_html_join(" ", '<span class="{}">{}</span>', flags)


class TravelNoticeTable(tables.Table):
    id = tables.Column(linkify=True, verbose_name="Notice")
    registrant = tables.Column(
        linkify=lambda record: record.registrant.get_absolute_url(), order_by=("registrant__surname",)
    )
    agency = tables.Column(accessor="agency__code", verbose_name="Filed by")
    departure_date = tables.DateColumn("Y-m-d", verbose_name="Departure")
    return_date = tables.DateColumn("Y-m-d", verbose_name="Return")
    countries = tables.Column(empty_values=(), orderable=False, verbose_name="Countries")
    days_of_notice = tables.Column(verbose_name="Days of notice")
    flags = tables.Column(empty_values=(), orderable=False, verbose_name="Flags")
    status = tables.Column()

    class Meta:
        model = TravelNotice
        fields = ("id", "registrant", "agency", "purpose", "departure_date", "return_date", "days_of_notice", "status")
        sequence = (
            "id", "registrant", "agency", "purpose", "departure_date", "return_date", "countries", "days_of_notice",
            "flags", "status",
        )  # fmt: skip
        attrs = TABLE_ATTRS

    def render_id(self, record):
        return f"#{record.pk}"

    def render_countries(self, record):
        return ", ".join(dict.fromkeys(leg.country for leg in record.legs.all()))

    def render_flags(self, record):
        return flag_badges(record) or "—"


class CaseTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="pk", attrs={"th__input": {"aria-label": "Select all"}})
    id = tables.Column(linkify=True, verbose_name="Case")
    registrant = tables.Column(order_by=("registrant__surname",))
    priority = tables.Column()
    status = tables.Column()
    due_date = tables.DateColumn("Y-m-d", verbose_name="Due")
    assignee = tables.Column(accessor="assignee__username", default="—", verbose_name="Assignee")
    departure = tables.DateColumn("Y-m-d", accessor="travel_notice__departure_date", verbose_name="Departure")
    flags = tables.Column(empty_values=(), orderable=False, verbose_name="Flags")

    class Meta:
        model = Case
        fields = ("select", "id", "registrant", "origin", "priority", "status", "due_date", "assignee")
        sequence = (
            "select", "id", "registrant", "origin", "priority", "status", "departure", "due_date", "assignee",
            "flags",
        )  # fmt: skip
        attrs = TABLE_ATTRS

    def __init__(self, *args, selectable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not selectable:
            self.columns.hide("select")

    def render_select(self, value, record):
        return format_html(
            '<input type="checkbox" name="cases" value="{}" aria-label="Select case #{}" form="bulk-assign">',
            value,
            value,
        )

    def render_id(self, record):
        return f"#{record.pk}"

    def render_flags(self, record):
        badges = flag_badges(record.travel_notice)
        if record.is_overdue:
            badges = format_html('{} <span class="usa-tag bg-error">Overdue</span>', badges)
        return badges or "—"
