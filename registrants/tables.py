import django_tables2 as tables
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import Registrant

EMPTY = "—"


class IsoDateColumn(tables.Column):
    """A date as YYYY-MM-DD, formatted in Python (django-tables2's DateColumn compiles a template
    for every cell it renders)."""

    def render(self, value):
        return value.isoformat()

    def value(self, value):
        return value.isoformat()


class RegistrantTable(tables.Table):
    surname = tables.Column(linkify=True, verbose_name="Name", order_by=("surname", "given_name"))
    date_of_birth = IsoDateColumn(verbose_name="Date of birth")
    registering_agency = tables.Column(accessor="registering_agency__code", verbose_name="Jurisdiction")
    status = tables.Column()
    is_fugitive = tables.BooleanColumn(verbose_name="Fugitive", yesno="Fugitive,—")
    travel_prohibited = tables.BooleanColumn(verbose_name="Travel prohibited", yesno="Prohibited,—")

    class Meta:
        model = Registrant
        fields = ("surname", "external_id", "date_of_birth", "sex", "registering_agency", "status")
        sequence = (
            "surname", "external_id", "date_of_birth", "sex", "registering_agency", "status", "is_fugitive",
            "travel_prohibited",
        )  # fmt: skip
        attrs = {"class": "usa-table usa-table--borderless usa-table--striped"}
        # Header, sorting and pagination come from django-tables2; the body rows from body_html.
        template_name = "registrants/registrant_table.html"

    def render_surname(self, record):
        return record.full_name if not record.surname else f"{record.surname}, {record.given_name} {record.middle_name}"

    def body_html(self):
        """The page's rows, built in Python with the cells django-tables2 would render for them
        (tests/registrants/test_views.py compares the two): its generic per-cell machinery was
        most of the list page's time."""
        before, _, after = reverse("registrant_detail", args=[0]).rpartition("0")
        rows = []
        for index, row in enumerate(self.paginated_rows):
            r = row.record
            name = EMPTY
            if r.surname:
                name = f'<a href="{before}{r.pk}{after}">{escape(self.render_surname(r))}</a>'
            cells = (
                name,
                escape(r.external_id) if r.external_id else EMPTY,
                r.date_of_birth.isoformat() if r.date_of_birth else EMPTY,
                escape(r.get_sex_display() or EMPTY) if r.sex else EMPTY,
                escape(r.registering_agency.code or EMPTY),
                escape(r.get_status_display() or EMPTY) if r.status else EMPTY,
                FLAGS[bool(r.is_fugitive), "Fugitive"],
                FLAGS[bool(r.travel_prohibited), "Prohibited"],
            )
            tds = "".join(f"<td>{cell}</td>" for cell in cells)
            rows.append(f'<tr class="{"odd" if index % 2 else "even"}">{tds}</tr>')
        return mark_safe("\n".join(rows))  # every cell is escaped above


# The flag cells of BooleanColumn(yesno="<yes>,—"), written once.
FLAGS = {
    (value, yes): format_html('<span class="{}">{}</span>', str(value).lower(), yes if value else EMPTY)
    for value in (True, False)
    for yes in ("Fugitive", "Prohibited")
}
