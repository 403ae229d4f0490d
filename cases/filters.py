"""One FilterSet per model, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from registrants.filters import sora_choices

from .choices import CaseDisposition, CaseOrigin, CasePriority, CaseStatus, TravelNoticeStatus, TravelPurpose
from .models import Case, TravelNotice
from .selectors import QUEUES, queue_condition


def _name_search(queryset, prefix: str, value: str):
    value = (value or "").strip()
    if not value:
        return queryset
    condition = Q()
    for part in value.split():
        condition &= (
            Q(**{f"{prefix}surname__icontains": part})
            | Q(**{f"{prefix}given_name__icontains": part})
            | Q(**{f"{prefix}external_id__iexact": part})
        )
    return queryset.filter(condition)


class DateInput(django_filters.widgets.forms.DateInput):
    input_type = "date"


class TravelNoticeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Registrant name or record number")
    status = django_filters.ChoiceFilter(choices=TravelNoticeStatus.choices)
    purpose = django_filters.ChoiceFilter(choices=TravelPurpose.choices)
    is_late = django_filters.BooleanFilter(label="Late (under 21 days)")
    flagged = django_filters.BooleanFilter(method="filter_flagged", label="Flagged (travel prohibited or fugitive)")
    country = django_filters.CharFilter(method="filter_country", label="Destination country (ISO code)")
    agency = django_filters.ChoiceFilter(choices=lambda: sora_choices(), field_name="agency__code", label="Filed by")
    departure_after = django_filters.DateFilter(
        field_name="departure_date", lookup_expr="gte", label="Departing on or after", widget=DateInput
    )
    departure_before = django_filters.DateFilter(
        field_name="departure_date", lookup_expr="lte", label="Departing on or before", widget=DateInput
    )
    registrant = django_filters.NumberFilter(
        field_name="registrant_id", widget=django_filters.widgets.forms.HiddenInput
    )

    class Meta:
        model = TravelNotice
        fields = ["q", "status", "purpose", "is_late", "flagged", "country", "agency", "registrant"]

    def search(self, queryset, name, value):
        return _name_search(queryset, "registrant__", value)

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        flagged = Q(travel_prohibited_flag=True) | Q(fugitive_flag=True)
        return queryset.filter(flagged) if value else queryset.exclude(flagged)

    def filter_country(self, queryset, name, value):
        value = (value or "").strip().upper()
        if not value:
            return queryset
        return queryset.filter(
            pk__in=TravelNotice.legs.rel.related_model.objects.filter(country=value).values("notice")
        )


class CaseFilterSet(django_filters.FilterSet):
    queue = django_filters.ChoiceFilter(
        choices=list(QUEUES.items()), method="filter_queue", empty_label=None, label="Queue"
    )
    q = django_filters.CharFilter(method="search", label="Registrant name or record number")
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    # (a ChoiceFilter, which offers "any" first: a TypedChoiceFilter's first choice, Low, was
    # selected by default and filtered every search by it)
    priority = django_filters.ChoiceFilter(choices=CasePriority.choices)
    disposition = django_filters.ChoiceFilter(choices=CaseDisposition.choices)
    origin = django_filters.ChoiceFilter(choices=CaseOrigin.choices)
    assignee = django_filters.CharFilter(field_name="assignee__username", label="Assignee (user name)")
    late = django_filters.BooleanFilter(field_name="travel_notice__is_late", label="Late notice")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due by", widget=DateInput)
    registrant = django_filters.NumberFilter(
        field_name="registrant_id", widget=django_filters.widgets.forms.HiddenInput
    )

    class Meta:
        model = Case
        fields = ["queue", "q", "status", "priority", "disposition", "origin", "assignee", "late", "registrant"]

    def search(self, queryset, name, value):
        return _name_search(queryset, "registrant__", value)

    def filter_queue(self, queryset, name, value):
        if not value or value == "all":
            return queryset
        user = getattr(self.request, "user", None)
        return queryset.filter(queue_condition(value, user=user))
