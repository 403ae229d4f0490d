"""Scoped reads of the registry."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

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
