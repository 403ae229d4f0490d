"""FilterSets of the cases app, one per model, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from registrants.keys import normalise_identifier, normalise_name

from .choices_hits import HitEventType, HitSource, HitStatus, MatchDecision
from .models import Hit

__all__ = ["HitFilterSet"]


class HitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or document number")
    event_type = django_filters.MultipleChoiceFilter(choices=HitEventType.choices, label="Event")
    source = django_filters.ChoiceFilter(choices=HitSource.choices, label="Source system")
    status = django_filters.MultipleChoiceFilter(choices=HitStatus.choices)
    decision = django_filters.ChoiceFilter(choices=MatchDecision.choices, label="Matching decision")
    source_id = django_filters.CharFilter(label="Source record id")
    occurred_after = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label="From")
    occurred_before = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label="To")
    registrant = django_filters.NumberFilter(field_name="registrant_id", label="Confirmed registrant id")

    class Meta:
        model = Hit
        fields = [
            "q", "event_type", "source", "status", "decision", "source_id", "occurred_after", "occurred_before",
            "registrant",
        ]  # fmt: skip

    def search(self, queryset, name, value):
        """A document number (exact, normalised) or a name (surname prefix, given name prefix)."""
        value = (value or "").strip()
        if not value:
            return queryset
        condition = Q()
        ident = normalise_identifier(value)
        if ident:
            condition |= Q(passport_norm=ident) | Q(visa_norm=ident) | Q(alien_norm=ident.lstrip("A"))
        parts = normalise_name(value).split()
        if parts:
            names = Q(surname__istartswith=parts[-1])
            if len(parts) > 1:
                names &= Q(given_name__istartswith=parts[0])
            condition |= names
        return queryset.filter(condition)
