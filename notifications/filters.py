"""One FilterSet per model, shared by the pages and the API."""

from __future__ import annotations

import django_filters

from .choices import Channel, EventType, NotificationStatus, Priority, RecipientRole
from .models import Disclosure, Notification, RoutingRule


class NotificationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=NotificationStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    event_type = django_filters.ChoiceFilter(choices=EventType.choices, label="Event")
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True, label="Acknowledged"
    )
    agency = django_filters.CharFilter(field_name="agency__code", label="Agency code")

    class Meta:
        model = Notification
        fields = ["status", "channel", "priority", "event_type", "acknowledged", "agency"]


class RoutingRuleFilterSet(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(choices=EventType.choices)
    recipient_role = django_filters.ChoiceFilter(choices=RecipientRole.choices)
    fugitive = django_filters.BooleanFilter()
    active = django_filters.BooleanFilter()

    class Meta:
        model = RoutingRule
        fields = ["event_type", "recipient_role", "fugitive", "active"]


class DisclosureFilterSet(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="disclosed_at", lookup_expr="date__gte", label="From")
    until = django_filters.DateFilter(field_name="disclosed_at", lookup_expr="date__lte", label="To")
    recipient = django_filters.CharFilter(field_name="recipient_agency__code", label="Recipient agency code")

    class Meta:
        model = Disclosure
        fields = ["since", "until", "recipient"]
