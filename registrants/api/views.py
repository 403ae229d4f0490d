"""Registrant API: the same scoping as the pages, writes through the services, every read
logged in the access log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.utils.decorators import method_decorator
from rest_framework import exceptions, permissions, viewsets

from rsoits.access import get_visible_or_404, log_access
from rsoits.api.exceptions import outside_request_transaction
from rsoits.api.pagination import BoundedCursorPagination
from rsoits.choices import AccessAction

from .. import selectors, services
from ..filters import RegistrantFilterSet
from ..models import Registrant
from .serializers import RegistrantSerializer

NESTED = ("aliases", "alias_birth_dates", "identifiers", "addresses", "warrants")


class RegistrantCursorPagination(BoundedCursorPagination):
    ordering = ("surname", "given_name", "id")


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class RegistrantViewSet(viewsets.ModelViewSet):
    """Reads (GET, HEAD, OPTIONS) run outside ATOMIC_REQUESTS; writes keep their request-wide
    transaction (see ``dispatch``)."""

    serializer_class = RegistrantSerializer
    filterset_class = RegistrantFilterSet
    pagination_class = RegistrantCursorPagination
    ordering_fields: list[str] = []
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method in permissions.SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        # As ATOMIC_REQUESTS would: DRF's exception handler marks this block for rollback.
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def get_exception_handler(self):
        handler = super().get_exception_handler()
        if self.request.method not in permissions.SAFE_METHODS:
            return handler
        return outside_request_transaction(handler)  # a read has no request transaction

    def get_queryset(self):
        if self.action == "list":
            return selectors.registrant_api_queryset(user=self.request.user)
        return selectors.registrant_detail_queryset(user=self.request.user)

    def get_object(self):
        return get_visible_or_404(self.request, self.get_queryset(), "view", log=False, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        action = AccessAction.SEARCH if request.query_params.get("q") else AccessAction.LIST
        log_access(request, action, model=Registrant, count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=Registrant, object_id=kwargs["pk"])
        return response

    def _write(self, serializer, registrant=None):
        data = dict(serializer.validated_data)
        for key in ("aliases", "identifiers", "addresses", "warrants"):
            if key in data:
                data[key] = [dict(row) for row in data[key]]
        try:
            if registrant is None:
                agency = data.pop("registering_agency")
                obj = services.registrant_create(actor=self.request.user, registering_agency=agency, **data)
            else:
                data.pop("registering_agency", None)
                obj = services.registrant_update(actor=self.request.user, registrant=registrant, **data)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_create(self, serializer):
        self._write(serializer)

    def perform_update(self, serializer):
        registrant = serializer.instance
        if not Registrant.objects.visible_to(self.request.user, "change").filter(pk=registrant.pk).exists():
            raise exceptions.PermissionDenied("You may not change this registrant.")
        self._write(serializer, registrant)
