"""API shapes of travel notices (with nested itinerary legs) and cases."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from registrants.models import Registrant
from rsoits.api.serializers import IdentityUrlField, VisiblePrimaryKeyRelatedField

from ..choices import CaseStatus, ReturnOutcome
from ..models import Case, CaseEvent, CaseNote, ItineraryLeg, TravelNotice


class ItineraryLegSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItineraryLeg
        fields = [
            "order", "country", "city", "arrival_date", "departure_date", "address", "carrier", "flight_numbers",
            "port_of_departure", "port_of_entry",
        ]  # fmt: skip
        read_only_fields = ["order"]


class TravelNoticeSerializer(serializers.ModelSerializer):
    """A notice with its legs. On write the legs replace the stored ones in order; the registrant
    must be one the filer registers (checked by the service, reported on ``registrant``)."""

    # Only the filer's own registrants can be named; anything else reads as not found.
    registrant = VisiblePrimaryKeyRelatedField(model=Registrant, action="change")
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    filed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    legs = ItineraryLegSerializer(many=True, required=False)
    submit = serializers.BooleanField(write_only=True, required=False, default=False)
    case = serializers.SerializerMethodField()
    url = IdentityUrlField(view_name="travelnotice-detail")

    class Meta:
        model = TravelNotice
        fields = [
            "id", "url", "registrant", "agency", "filed_by", "status", "date_given", "departure_date", "return_date",
            "purpose", "purpose_detail", "passport_number", "passport_country", "companions", "means_of_travel",
            "late_reason", "late_reason_detail", "days_of_notice", "is_late", "travel_prohibited_flag",
            "fugitive_flag", "submitted_at", "amended_at", "amendment_reason", "cancelled_at", "cancel_reason",
            "return_outcome", "actual_return_date", "return_recorded_at", "legs", "case", "submit", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "status", "days_of_notice", "is_late", "travel_prohibited_flag", "fugitive_flag", "submitted_at",
            "amended_at", "amendment_reason", "cancelled_at", "cancel_reason", "return_outcome", "actual_return_date",
            "return_recorded_at", "created_at", "updated_at",
        ]  # fmt: skip
        validators: list = []  # model rules are checked by the service, with the legs, naming each field

    def get_case(self, obj) -> int | None:
        cases = obj.cases.all()
        return cases[0].pk if cases else None


class AmendSerializer(TravelNoticeSerializer):
    reason = serializers.CharField()

    class Meta(TravelNoticeSerializer.Meta):
        fields = [*TravelNoticeSerializer.Meta.fields, "reason"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ReturnSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReturnOutcome.choices)
    actual_return_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["from_status", "to_status", "actor", "at", "reason"]


class CaseNoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "author", "body", "created_at"]


class CaseSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    countries = serializers.SerializerMethodField()
    departure_date = serializers.DateField(source="travel_notice.departure_date", read_only=True, default=None)
    is_late = serializers.BooleanField(source="travel_notice.is_late", read_only=True, default=False)
    url = IdentityUrlField(view_name="case-detail")

    class Meta:
        model = Case
        fields = [
            "id", "url", "registrant", "origin", "travel_notice", "source_hit_id", "priority", "priority_reasons",
            "due_date", "assignee", "status", "ncic_wanted_checked", "nsor_verified", "registration_compliant",
            "court_conditions_reviewed", "disposition", "forwarded_at", "closed_at", "opened_at", "departure_date",
            "is_late", "countries",
        ]  # fmt: skip
        read_only_fields = fields

    def get_countries(self, obj) -> list[str]:
        if obj.travel_notice_id is None:
            return []
        return list(dict.fromkeys(leg.country for leg in obj.travel_notice.legs.all()))


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, read_only=True)
    notes = CaseNoteSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events", "notes"]
        read_only_fields = fields


class AssignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), allow_null=True
    )


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=CaseStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ForwardSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
