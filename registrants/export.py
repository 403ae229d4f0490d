"""CSV export of exactly the registrants the user may see and has filtered."""

from __future__ import annotations

from collections.abc import Iterable

import tablib

from .models import Registrant

COLUMNS = [
    ("external_id", "external_id"),
    ("jurisdiction", "registering_agency.code"),
    ("given_name", "given_name"),
    ("middle_name", "middle_name"),
    ("surname", "surname"),
    ("date_of_birth", "date_of_birth"),
    ("sex", "sex"),
    ("status", "status"),
    ("tier", "tier"),
    ("fugitive", "is_fugitive"),
    ("travel_prohibited", "travel_prohibited"),
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV injection): a text cell starting with =, +, -, @
    is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _get(obj: object, path: str) -> object:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def registrants_csv(registrants: Iterable[Registrant]) -> str:
    data = tablib.Dataset(headers=[name for name, _ in COLUMNS])
    for registrant in registrants:
        data.append([safe_cell("" if (v := _get(registrant, path)) is None else v) for _, path in COLUMNS])
    return data.export("csv")
