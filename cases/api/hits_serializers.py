"""Serializers of the cases app's API. Validation only: the viewsets write through the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rsoits.api.serializers import IdentityUrlField, PrototypeFieldsMixin
from rsoits.models import Installation

from ..choices_hits import ReviewDecision
from ..models import Hit, HitCandidate, HitDecision

__all__ = ["HitCandidateSerializer", "HitDecideSerializer", "HitDecisionSerializer", "HitSerializer"]


class HitCandidateSerializer(PrototypeFieldsMixin, serializers.ModelSerializer):
    registrant_url = serializers.HyperlinkedRelatedField(
        source="registrant", view_name="registrant-detail", read_only=True
    )
    registering_agency = serializers.CharField(source="registrant.registering_agency.code", read_only=True)
    external_id = serializers.CharField(source="registrant.external_id", read_only=True)
    name = serializers.CharField(source="registrant.full_name", read_only=True)

    class Meta:
        model = HitCandidate
        fields = [
            "id", "registrant", "registrant_url", "registering_agency", "external_id", "name", "rank", "score",
            "decision", "explanation", "fields", "false_match",
        ]  # fmt: skip
        read_only_fields = fields


class HitDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)

    class Meta:
        model = HitDecision
        fields = ["id", "decision", "registrant", "duplicate_of", "from_status", "to_status", "note", "decided_by",
                  "decided_at"]  # fmt: skip
        read_only_fields = fields


class HitSerializer(PrototypeFieldsMixin, serializers.ModelSerializer):
    """A hit as submitted, with its matching result. Candidates are only those whose registrant
    the caller may see."""

    installation = serializers.SlugRelatedField(
        slug_field="code", queryset=Installation.objects.all(), required=False, allow_null=True
    )
    submitting_agency = serializers.CharField(source="submitting_agency.code", read_only=True)
    candidates = serializers.SerializerMethodField()
    url = IdentityUrlField(view_name="hit-detail")

    class Meta:
        model = Hit
        fields = [
            "id", "url", "event_type", "source", "source_id", "occurred_at", "received_at", "port_code",
            "consular_post", "installation", "given_name", "middle_name", "surname", "date_of_birth", "sex",
            "nationality", "passport_number", "passport_country", "visa_number", "alien_number", "flight",
            "origin_country", "destination_country", "dod_component", "dod_affiliation", "dod_population",
            "national_guard", "foreign_record", "submitting_agency", "decision", "status", "registrant",
            "confirmed_at", "duplicate_of", "candidates",
        ]  # fmt: skip
        read_only_fields = [
            "received_at", "submitting_agency", "decision", "status", "registrant", "confirmed_at", "duplicate_of",
        ]  # fmt: skip
        validators: list = []  # a resend of (source, source_id) is answered by the service, not refused

    @extend_schema_field(HitCandidateSerializer(many=True))
    def get_candidates(self, obj: Hit) -> list[dict[str, Any]]:
        return HitCandidateSerializer(getattr(obj, "visible_candidates", []), many=True, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("registrant") is not None and not getattr(instance, "registrant_visible", False):
            data["registrant"] = None  # confirmed, but against a registrant the caller may not see
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("nationality", "passport_country", "origin_country", "destination_country", "port_code"):
            if attrs.get(name):
                attrs[name] = attrs[name].upper()
        return attrs


class HitDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.analyst_decisions())
    candidate = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of one of the hit's candidates."
    )
    duplicate_of = serializers.IntegerField(required=False, allow_null=True, help_text="Id of the earlier hit.")
    note = serializers.CharField(required=False, allow_blank=True, default="")
