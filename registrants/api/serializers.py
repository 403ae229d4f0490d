"""Registrant API: the record with nested aliases, dates of birth, identifiers, addresses and
warrants. Nested lists replace the stored ones on write (rows keep their ``id``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from rsoits.api.serializers import IdentityUrlField
from rsoits.models import Agency, Installation

from ..models import Address, Identifier, Registrant, RegistrantName, Warrant


class AliasSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = RegistrantName
        fields = ["id", "given_name", "middle_name", "surname"]


class IdentifierSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = Identifier
        fields = ["id", "kind", "value", "issuing_country", "expires"]
        validators: list = []  # uniqueness is checked by the service, naming the field


class AddressSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = Address
        fields = ["id", "kind", "street", "city", "state", "postal_code", "country", "current", "since", "until"]


class WarrantSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    issuing_agency = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Warrant
        fields = ["id", "issuing_agency", "issuing_agency_name", "number", "issued_on", "active"]


_ISO_DATETIME = object()  # a plan's mark for DRF's default representation of an aware datetime


def _plain_iso_datetime(field: serializers.Field) -> bool:
    """A ``DateTimeField`` represented the default way: ISO 8601 in the current time zone."""
    return (
        type(field) is serializers.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == api_settings.DATETIME_FORMAT
        and isinstance(api_settings.DATETIME_FORMAT, str)
        and api_settings.DATETIME_FORMAT.lower() == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    )


def iso_datetime_in(zone: Any) -> Callable[[datetime], str]:
    """DRF's ``DateTimeField.to_representation`` of an aware datetime, for one time zone read
    once instead of with the settings for every value (a page has a hundred of them)."""

    def represent(value: datetime) -> str:
        text = (value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


class RegistrantSerializer(serializers.ModelSerializer):
    registering_agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.sora())
    installation = serializers.SlugRelatedField(
        slug_field="code", queryset=Installation.objects.all(), required=False, allow_null=True
    )
    aliases = AliasSerializer(many=True, required=False, write_only=True)
    alias_birth_dates = serializers.ListField(child=serializers.DateField(), required=False, write_only=True)
    identifiers = IdentifierSerializer(many=True, required=False)
    addresses = AddressSerializer(many=True, required=False)
    warrants = WarrantSerializer(many=True, required=False)
    url = IdentityUrlField(view_name="registrant-detail")

    class Meta:
        model = Registrant
        fields = [
            "id", "url", "registering_agency", "external_id", "given_name", "middle_name", "surname", "suffix",
            "date_of_birth", "alias_birth_dates", "sex", "place_of_birth", "citizenships", "status", "tier",
            "registration_ends", "travel_prohibited", "conditions", "is_fugitive", "dod_component", "installation",
            "lives_on_installation", "works_on_installation", "subject_to_ucmj", "national_guard", "aliases",
            "identifiers", "addresses", "warrants", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["is_fugitive", "created_at", "updated_at"]
        validators: list = []  # (agency, external_id) uniqueness is checked by the service

    def to_representation(self, instance):
        if hasattr(instance, "nested_json"):
            return self._from_json(instance)
        data = super().to_representation(instance)
        # Aliases are the non-primary names, prefetched by the selector into ``aliases``.
        data["aliases"] = AliasSerializer(instance.aliases, many=True).data
        data["alias_birth_dates"] = [b.date.isoformat() for b in instance.birth_dates.all() if not b.is_primary]
        return data

    NESTED = frozenset({"aliases", "alias_birth_dates", "identifiers", "addresses", "warrants"})
    # Fields read from the JSON document when there is one (codes of related rows).
    FROM_JSON = frozenset({"registering_agency", "installation"})
    # Fields whose representation depends on the request (absolute URLs).
    PER_REQUEST = frozenset({"url"})

    _shared_plan: list | None = None

    @classmethod
    def _plan_for_class(cls) -> list:
        """(name, getter, representation) of each readable field, worked out once per process:
        building a serializer's fields (model introspection, copies of the declared fields)
        costs more than serializing a page of rows. A model field is read with a plain
        attribute getter instead of DRF's generic lookup (which tests every step of the source
        for a callable, for every field of every row). The representations kept here read
        nothing of the request; ``PER_REQUEST`` fields are bound to each serializer."""
        plan = cls.__dict__.get("_shared_plan")
        if plan is None:
            model_fields = {f.name for f in Registrant._meta.concrete_fields}
            plan = []
            for name, field in cls().fields.items():
                if field.write_only or name in cls.NESTED:
                    continue
                if name in cls.FROM_JSON:
                    plan.append((name, None, None))
                    continue
                if name in cls.PER_REQUEST:
                    plan.append((name, name, None))
                    continue
                plain = len(field.source_attrs) == 1 and field.source_attrs[0] in model_fields
                getter = attrgetter(field.source_attrs[0]) if plain else field.get_attribute
                represent = _ISO_DATETIME if _plain_iso_datetime(field) else field.to_representation
                plan.append((name, getter, represent))
            cls._shared_plan = plan
        return plan

    def _json_plan(self) -> list:
        plan = getattr(self, "_plan", None)
        if plan is None:
            plan = []
            for name, getter, represent in self._plan_for_class():
                if represent is _ISO_DATETIME:  # in this request's time zone
                    represent = iso_datetime_in(timezone.get_current_timezone())
                if isinstance(getter, str):  # bound to this serializer and its request
                    field = copy.deepcopy(self._declared_fields[name])
                    field.bind(name, self)
                    getter, represent = field.get_attribute, field.to_representation
                plan.append((name, getter, represent))
            self._plan = plan
        return plan

    def _from_json(self, instance):
        """The same shape, from the nested rows PostgreSQL inlined as JSON (one query a page)."""
        data = {}
        nested = instance.nested_json
        for name, getter, represent in self._json_plan():
            if getter is None:
                data[name] = nested[name]
                continue
            attribute = getter(instance)
            data[name] = None if attribute is None else represent(attribute)
        data["aliases"] = nested["aliases"]
        data["alias_birth_dates"] = sorted(b["date"] for b in nested["birth_dates"] if not b["is_primary"])
        data["identifiers"] = nested["identifiers"]
        data["addresses"] = nested["addresses"]
        data["warrants"] = nested["warrants"]
        return data
