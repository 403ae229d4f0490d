"""Travel notice and case API: the same scoping as the pages, every write one service call, every
read of a registrant-bearing record access-logged."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from rsoits.access import get_visible_or_404, log_access
from rsoits.api.pagination import BoundedCursorPagination
from rsoits.choices import AccessAction

from .. import selectors, services
from ..filters import CaseFilterSet, TravelNoticeFilterSet
from ..models import Case, TravelNotice
from .serializers import (
    AmendSerializer,
    AssignSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    ForwardSerializer,
    ReasonSerializer,
    ReturnSerializer,
    TransitionSerializer,
    TravelNoticeSerializer,
)


class NoticePagination(BoundedCursorPagination):
    ordering = ("-departure_date", "-id")


class CasePagination(BoundedCursorPagination):
    ordering = ("-priority", "due_date", "id")


def _legs(data: dict) -> list[dict] | None:
    legs = data.pop("legs", None)
    return [dict(row) for row in legs] if legs is not None else None


class LoggedReadsMixin:
    """List and detail reads write the access log like the registrant API."""

    log_model: type

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(request, AccessAction.LIST, model=self.log_model, count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=self.log_model, object_id=kwargs["pk"])
        return response


class TravelNoticeViewSet(LoggedReadsMixin, viewsets.ModelViewSet):
    """Travel notices. ``POST`` files one (``"submit": true`` sends it to NSOTC at once, opening
    its case); ``PATCH`` edits a draft; the actions submit, amend, cancel and record the return."""

    serializer_class = TravelNoticeSerializer
    filterset_class = TravelNoticeFilterSet
    pagination_class = NoticePagination
    ordering_fields: list[str] = []
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    log_model = TravelNotice

    def get_queryset(self):
        return selectors.travel_notice_detail_queryset(user=self.request.user)

    def get_object(self):
        action_name = "view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change"
        return get_visible_or_404(self.request, self.get_queryset(), action_name, log=False, pk=self.kwargs["pk"])

    def _respond(self, notice, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=notice.pk)
        return Response(TravelNoticeSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        legs = _legs(data)
        submit = data.pop("submit", False)
        registrant = data.pop("registrant")
        notice = services.travel_notice_create(
            actor=request.user, registrant=registrant, legs=legs or [], submit=submit, **data
        )
        return self._respond(notice, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        notice = self.get_object()
        serializer = self.get_serializer(notice, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        legs = _legs(data)
        data.pop("registrant", None)
        submit = data.pop("submit", False)
        notice = services.travel_notice_update(actor=request.user, notice=notice, legs=legs, **data)
        if submit:
            notice = services.travel_notice_submit(actor=request.user, notice=notice)
        return self._respond(notice)

    @extend_schema(request=None, responses=TravelNoticeSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        notice = services.travel_notice_submit(actor=request.user, notice=self.get_object())
        return self._respond(notice)

    @extend_schema(request=AmendSerializer, responses=TravelNoticeSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        notice = self.get_object()
        serializer = AmendSerializer(notice, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        legs = _legs(data)
        for key in ("registrant", "submit"):
            data.pop(key, None)
        reason = data.pop("reason", "")
        notice = services.travel_notice_amend(actor=request.user, notice=notice, reason=reason, legs=legs, **data)
        return self._respond(notice)

    @extend_schema(request=ReasonSerializer, responses=TravelNoticeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        notice = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.travel_notice_cancel(
            actor=request.user, notice=notice, reason=serializer.validated_data["reason"]
        )
        return self._respond(notice)

    @extend_schema(request=ReturnSerializer, responses=TravelNoticeSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def record_return(self, request, pk=None):
        notice = self.get_object()
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.travel_notice_record_return(actor=request.user, notice=notice, **serializer.validated_data)
        return self._respond(notice)


class CaseViewSet(LoggedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases are opened by the services (a submitted notice, a confirmed hit), never posted; the
    actions assign, transition and forward each call one service."""

    filterset_class = CaseFilterSet
    pagination_class = CasePagination
    ordering_fields: list[str] = []
    log_model = Case

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def get_queryset(self):
        if self.action == "list":
            return selectors.case_list(user=self.request.user).prefetch_related("travel_notice__legs")
        return selectors.case_detail_queryset(user=self.request.user)

    def get_object(self):
        return get_visible_or_404(self.request, self.get_queryset(), "view", log=False, pk=self.kwargs["pk"])

    def _respond(self, case):
        fresh = selectors.case_detail_queryset(user=self.request.user).get(pk=case.pk)
        return Response(CaseDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        case = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_assign(actor=request.user, case=case, assignee=serializer.validated_data["assignee"])
        return self._respond(case)

    @extend_schema(request=TransitionSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        case = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_transition(actor=request.user, case=case, **serializer.validated_data)
        return self._respond(case)

    @extend_schema(request=ForwardSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        case = self.get_object()
        serializer = ForwardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_forward(actor=request.user, case=case, reason=serializer.validated_data["reason"])
        return self._respond(case)
