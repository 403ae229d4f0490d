"""API of foreign notices (with their send / acknowledge / correct actions), inbound foreign
notices and passport actions: the same scoping as the pages, every write one service call,
every read access-logged. A foreign notice's payload carries its content snapshot only."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.api.pagination import BoundedCursorPagination
from rsoits.api.serializers import IdentityUrlField, VisiblePrimaryKeyRelatedField
from rsoits.choices import AccessAction, AgencyKind
from rsoits.models import Agency

from .. import selectors_foreign as selectors
from ..choices_foreign import PassportActionStatus
from ..filters_foreign import ForeignNoticeFilterSet, InboundForeignNoticeFilterSet, PassportActionFilterSet
from ..models import Case, ForeignNotice, InboundForeignNotice, PassportAction, PassportActionDocument
from ..services import foreign as foreign_services
from ..services import passport as passport_services

# --- serializers ---------------------------------------------------------------------------


class ForeignNoticeSerializer(serializers.ModelSerializer):
    """A notice as USNCB keeps it. ``content`` is the snapshot sent abroad; no field of the
    registry record is serialised besides the registrant's id."""

    url = IdentityUrlField(view_name="foreignnotice-detail")
    ncb = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    prepared_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    corrections = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ForeignNotice
        fields = [
            "id", "url", "case", "registrant", "country", "ncb", "status", "content", "conviction_summary", "remarks",
            "departure_date", "prepared_by", "prepared_at", "reviewed_at", "sent_by", "sent_at", "sent_before_travel",
            "sent_48h_ahead", "acknowledged_on", "acknowledgement_text", "corrects", "correction_reason",
            "corrections",
        ]  # fmt: skip
        read_only_fields = fields


class ForeignNoticePrepareSerializer(serializers.Serializer):
    case = VisiblePrimaryKeyRelatedField(model=Case)
    country = serializers.CharField(max_length=2)
    conviction_summary = serializers.CharField(required=False, allow_blank=True, default="")
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.Serializer):
    conviction_summary = serializers.CharField(required=False, allow_blank=True)
    remarks = serializers.CharField(required=False, allow_blank=True)


class AcknowledgeSerializer(serializers.Serializer):
    acknowledged_on = serializers.DateField()
    text = serializers.CharField(required=False, allow_blank=True, default="")


class CorrectSerializer(serializers.Serializer):
    reason = serializers.CharField()
    conviction_summary = serializers.CharField(required=False, allow_blank=True)
    remarks = serializers.CharField(required=False, allow_blank=True)


class InboundForeignNoticeSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(view_name="inboundforeignnotice-detail")
    ncb = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Agency.objects.filter(kind=AgencyKind.FOREIGN_NCB),
        required=False,
        allow_null=True,
    )
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False)

    class Meta:
        model = InboundForeignNotice
        fields = [
            "id", "url", "country", "ncb", "foreign_reference", "received_on", "given_name", "middle_name", "surname",
            "aliases", "date_of_birth", "sex", "nationality", "passport_number", "passport_country", "arrival_date",
            "departure_date", "port_of_entry", "flight", "destination_address", "conviction_summary", "logged_at",
        ]  # fmt: skip
        read_only_fields = ["logged_at"]
        validators: list = []  # uniqueness is checked by the service, naming the field


class PassportActionDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = PassportActionDocument
        fields = ["id", "original_name", "content_type", "size", "description", "uploaded_at", "url"]

    def get_url(self, obj: PassportActionDocument) -> str:
        return obj.get_absolute_url()


class PassportActionSerializer(serializers.ModelSerializer):
    url = IdentityUrlField(view_name="passportaction-detail")
    registrant = VisiblePrimaryKeyRelatedField(model=Registrant)
    case = VisiblePrimaryKeyRelatedField(model=Case, required=False, allow_null=True)
    requesting_agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.all(), required=False)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    documents = PassportActionDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = PassportAction
        fields = [
            "id", "url", "registrant", "case", "requesting_agency", "requested_by", "requested_at", "kind",
            "legal_basis", "basis_reference", "justification", "status", "state_reference", "state_response",
            "submitted_at", "decided_at", "documents",
        ]  # fmt: skip
        read_only_fields = [
            "requested_by", "requested_at", "status", "state_reference", "state_response", "submitted_at", "decided_at",
        ]  # fmt: skip


class PassportTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=PassportActionStatus.choices)
    state_reference = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, default="")


# --- viewsets ------------------------------------------------------------------------------


class _LoggedReads:
    """List and retrieve write access-log rows; objects are fetched through ``visible_to``."""

    log_model: type

    def get_object(self):
        write = self.action not in ("retrieve", "list")
        return get_visible_or_404(
            self.request, self.get_queryset(), "change" if write else "view", log=False, pk=self.kwargs["pk"]
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(request, AccessAction.LIST, model=self.log_model, count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=self.log_model, object_id=kwargs["pk"])
        return response


class ForeignNoticeCursorPagination(BoundedCursorPagination):
    ordering = ("-prepared_at", "-id")


class ForeignNoticeViewSet(_LoggedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Foreign notices: ``POST`` prepares a draft for one destination country of a forwarded case;
    ``review``, ``send``, ``acknowledge`` and ``correct`` move it on."""

    serializer_class = ForeignNoticeSerializer
    filterset_class = ForeignNoticeFilterSet
    pagination_class = ForeignNoticeCursorPagination
    ordering_fields: list[str] = []
    log_model = ForeignNotice

    def get_queryset(self):
        return selectors.foreign_notice_detail_queryset(user=self.request.user).prefetch_related("corrections")

    def _out(self, notice: ForeignNotice, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=notice.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=ForeignNoticePrepareSerializer, responses=ForeignNoticeSerializer)
    def create(self, request, *args, **kwargs):
        incoming = ForeignNoticePrepareSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        case = get_visible_or_404(
            request, Case.objects.select_related("registrant", "travel_notice"), pk=data.pop("case").pk
        )
        notice = foreign_services.foreign_notice_prepare(actor=request.user, case=case, **data)
        return self._out(notice, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses=ForeignNoticeSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        incoming = ReviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        notice = foreign_services.foreign_notice_review(
            actor=request.user, notice=self.get_object(), **incoming.validated_data
        )
        return self._out(notice)

    @extend_schema(request=None, responses=ForeignNoticeSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._out(foreign_services.foreign_notice_send(actor=request.user, notice=self.get_object()))

    @extend_schema(request=AcknowledgeSerializer, responses=ForeignNoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        incoming = AcknowledgeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        notice = foreign_services.foreign_notice_acknowledge(
            actor=request.user, notice=self.get_object(), **incoming.validated_data
        )
        return self._out(notice)

    @extend_schema(request=CorrectSerializer, responses=ForeignNoticeSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        incoming = CorrectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        correction = foreign_services.foreign_notice_correct(
            actor=request.user, notice=self.get_object(), **incoming.validated_data
        )
        return self._out(correction, status.HTTP_201_CREATED)


class InboundForeignNoticeViewSet(
    _LoggedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = InboundForeignNoticeSerializer
    filterset_class = InboundForeignNoticeFilterSet
    ordering_fields: list[str] = []
    log_model = InboundForeignNotice

    def get_queryset(self):
        return selectors.inbound_notice_list(user=self.request.user).order_by("-received_on", "-id")

    def perform_create(self, serializer):
        serializer.instance = foreign_services.inbound_notice_log(actor=self.request.user, **serializer.validated_data)


class PassportActionCursorPagination(BoundedCursorPagination):
    ordering = ("-requested_at", "-id")


class PassportActionViewSet(
    _LoggedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Passport actions: ``POST`` requests one; ``transition`` records its progress to State's
    answer; ``documents`` attaches a supporting document (multipart)."""

    serializer_class = PassportActionSerializer
    filterset_class = PassportActionFilterSet
    pagination_class = PassportActionCursorPagination
    ordering_fields: list[str] = []
    log_model = PassportAction
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.passport_action_list(user=self.request.user).prefetch_related("documents")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        registrant = get_visible_or_404(self.request, Registrant.objects, pk=data.pop("registrant").pk)
        serializer.instance = passport_services.passport_action_request(
            actor=self.request.user, registrant=registrant, **data
        )

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(fresh).data
        return response

    @extend_schema(request=PassportTransitionSerializer, responses=PassportActionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        incoming = PassportTransitionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        updated = passport_services.passport_action_transition(
            actor=request.user, action=self.get_object(), **incoming.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=updated.pk)).data)

    @extend_schema(request=DocumentUploadSerializer, responses=PassportActionDocumentSerializer)
    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None):
        incoming = DocumentUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            document = passport_services.passport_action_add_document(
                actor=request.user, action=self.get_object(), **incoming.validated_data
            )
        return Response(PassportActionDocumentSerializer(document).data, status=status.HTTP_201_CREATED)
