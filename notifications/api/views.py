"""Notification API: the caller's inbox (acknowledge), routing rules (system admin) and a
registrant's accounting of disclosures. Scoped like the pages; reads access-logged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.api.pagination import BoundedCursorPagination
from rsoits.api.permissions import IsSystemAdmin
from rsoits.choices import AccessAction

from .. import selectors, services
from ..filters import DisclosureFilterSet, NotificationFilterSet, RoutingRuleFilterSet
from ..models import Disclosure, Notification
from .serializers import DisclosureSerializer, NotificationSerializer, RoutingRuleSerializer


def _as_api_error(exc: Exception) -> exceptions.APIException:
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, ValidationError):
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    raise exc


class NotificationPagination(BoundedCursorPagination):
    ordering = ("-created_at", "-id")


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's inbox; ``POST /{id}/acknowledge/`` acknowledges one notification."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    pagination_class = NotificationPagination
    ordering_fields: list[str] = []

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)

    def get_object(self):
        return get_visible_or_404(self.request, self.get_queryset(), log=False, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(request, AccessAction.LIST, model=Notification, count=len(response.data.get("results", [])))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=Notification, object_id=kwargs["pk"])
        return response

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notification = self.get_object()
        try:
            notification = services.notification_acknowledge(actor=request.user, notification=notification)
        except (DjangoPermissionDenied, ValidationError) as exc:
            raise _as_api_error(exc) from exc
        return Response(self.get_serializer(notification).data)

    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response(selectors.unread_counts(user=request.user))


class RoutingRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Routing rules, for system admins. Rules are deactivated rather than deleted (history)."""

    serializer_class = RoutingRuleSerializer
    filterset_class = RoutingRuleFilterSet
    permission_classes = [IsSystemAdmin]
    ordering_fields = ["event_type", "recipient_role"]

    def get_queryset(self):
        return selectors.routing_rules(user=self.request.user).order_by("event_type", "-fugitive", "recipient_role")

    def _save(self, serializer, rule=None):
        try:
            serializer.instance = services.routingrule_save(
                actor=self.request.user, rule=rule, **dict(serializer.validated_data)
            )
        except IntegrityError as exc:
            raise exceptions.ValidationError({"recipient_role": "This event already has a rule for it."}) from exc
        except (DjangoPermissionDenied, ValidationError) as exc:
            raise _as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class DisclosureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A registrant's accounting of disclosures (5 U.S.C. 552a(c)), for those who may see them."""

    serializer_class = DisclosureSerializer
    filterset_class = DisclosureFilterSet
    ordering_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Disclosure.objects.none()
        registrant = get_visible_or_404(self.request, Registrant.objects, log=False, pk=self.kwargs["registrant_pk"])
        self.registrant = registrant
        return selectors.disclosures_of(user=self.request.user, registrant=registrant)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_access(
            request,
            AccessAction.LIST,
            model=Disclosure,
            object_id=self.registrant.pk,
            count=len(response.data.get("results", [])),
        )
        return response
