"""One FilterSet for the registrant list page and the API."""

from __future__ import annotations

from datetime import date

import django_filters
from django.core.cache import cache
from django.db.models import Q

from rsoits.models import Agency

from .choices import RegistrationStatus
from .keys import normalise_identifier, normalise_name
from .models import Registrant


def sora_choices() -> list[tuple[str, str]]:
    """Registering agencies for the filter, cached for five minutes: the list page should not
    pay a query for them on every render."""
    choices = cache.get("registrants:sora_choices")
    if choices is None:
        choices = [(code, f"{name} ({code})") for code, name in Agency.objects.sora().values_list("code", "name")]
        cache.set("registrants:sora_choices", choices, 300)
    return choices


class RegistrantFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, alias, identifier or date of birth")
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)
    registering_agency = django_filters.ChoiceFilter(
        choices=lambda: sora_choices(), field_name="registering_agency__code", label="Jurisdiction"
    )
    is_fugitive = django_filters.BooleanFilter(label="Fugitive")
    dod_affiliated = django_filters.BooleanFilter(method="filter_dod", label="DoD affiliated")
    travel_prohibited = django_filters.BooleanFilter(label="International travel prohibited")

    class Meta:
        model = Registrant
        fields = ["q", "status", "registering_agency", "is_fugitive", "dod_affiliated", "travel_prohibited"]

    def search(self, queryset, name, value):
        """Search names and aliases (normalised, prefix), identifiers (exact), or an ISO date."""
        value = (value or "").strip()
        if not value:
            return queryset
        try:
            dob = date.fromisoformat(value)
        except ValueError:
            dob = None
        if dob:
            return queryset.filter(birth_dates__date=dob).distinct()
        condition = Q()
        norm = normalise_name(value)
        if norm:
            parts = norm.split()
            names = Q(names__norm_surname__startswith=parts[-1])
            if len(parts) > 1:
                names &= Q(names__norm_given__startswith=parts[0])
            condition |= names
        ident = normalise_identifier(value)
        if ident:
            condition |= Q(identifiers__norm_value=ident)
        return queryset.filter(condition).distinct() if condition else queryset

    def filter_dod(self, queryset, name, value):
        if value is None:
            return queryset
        dod = Q(installation__isnull=False) | ~Q(dod_component="")
        return queryset.filter(dod) if value else queryset.exclude(dod)
