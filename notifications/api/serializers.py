"""Notification API shapes: the inbox item (minimum necessary: no personal data), routing
rules, and the accounting of disclosures."""

from __future__ import annotations

from rest_framework import serializers

from ..choices import Channel
from ..models import Disclosure, Notification, RoutingRule


class NotificationSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="notification-detail")
    link = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id", "url", "link", "event_type", "subject", "agency", "audience_role", "recipient_role", "reason",
            "priority", "status", "created_at", "delivered_at", "acknowledged_at", "acknowledged_by", "registrant",
        ]  # fmt: skip
        read_only_fields = fields

    def get_link(self, obj: Notification) -> str:
        return obj.get_absolute_url()


class RoutingRuleSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), allow_empty=False)

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "event_type",
            "fugitive",
            "recipient_role",
            "channels",
            "priority",
            "active",
            "note",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        validators: list = []  # uniqueness of the cell is checked by the service, naming the field


class DisclosureSerializer(serializers.ModelSerializer):
    recipient_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Disclosure
        fields = [
            "id", "disclosed_at", "event_type", "nature_and_purpose", "recipient_agency", "recipient_name",
            "recipient_address", "channel", "destination", "sender_name",
        ]  # fmt: skip
        read_only_fields = fields
