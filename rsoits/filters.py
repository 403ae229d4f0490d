"""django-filter FilterSets of the admin screens and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from .choices import AccessAction, AccessOutcome, AgencyKind, DodComponent, Role
from .models import AccessLog, Agency, Installation, User


class AgencyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or code")
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)
    jurisdiction = django_filters.CharFilter(lookup_expr="iexact")
    active = django_filters.BooleanFilter()

    class Meta:
        model = Agency
        fields = ["q", "kind", "jurisdiction", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset


class InstallationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or code")
    component = django_filters.ChoiceFilter(choices=DodComponent.choices)
    state = django_filters.CharFilter(lookup_expr="iexact")
    active = django_filters.BooleanFilter()

    class Meta:
        model = Installation
        fields = ["q", "component", "state", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, user name or e-mail")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="memberships__role", distinct=True, label="Role"
    )
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class AccessLogFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="username", lookup_expr="iexact", label="User name")
    agency_code = django_filters.CharFilter(lookup_expr="iexact", label="Agency code")
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)
    outcome = django_filters.ChoiceFilter(choices=AccessOutcome.choices)
    object_type = django_filters.CharFilter(lookup_expr="iexact", label="Object type (e.g. rsoits.user)")
    date = django_filters.DateFromToRangeFilter(
        field_name="at__date",
        label="Date (from, to)",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = AccessLog
        fields = ["user", "agency_code", "action", "outcome", "object_type", "date"]
