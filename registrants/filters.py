"""One FilterSet for the registrant list page and the API."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import django_filters
from django.core.cache import cache
from django.db.models import Q

from rsoits.models import Agency
from rsoits.principal import GENERATION as AGENCIES

from .choices import RegistrationStatus
from .keys import normalise_identifier, normalise_name
from .models import Identifier, Registrant, RegistrantBirthDate, RegistrantName

SORA_CHOICES_KEY = "registrants:sora-choices"


def sora_choices() -> list[tuple[str, str]]:
    """Registering agencies for the filter, kept in the cache under the agencies' generation
    (``rsoits.principal.GENERATION``: an agency saved or deleted shows at once): the list page
    should not pay a query for them on every render."""
    found = cache.get_many([AGENCIES.key, SORA_CHOICES_KEY])
    generation = AGENCIES.accept(found.get(AGENCIES.key))
    kept = found.get(SORA_CHOICES_KEY)
    if generation is not None and isinstance(kept, tuple) and kept[0] == generation:
        return kept[1]
    choices = [(code, f"{name} ({code})") for code, name in Agency.objects.sora().values_list("code", "name")]
    if generation is not None:
        cache.set(SORA_CHOICES_KEY, (generation, choices), 3600)
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
        """Search names and aliases (normalised, prefix), identifiers (exact), or an ISO date.

        The matching registrants are found from the names, identifiers and birth dates tables
        through their own indexes, as one set of ids (a union), and only then joined to the
        registry: a condition across the joins (``names__… OR identifiers__…``, then DISTINCT)
        could use no index and would read the whole registry."""
        value = (value or "").strip()
        if not value:
            return queryset
        try:
            dob = date.fromisoformat(value)
        except ValueError:
            dob = None
        if dob:
            return queryset.filter(pk__in=RegistrantBirthDate.objects.filter(date=dob).values("registrant_id"))
        matches = []
        norm = normalise_name(value)
        if norm:
            parts = norm.split()
            names = RegistrantName.objects.filter(norm_surname__startswith=parts[-1])
            if len(parts) > 1:
                names = names.filter(norm_given__startswith=parts[0])
            matches.append(names.order_by().values("registrant_id"))
        ident = normalise_identifier(value)
        if ident:
            matches.append(Identifier.objects.filter(norm_value=ident).order_by().values("registrant_id"))
        if not matches:
            return queryset
        ids = matches[0].union(*matches[1:]) if len(matches) > 1 else matches[0]
        return queryset.filter(pk__in=ids)

    def filter_dod(self, queryset, name, value):
        if value is None:
            return queryset
        dod = Q(installation__isnull=False) | ~Q(dod_component="")
        return queryset.filter(dod) if value else queryset.exclude(dod)


def blank_form_html(filterset: RegistrantFilterSet) -> str:
    """The filter form as the list page first shows it (no filter given), rendered once per
    process for each set of jurisdiction choices: the same HTML for everyone, which cost about a
    tenth of the list page to render on every request. A bound form (a search, a filter, errors)
    is rendered afresh, so no search term is kept."""
    if filterset.is_bound:
        raise ValueError("Only the form with no filter given is kept.")
    return _blank_form_html(tuple(sora_choices()))


@lru_cache(maxsize=8)
def _blank_form_html(choices: tuple[tuple[str, str], ...]) -> str:
    from django.utils.safestring import mark_safe

    form = RegistrantFilterSet(None, queryset=Registrant.objects.none()).form
    form.fields["registering_agency"].choices = list(choices)  # (the field adds its empty choice)
    return mark_safe(str(form))  # (Django's own rendering, escaped there)
