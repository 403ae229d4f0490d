"""API viewsets of core records. Reads through ``visible_to(user, "view")``; updates and deletes
need ``visible_to(user, "change")`` (404 when the row is not visible at all, 403 when it is
visible but not changeable); every write goes through ``rsoits.services``."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from rsoits import services
from rsoits.access import log_access
from rsoits.choices import AccessAction
from rsoits.models import AccessLog, Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User

from .serializers import (
    AccessLogSerializer,
    AgencyContactSerializer,
    AgencyEndpointSerializer,
    AgencySerializer,
    InstallationSerializer,
    MembershipSerializer,
    UserSerializer,
)

WRITE_ACTIONS = {"update": "change", "partial_update": "change", "destroy": "delete"}


class RestrictedViewSetMixin:
    """``get_queryset`` = visible_to(user, "view"); writes on one object need "change"/"delete"."""

    model: type
    select_related: tuple[str, ...] = ()

    def base_queryset(self):
        return self.model.objects

    def get_queryset(self):
        qs = self.base_queryset().visible_to(self.request.user, "view")
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs

    def get_object(self):
        obj = super().get_object()  # 404 outside the view scope
        needed = WRITE_ACTIONS.get(self.action)
        if needed and not self.model.objects.visible_to(self.request.user, needed).filter(pk=obj.pk).exists():
            raise PermissionDenied(f"You may not {needed} this {self.model._meta.verbose_name}.")
        return obj


class AgencyViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    """The agency directory, with the contacts and endpoints the caller may see. DELETE deactivates."""

    model = Agency
    serializer_class = AgencySerializer
    filterset_fields = ["code", "kind", "jurisdiction_type", "jurisdiction", "active", "parent"]
    ordering_fields = ["code", "name", "kind"]

    def get_queryset(self):
        user = self.request.user
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("contacts", queryset=AgencyContact.objects.visible_to(user), to_attr="visible_contacts"),
                Prefetch("endpoints", queryset=AgencyEndpoint.objects.visible_to(user), to_attr="visible_endpoints"),
            )
        )

    def perform_create(self, serializer):
        serializer.instance = services.agency_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.agency_update(
            actor=self.request.user, agency=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.agency_update(actor=self.request.user, agency=instance, active=False)


class AgencyContactViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    model = AgencyContact
    serializer_class = AgencyContactSerializer
    select_related = ("agency",)
    filterset_fields = ["agency", "is_24x7"]
    ordering_fields = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.contact_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.contact_save(
            actor=self.request.user, contact=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.contact_delete(actor=self.request.user, contact=instance)


class AgencyEndpointViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    model = AgencyEndpoint
    serializer_class = AgencyEndpointSerializer
    select_related = ("agency",)
    filterset_fields = ["agency", "kind", "secure", "active"]
    ordering_fields = ["address", "kind"]

    def perform_create(self, serializer):
        serializer.instance = services.endpoint_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.endpoint_save(
            actor=self.request.user, endpoint=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.endpoint_delete(actor=self.request.user, endpoint=instance)


class InstallationViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    """DoD installations. DELETE deactivates."""

    model = Installation
    serializer_class = InstallationSerializer
    filterset_fields = ["code", "component", "state", "country", "lea", "active"]
    ordering_fields = ["code", "name"]

    def perform_create(self, serializer):
        serializer.instance = services.installation_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.installation_save(
            actor=self.request.user, installation=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.installation_save(actor=self.request.user, installation=instance, active=False)


class UserViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    """Users the caller may see, with their memberships. DELETE deactivates the account.
    Reads are written to the access log."""

    model = User
    serializer_class = UserSerializer
    filterset_fields = ["username", "is_active", "memberships__agency", "memberships__role"]
    ordering_fields = ["username", "last_name"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.visible_to(self.request.user).select_related("agency"),
                    to_attr="visible_memberships",
                )
            )
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        count = response.data.get("count") if isinstance(response.data, dict) else len(response.data)
        log_access(request, AccessAction.LIST, model=User, count=count)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_access(request, AccessAction.VIEW, model=User, object_id=kwargs.get(self.lookup_field))
        return response

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        agency, role = data.pop("agency", None), data.pop("role", None)
        password = data.pop("password", None) or None
        serializer.instance = services.user_create(
            actor=self.request.user, password=password, agency=agency, roles=[role] if role else None, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("username", None)
        serializer.instance = services.user_update(actor=self.request.user, user=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.user_update(actor=self.request.user, user=instance, is_active=False)


class MembershipViewSet(
    RestrictedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Roles of users in agencies: grant (POST) and revoke (DELETE); a grant is not edited."""

    model = Membership
    serializer_class = MembershipSerializer
    select_related = ("user", "agency")
    filterset_fields = ["user", "agency", "role", "active"]
    ordering_fields = ["created_at", "role"]

    def perform_create(self, serializer):
        serializer.instance = services.membership_grant(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.membership_revoke(actor=self.request.user, membership=instance)


class AccessLogViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The read-access log (auditors of the agency, system admins). Read-only."""

    model = AccessLog
    serializer_class = AccessLogSerializer
    filterset_fields = {
        "user": ["exact"],
        "username": ["exact"],
        "agency_code": ["exact"],
        "action": ["exact"],
        "outcome": ["exact"],
        "object_type": ["exact"],
        "object_id": ["exact"],
        "at": ["gte", "lte"],
    }
    ordering_fields = ["at"]
