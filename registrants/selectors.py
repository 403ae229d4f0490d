"""Scoped reads of the registry."""

from __future__ import annotations

import operator
from functools import cache, reduce
from typing import Any

from django.db import connection
from django.db.models import Exists, Expression, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from rsoits.models import Agency, Installation

from .choices import NameKind
from .models import Registrant, RegistrantName


def registrant_list(*, user: Any) -> QuerySet[Registrant]:
    return Registrant.objects.visible_to(user).select_related("registering_agency", "installation")


def frozen(annotations: dict[str, Expression]) -> dict[str, RawSQL]:
    """The registrant annotations compiled to SQL once, for querysets that add them on every
    request: building and compiling five JSON subqueries cost more Python than running them.
    The SQL refers to the outer row as ``"registrants_registrant"."id"``, the base table's
    alias in every registrant queryset."""
    query = Registrant.objects.annotate(**annotations).query
    compiler = query.get_compiler(connection=connection)
    compiled = {}
    for name in annotations:
        expression = query.annotations[name]
        sql, params = compiler.compile(expression)
        # SQL written by Django's own compiler, its values still parameters.
        compiled[name] = RawSQL(sql, tuple(params), output_field=expression.output_field)  # noqa: S611
    return compiled


@cache
def timeline_presence(vendor: str) -> dict[str, RawSQL]:
    """``timeline_<n>``: whether any row of the n-th timeline provider's sources refers to the
    registrant (see ``rsoits.registry.TimelineSource``); one index probe per source, inside the
    page's own statement. Compiled once per database vendor."""
    from django.apps import apps

    from rsoits.registry import timeline_providers

    presence = {}
    for n, entry in enumerate(timeline_providers()):
        probes = [
            Exists(apps.get_model(label)._default_manager.filter(**{field: OuterRef("pk")}))
            for label, field in entry.sources
        ]
        if probes:
            presence[f"timeline_{n}"] = reduce(operator.or_, probes)
    return frozen(presence)


def registrant_detail_queryset(*, user: Any) -> QuerySet[Registrant]:
    return registrant_list(user=user).prefetch_related(
        Prefetch("names", queryset=RegistrantName.objects.filter(kind=NameKind.ALIAS), to_attr="aliases"),
        "birth_dates",
        "identifiers",
        "addresses",
        "warrants__issuing_agency",
    )


# The nested rows of each registrant, as one JSON document per registrant (``nested_json``) built
# by PostgreSQL in the same statement as the page itself: a list API page costs one query
# whatever its size, and one JSON decoding per row (see docs/performance.md).
NESTED_JSON = {
    "aliases": ("names", ["id", "given_name", "middle_name", "surname"], {"kind": NameKind.ALIAS}),
    "birth_dates": ("birth_dates", ["date", "is_primary"], {}),
    "identifiers": ("identifiers", ["id", "kind", "value", "issuing_country", "expires"], {}),
    "addresses": (
        "addresses",
        ["id", "kind", "street", "city", "state", "postal_code", "country", "current", "since", "until"],
        {},
    ),
    "warrants": (
        "warrants",
        ["id", "issuing_agency__code", "issuing_agency_name", "number", "issued_on", "active"],
        {},
    ),
}


def registrant_api_queryset(*, user: Any) -> QuerySet[Registrant]:
    """The list API's rows: nested lists inlined as JSON on PostgreSQL, prefetched elsewhere."""
    if connection.vendor != "postgresql":
        return registrant_detail_queryset(user=user)
    # No join to the agency and installation: their codes come in the JSON document as well, so
    # that no model instance is built for them on every row.
    return Registrant.objects.visible_to(user).annotate(**_api_annotations())


@cache
def _api_annotations() -> dict[str, RawSQL]:
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models.functions import JSONObject

    nested = {}
    for name, (relation, fields, where) in NESTED_JSON.items():
        model = Registrant._meta.get_field(relation).related_model
        rows = model.objects.filter(registrant=OuterRef("pk"), **where).order_by(*model._meta.ordering, "pk")
        obj = JSONObject(**{f.replace("issuing_agency__code", "issuing_agency"): F(f) for f in fields})
        nested[name] = ArraySubquery(rows.values(json=obj))
    for name, model in (("registering_agency", Agency), ("installation", Installation)):
        nested[name] = Subquery(model.objects.filter(pk=OuterRef(f"{name}_id")).order_by().values("code"))
    return frozen({"nested_json": JSONObject(**nested)})


# The detail page: the registrant and all its child rows in one statement on PostgreSQL, each
# relation as an array of JSON rows, turned back into model instances by ``with_children``.
PAGE_CHILDREN = {
    # attribute on the page: (relation, filter, extra JSON keys)
    "aliases": ("names", {"kind": NameKind.ALIAS}, {}),
    "birth_dates": ("birth_dates", {}, {}),
    "identifiers": ("identifiers", {}, {}),
    "addresses": ("addresses", {}, {}),
    "warrants": ("warrants", {}, {"agency_code": "issuing_agency__code", "agency_name": "issuing_agency__name"}),
}


def registrant_page_queryset(*, user: Any) -> QuerySet[Registrant]:
    """The detail page's registrant, with ``timeline_<n>`` flags (``timeline_presence``); pass
    the fetched row through ``with_children``."""
    presence = timeline_presence(connection.vendor)
    if connection.vendor != "postgresql":
        return registrant_detail_queryset(user=user).annotate(**presence)
    return registrant_list(user=user).annotate(**_page_annotations(), **presence)


@cache
def _page_annotations() -> dict[str, RawSQL]:
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models.functions import JSONObject

    annotations = {}
    for name, (relation, where, extra) in PAGE_CHILDREN.items():
        model = Registrant._meta.get_field(relation).related_model
        columns = {f.attname: F(f.attname) for f in model._meta.concrete_fields}
        rows = model.objects.filter(registrant=OuterRef("pk"), **where).order_by(*model._meta.ordering, "pk")
        extras = {key: F(path) for key, path in extra.items()}
        annotations[f"{name}_rows"] = ArraySubquery(rows.values(json=JSONObject(**columns, **extras)))
    # The audit trail of the record itself, newest first, for the timeline (``page_history``).
    history = Registrant.history.model
    columns = {f.attname: F(f.attname) for f in history._meta.concrete_fields}
    rows = history.objects.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id")
    annotations["history_rows"] = ArraySubquery(
        rows.values(json=JSONObject(**columns, history_username=F("history_user__username")))
    )
    return frozen(annotations)


def page_history(registrant: Registrant) -> list | None:
    """The record's history rows (newest first, each with its ``history_user`` as far as the
    timeline needs it) from the rows ``registrant_page_queryset`` inlined; None where it did not
    (SQLite), and the caller reads them itself."""
    from django.contrib.auth import get_user_model

    rows = getattr(registrant, "history_rows", None)
    if rows is None:
        return None
    model = Registrant.history.model
    user_model = get_user_model()
    fields = [(f.attname, f) for f in model._meta.concrete_fields]
    records = []
    for row in rows:
        record = model(**{attname: field.to_python(row[attname]) for attname, field in fields})
        record._state.adding, record._state.db = False, registrant._state.db
        user = None
        if record.history_user_id is not None:
            user = user_model(pk=record.history_user_id, **{user_model.USERNAME_FIELD: row["history_username"]})
            user._state.adding = False
        record._state.fields_cache["history_user"] = user
        records.append(record)
    return records


def with_children(registrant: Registrant) -> Registrant:
    """Fill ``aliases`` and the prefetch caches of birth dates, identifiers, addresses and
    warrants (with their issuing agency) from the rows ``registrant_page_queryset`` inlined, so
    the page reads them as if prefetched. Elsewhere the queryset prefetched them already."""
    from rsoits.models import Agency

    if not hasattr(registrant, "aliases_rows"):
        return registrant
    cache = getattr(registrant, "_prefetched_objects_cache", {})
    for name, (relation, _, extra) in PAGE_CHILDREN.items():
        model = Registrant._meta.get_field(relation).related_model
        fields = [(f.attname, f) for f in model._meta.concrete_fields]
        objs = []
        for row in getattr(registrant, f"{name}_rows") or ():
            obj = model(**{attname: field.to_python(row[attname]) for attname, field in fields})
            obj._state.adding, obj._state.db = False, registrant._state.db
            obj._state.fields_cache["registrant"] = registrant
            if extra:
                agency = None
                if obj.issuing_agency_id:
                    agency = Agency(pk=obj.issuing_agency_id, code=row["agency_code"], name=row["agency_name"])
                    agency._state.adding = False
                obj._state.fields_cache["issuing_agency"] = agency
            objs.append(obj)
        if name == "aliases":
            registrant.aliases = objs
        else:
            queryset = getattr(registrant, relation).all()
            queryset._result_cache, queryset._prefetch_done = objs, True
            cache[relation] = queryset
    registrant._prefetched_objects_cache = cache
    return registrant
