"""Serializers of core records. Validation only: the viewsets write through rsoits.services."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rsoits.choices import Role
from rsoits.models import AccessLog, Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User


class PrototypeFieldsMixin:
    """For a serializer whose fields depend on its class alone (no per-request ``get_fields``):
    the fields are built once per class, and each instance gets its own shallow copies to bind.

    ``ModelSerializer`` builds every field from the model's metadata on each instantiation, and
    DRF's own answer for declared fields is a deep copy of each; on the hit API (two serializer
    instances a request, 37 fields) that was about a tenth of the request's Python time. A
    copy shares only what its field never changes after construction (validators, choices,
    the related queryset, which is cloned on each use); what binding and serializing set
    (parent, name, source, a URL field's per-request parts) lands on the copy."""

    _field_prototypes: ClassVar[dict[str, Any] | None] = None

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()  # type: ignore[misc]
            cls._field_prototypes = prototypes
        return {name: copy.copy(field) for name, field in prototypes.items()}


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that resolves only among the records the caller may see (``visible_to``).

    A record outside the caller's scope reads exactly as one that does not exist ("Invalid pk
    ... - object does not exist."), so a request body cannot be used to probe for other
    agencies' records. ``action`` is the ``visible_to`` action checked ("view" by default)."""

    def __init__(self, *, model, action: str = "view", **kwargs: Any) -> None:
        self.model = model
        self.action = action
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.model._default_manager.visible_to(user, self.action)


class AgencyContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgencyContact
        fields = ["id", "agency", "name", "title", "email", "phone", "is_24x7", "notes"]


class AgencyEndpointSerializer(serializers.ModelSerializer):
    """The webhook ``secret`` is never serialized."""

    class Meta:
        model = AgencyEndpoint
        fields = ["id", "agency", "kind", "address", "secure", "active", "description"]
        validators: list = []  # the unique (agency, kind, address) constraint is checked by the service


class AgencySerializer(serializers.ModelSerializer):
    contacts = serializers.SerializerMethodField()
    endpoints = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "jurisdiction_type",
            "jurisdiction",
            "ori",
            "parent",
            "address",
            "active",
            "created_at",
            "contacts",
            "endpoints",
        ]
        read_only_fields = ["created_at"]

    def _visible(self, obj: Agency, attr: str, model: type) -> list:
        rows = getattr(obj, attr, None)
        if rows is None:  # not prefetched (create/update responses)
            request = self.context.get("request")
            rows = model.objects.visible_to(request.user if request else None).filter(agency=obj)
        return rows

    @extend_schema_field(AgencyContactSerializer(many=True))
    def get_contacts(self, obj: Agency) -> list[dict[str, Any]]:
        return AgencyContactSerializer(self._visible(obj, "visible_contacts", AgencyContact), many=True).data

    @extend_schema_field(AgencyEndpointSerializer(many=True))
    def get_endpoints(self, obj: Agency) -> list[dict[str, Any]]:
        return AgencyEndpointSerializer(self._visible(obj, "visible_endpoints", AgencyEndpoint), many=True).data


class InstallationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Installation
        fields = ["id", "code", "name", "component", "city", "state", "country", "lea", "active"]


class MembershipSerializer(serializers.ModelSerializer):
    agency_code = serializers.CharField(source="agency.code", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "agency", "agency_code", "role", "active", "created_at"]
        read_only_fields = ["active", "created_at"]
        validators: list = []  # granting an existing role again is a no-op in the service

    def validate_user(self, user: User) -> User:
        request = self.context["request"]
        if not User.objects.visible_to(request.user, "change").filter(pk=user.pk).exists():
            raise serializers.ValidationError("You may not manage this user.")
        return user


class UserMembershipSerializer(serializers.ModelSerializer):
    agency_code = serializers.CharField(source="agency.code", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "agency", "agency_code", "role", "active"]


class UserSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), write_only=True, required=False)
    role = serializers.ChoiceField(choices=Role.choices, write_only=True, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "is_active",
            "locked_at",
            "locked_reason",
            "memberships",
            "password",
            "agency",
            "role",
        ]
        read_only_fields = ["locked_at", "locked_reason"]

    @extend_schema_field(UserMembershipSerializer(many=True))
    def get_memberships(self, obj: User) -> list[dict[str, Any]]:
        rows = getattr(obj, "visible_memberships", None)
        if rows is None:
            request = self.context.get("request")
            rows = (
                Membership.objects.visible_to(request.user if request else None)
                .filter(user=obj)
                .select_related("agency")
            )
        return UserMembershipSerializer(rows, many=True).data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            for name in ("username", "password", "agency", "role"):
                if name in attrs and (name != "username" or attrs[name] != self.instance.username):
                    raise serializers.ValidationError({name: "Change this through its own screen or endpoint."})
        elif bool(attrs.get("agency")) != bool(attrs.get("role")):
            raise serializers.ValidationError({"role": "Give both an agency and a role, or neither."})
        return attrs


class AccessLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "user",
            "username",
            "agency",
            "agency_code",
            "ori",
            "action",
            "outcome",
            "object_type",
            "object_id",
            "object_repr",
            "count",
            "path",
            "query",
            "ip",
            "user_agent",
        ]
        read_only_fields = fields


class IdentityUrlField(serializers.HyperlinkedIdentityField):
    """``HyperlinkedIdentityField`` that resolves its route once per request and fills in each
    row's integer key: the same absolute URL, without a ``reverse()`` per row of a page."""

    SENTINEL = 918273645546372819  # an integer no route will contain otherwise

    def get_url(self, obj, view_name, request, format):
        value = getattr(obj, self.lookup_field, None)
        if format or request is None or not isinstance(value, int) or isinstance(value, bool):
            return super().get_url(obj, view_name, request, format)
        cached = getattr(self, "_url_parts", None)
        if cached is None or cached[0] is not request:
            sample = self.reverse(view_name, kwargs={self.lookup_url_kwarg: self.SENTINEL}, request=request)
            before, found, after = sample.partition(str(self.SENTINEL))
            cached = self._url_parts = (request, before, after if found else None)
        if cached[2] is None:
            return super().get_url(obj, view_name, request, format)
        return f"{cached[1]}{value}{cached[2]}"
