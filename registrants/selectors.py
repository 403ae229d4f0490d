"""Scoped reads of the registry."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Prefetch, QuerySet

from .choices import NameKind
from .models import Registrant, RegistrantName


def registrant_list(*, user: Any) -> QuerySet[Registrant]:
    return Registrant.objects.visible_to(user).select_related("registering_agency", "installation")


def registrant_detail_queryset(*, user: Any) -> QuerySet[Registrant]:
    return registrant_list(user=user).prefetch_related(
        Prefetch("names", queryset=RegistrantName.objects.filter(kind=NameKind.ALIAS), to_attr="aliases"),
        "birth_dates",
        "identifiers",
        "addresses",
        "warrants__issuing_agency",
    )


# The nested rows of each registrant, as JSON built by PostgreSQL in the same statement as the
# page itself: a list API page costs one query whatever its size (see docs/performance.md).
NESTED_JSON = {
    "aliases_json": ("names", ["id", "given_name", "middle_name", "surname"], {"kind": NameKind.ALIAS}),
    "birth_dates_json": ("birth_dates", ["date", "is_primary"], {}),
    "identifiers_json": ("identifiers", ["id", "kind", "value", "issuing_country", "expires"], {}),
    "addresses_json": (
        "addresses",
        ["id", "kind", "street", "city", "state", "postal_code", "country", "current", "since", "until"],
        {},
    ),
    "warrants_json": (
        "warrants",
        ["id", "issuing_agency__code", "issuing_agency_name", "number", "issued_on", "active"],
        {},
    ),
}


def registrant_api_queryset(*, user: Any) -> QuerySet[Registrant]:
    """The list API's rows: nested lists inlined as JSON on PostgreSQL, prefetched elsewhere."""
    if connection.vendor != "postgresql":
        return registrant_detail_queryset(user=user)
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models.functions import JSONObject

    annotations = {}
    for name, (relation, fields, where) in NESTED_JSON.items():
        model = Registrant._meta.get_field(relation).related_model
        rows = model.objects.filter(registrant=OuterRef("pk"), **where).order_by(*model._meta.ordering, "pk")
        obj = JSONObject(**{f.replace("issuing_agency__code", "issuing_agency"): F(f) for f in fields})
        annotations[name] = ArraySubquery(rows.values(json=obj))
    return registrant_list(user=user).annotate(**annotations)
