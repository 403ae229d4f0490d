"""One FilterSet per model, shared by the list pages and the API: foreign notices, inbound
notices, passport actions."""

from __future__ import annotations

import django_filters

from .choices_foreign import ForeignNoticeStatus, PassportActionKind, PassportActionStatus
from .filters import DateInput
from .models import ForeignNotice, InboundForeignNotice, PassportAction


class ForeignNoticeFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ForeignNoticeStatus.choices)
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact", label="Destination country")
    case = django_filters.NumberFilter(field_name="case_id", label="Case")
    correction = django_filters.BooleanFilter(
        field_name="corrects", lookup_expr="isnull", exclude=True, label="A correction of an earlier notice"
    )
    late = django_filters.BooleanFilter(field_name="sent_48h_ahead", exclude=True, label="Sent under 48 h ahead")

    class Meta:
        model = ForeignNotice
        fields = ["status", "country", "case", "correction", "late"]


class InboundForeignNoticeFilterSet(django_filters.FilterSet):
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    surname = django_filters.CharFilter(field_name="surname", lookup_expr="istartswith")
    arrival_after = django_filters.DateFilter(
        field_name="arrival_date", lookup_expr="gte", label="Arriving on or after", widget=DateInput
    )

    class Meta:
        model = InboundForeignNotice
        fields = ["country", "surname", "arrival_after"]


class PassportActionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PassportActionStatus.choices)
    kind = django_filters.ChoiceFilter(choices=PassportActionKind.choices)
    registrant = django_filters.NumberFilter(field_name="registrant_id")

    class Meta:
        model = PassportAction
        fields = ["status", "kind", "registrant"]
