"""DoD API: installation monitoring (plans and checks) and UCMJ separation notices, with the
same scoping as the pages; writes through the services; reads access-logged."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.api.serializers import VisiblePrimaryKeyRelatedField
from rsoits.choices import AccessAction

from .. import services
from ..models.dod import InstallationMonitoring, MonitoringCheck, SeparationNotice


class MonitoringCheckSerializer(serializers.ModelSerializer):
    checked_by = serializers.StringRelatedField()

    class Meta:
        model = MonitoringCheck
        fields = ["id", "checked_on", "outcome", "notes", "checked_by", "created_at"]
        read_only_fields = ["id", "checked_by", "created_at"]


class InstallationMonitoringSerializer(serializers.ModelSerializer):
    registrant = VisiblePrimaryKeyRelatedField(model=Registrant)
    installation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    checks = MonitoringCheckSerializer(many=True, read_only=True)

    class Meta:
        model = InstallationMonitoring
        fields = [
            "id", "registrant", "installation", "status", "coordinated_with", "coordinated_on", "restrictions_found",
            "restrictions", "monitored_by", "check_interval_days", "next_check_due", "started_on", "ended_on",
            "notes", "checks",
        ]  # fmt: skip
        read_only_fields = ["id", "installation", "status", "next_check_due", "started_on", "ended_on", "checks"]


class MonitoringViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Installation LEA: create (for an RSO who lives or works on its installation), update the
    plan, log checks. NSOTC and the registering SORA read."""

    serializer_class = InstallationMonitoringSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["status", "monitored_by"]

    def get_queryset(self):
        return (
            InstallationMonitoring.objects.visible_to(self.request.user)
            .select_related("installation")
            .prefetch_related("checks__checked_by")
            .order_by("next_check_due", "id")
        )

    def get_object(self):
        action_name = "view" if self.request.method in ("GET", "HEAD") else "change"
        queryset = InstallationMonitoring.objects.select_related("installation", "registrant")
        return get_visible_or_404(self.request, queryset, action_name, log=False, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(request, AccessAction.LIST, model=InstallationMonitoring, count=len(response.data["results"]))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=InstallationMonitoring, object_id=kwargs["pk"])
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        registrant = get_visible_or_404(request, Registrant.objects.all(), log=False, pk=data.pop("registrant").pk)
        if registrant.installation_id is None:
            raise serializers.ValidationError({"registrant": "This registrant is not affiliated with an installation."})
        monitoring = services.monitoring_start(
            actor=request.user, registrant=registrant, installation=registrant.installation, **data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=monitoring.pk)).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        monitoring = self.get_object()
        serializer = self.get_serializer(monitoring, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "registrant" in data and data.pop("registrant").pk != monitoring.registrant_id:
            raise serializers.ValidationError({"registrant": "The registrant of a monitoring cannot change."})
        services.monitoring_update(actor=request.user, monitoring=monitoring, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=monitoring.pk)).data)

    @extend_schema(request=MonitoringCheckSerializer, responses=MonitoringCheckSerializer)
    @action(detail=True, methods=["post"])
    def checks(self, request, pk=None):
        """Log a check."""
        monitoring = self.get_object()
        serializer = MonitoringCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check = services.monitoring_check_log(actor=request.user, monitoring=monitoring, **serializer.validated_data)
        return Response(MonitoringCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class SeparationNoticeSerializer(serializers.ModelSerializer):
    registrant = VisiblePrimaryKeyRelatedField(model=Registrant, required=False, allow_null=True)
    filed_by_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state_registry = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SeparationNotice
        fields = [
            "id", "kind", "component", "filed_by_agency", "registrant", "given_name", "middle_name", "surname",
            "date_of_birth", "dod_id", "ucmj_article", "offense", "conviction_date", "effective_date",
            "confinement_facility", "residence_street", "residence_city", "residence_state", "residence_postal_code",
            "state_registry", "status", "state_acknowledged_at", "nsotc_acknowledged_at", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "filed_by_agency", "state_registry", "status", "state_acknowledged_at", "nsotc_acknowledged_at",
            "created_at",
        ]  # fmt: skip


class SeparationNoticeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A Service files; the state registry of the residence and NSOTC read and acknowledge."""

    serializer_class = SeparationNoticeSerializer
    filterset_fields = ["status", "kind", "component"]

    def get_queryset(self):
        return SeparationNotice.objects.visible_to(self.request.user).select_related(
            "filed_by_agency", "state_registry"
        )

    def get_object(self):
        action_name = "view" if self.request.method in ("GET", "HEAD") else "change"
        queryset = SeparationNotice.objects.all()
        return get_visible_or_404(self.request, queryset, action_name, log=False, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(request, AccessAction.LIST, model=SeparationNotice, count=len(response.data["results"]))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=SeparationNotice, object_id=kwargs["pk"])
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.separation_file(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=notice.pk)).data, status=201)

    @extend_schema(request=None, responses=SeparationNoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The state registry or NSOTC acknowledges receipt."""
        notice = services.separation_acknowledge(actor=request.user, notice=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=notice.pk)).data)
