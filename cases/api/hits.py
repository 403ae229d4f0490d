"""API of the cases app. Hits: system clients (and NSOTC) submit them, everyone reads what the
scope allows, NSOTC decides. Reads are access-logged; writes go through the services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.api.exceptions import outside_request_transaction
from rsoits.api.pagination import BoundedCursorPagination
from rsoits.choices import AccessAction

from .. import selectors_hits as selectors
from ..filters_hits import HitFilterSet
from ..models import Hit
from ..services import hits as services
from .hits_serializers import HitDecideSerializer, HitDecisionSerializer, HitSerializer

__all__ = ["HitViewSet"]


class HitCursorPagination(BoundedCursorPagination):
    ordering = ("-received_at", "-id")


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class HitViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hits. ``POST`` submits one (a resend of the same source record answers 200 with the hit
    already stored); ``decide`` and ``rematch`` are NSOTC's.

    Each write is one call of an atomic service (``hit_ingest``, ``hit_decide``, ``hit_rematch``),
    so the requests run outside ATOMIC_REQUESTS: the service's transaction is the request's, not
    a savepoint inside it."""

    serializer_class = HitSerializer
    filterset_class = HitFilterSet

    def get_exception_handler(self):
        return outside_request_transaction(super().get_exception_handler())

    pagination_class = HitCursorPagination
    ordering_fields: list[str] = []

    def get_queryset(self):
        return selectors.hit_api_queryset(user=self.request.user)

    def get_object(self):
        return get_visible_or_404(self.request, self.get_queryset(), "view", log=False, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        action_ = AccessAction.SEARCH if request.query_params.get("q") else AccessAction.LIST
        log_access(request, action_, model=Hit, count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=Hit, object_id=kwargs["pk"])
        # The candidates' registry data is in the answer: each is a read of that registrant.
        for candidate in response.data.get("candidates", []):
            log_access(request, AccessAction.VIEW, model=Registrant, object_id=candidate["registrant"])
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            hit, created = services.hit_ingest(actor=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        # A new hit is answered from what was just stored; a resend, from the stored hit.
        hit = selectors.hit_just_stored(hit, user=request.user) if created else self.get_queryset().get(pk=hit.pk)
        data = self.get_serializer(hit).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _changeable(self, pk) -> Hit:
        hit = self.get_object()  # 404 outside the view scope
        if not Hit.objects.visible_to(self.request.user, "change").filter(pk=hit.pk).exists():
            raise exceptions.PermissionDenied("Only an NSOTC analyst decides hits.")
        return hit

    @extend_schema(request=HitDecideSerializer, responses=HitDecisionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Record an analyst's decision: confirmed_match (with ``candidate``), false_match (of one
        ``candidate``, or all), duplicate (``duplicate_of``, with a ``note``) or needs_information
        (with a ``note``)."""
        hit = self._changeable(pk)
        payload = HitDecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        candidate = None
        if values.get("candidate"):
            candidate = next((c for c in hit.visible_candidates if c.pk == values["candidate"]), None)
            if candidate is None:
                raise exceptions.ValidationError({"candidate": "Not one of this hit's candidates."})
        duplicate_of = None
        if values.get("duplicate_of"):
            duplicate_of = Hit.objects.visible_to(request.user).filter(pk=values["duplicate_of"]).first()
            if duplicate_of is None:
                raise exceptions.ValidationError({"duplicate_of": "No such hit."})
        record = services.hit_decide(
            actor=request.user,
            hit=hit,
            decision=values["decision"],
            candidate=candidate,
            duplicate_of=duplicate_of,
            note=values.get("note", ""),
        )
        return Response(HitDecisionSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=HitSerializer)
    @action(detail=True, methods=["post"])
    def rematch(self, request, pk=None):
        """Match the hit again; registrants declared a false match for its source record stay out."""
        hit = self._changeable(pk)
        services.hit_rematch(actor=request.user, hit=hit)
        hit = self.get_queryset().get(pk=hit.pk)
        return Response(self.get_serializer(hit).data)
