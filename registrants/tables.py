import django_tables2 as tables

from .models import Registrant


class RegistrantTable(tables.Table):
    surname = tables.Column(linkify=True, verbose_name="Name", order_by=("surname", "given_name"))
    date_of_birth = tables.DateColumn("Y-m-d", verbose_name="Date of birth")
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

    def render_surname(self, record):
        return record.full_name if not record.surname else f"{record.surname}, {record.given_name} {record.middle_name}"
