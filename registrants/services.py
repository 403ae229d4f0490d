"""Writes to the registry record. Every change is one transaction, validated field by field,
with history rows naming the acting user; matching keys and the fugitive flag are kept in step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from rsoits.audit import audited_service
from rsoits.models import Agency
from rsoits.principal import principal_for

from .choices import NameKind
from .matching.index import refresh_match_keys
from .models import Address, Identifier, Registrant, RegistrantBirthDate, RegistrantName, Warrant

RECORD_FIELDS = {
    "external_id",
    "given_name",
    "middle_name",
    "surname",
    "suffix",
    "date_of_birth",
    "sex",
    "place_of_birth",
    "citizenships",
    "status",
    "tier",
    "registration_ends",
    "travel_prohibited",
    "conditions",
    "dod_component",
    "installation",
    "lives_on_installation",
    "works_on_installation",
    "subject_to_ucmj",
    "national_guard",
}


def _check_can_register(actor: Any, agency: Agency) -> None:
    if actor is None:
        return  # imports and seeding run as the system
    if agency.pk not in principal_for(actor).sora_agency_ids:
        raise PermissionDenied("You may register only the registrants of your own jurisdiction.")


def _check_can_change(actor: Any, registrant: Registrant) -> None:
    if actor is None:
        return
    if not Registrant.objects.visible_to(actor, "change").filter(pk=registrant.pk).exists():
        raise PermissionDenied("You may not change this registrant.")


def _prefixed(errors: ValidationError, prefix: str) -> ValidationError:
    if hasattr(errors, "error_dict"):
        return ValidationError({f"{prefix}.{field}": msgs for field, msgs in errors.message_dict.items()})
    return ValidationError({prefix: errors.messages})


def _full_clean(obj: Any, prefix: str, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=True)
    except ValidationError as exc:
        raise _prefixed(exc, prefix) from exc


def _sync_primary(registrant: Registrant) -> None:
    """Mirror the record's primary name and DOB into the matching tables."""
    primary = registrant.names.filter(kind=NameKind.PRIMARY).first() or RegistrantName(
        registrant=registrant, kind=NameKind.PRIMARY
    )
    wanted = (registrant.given_name, registrant.middle_name, registrant.surname)
    if (primary.given_name, primary.middle_name, primary.surname) != wanted or primary.pk is None:
        primary.given_name, primary.middle_name, primary.surname = wanted
        primary.save()
    current = registrant.birth_dates.filter(is_primary=True).first()
    if registrant.date_of_birth and (current is None or current.date != registrant.date_of_birth):
        if current is not None:
            current.delete()
        existing = registrant.birth_dates.filter(date=registrant.date_of_birth).first()
        if existing:
            existing.is_primary = True
            existing.save()
        else:
            RegistrantBirthDate.objects.create(registrant=registrant, date=registrant.date_of_birth, is_primary=True)
    elif not registrant.date_of_birth and current is not None:
        current.delete()


def refresh_fugitive(registrant: Registrant) -> None:
    """An active warrant makes the registrant a fugitive (DESIGN.md; white paper VI.3)."""
    fugitive = registrant.warrants.filter(active=True).exists()
    if fugitive != registrant.is_fugitive:
        registrant.is_fugitive = fugitive
        registrant.save(update_fields=["is_fugitive", "updated_at"])


def _replace_children(
    registrant: Registrant, model: type, related: str, rows: Iterable[dict[str, Any]] | None, prefix: str, **fixed
) -> None:
    """Make the registrant's ``related`` rows equal to ``rows`` (each a dict of fields, with an
    optional ``id`` to keep an existing row): unchanged rows stay, changed ones are updated,
    missing ones deleted — each with its history row."""
    if rows is None:
        return
    existing = {obj.pk: obj for obj in getattr(registrant, related).filter(**fixed)}
    keep: set[int] = set()
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        obj = existing.get(pk) if pk else None
        if obj is None:
            obj = model(registrant=registrant, **fixed)
        changed = obj.pk is None
        for field, value in row.items():
            if getattr(obj, field) != value:
                setattr(obj, field, value)
                changed = True
        if changed:
            _full_clean(obj, f"{prefix}[{index}]", exclude=["registrant"])
            obj.save()
        if obj.pk:
            keep.add(obj.pk)
    for pk, obj in existing.items():
        if pk not in keep:
            obj.delete()


def _split_record(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(fields) - RECORD_FIELDS - {"aliases", "alias_birth_dates", "identifiers", "addresses", "warrants"}
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    record = {k: v for k, v in fields.items() if k in RECORD_FIELDS}
    nested = {k: v for k, v in fields.items() if k not in RECORD_FIELDS}
    return record, nested


def _write_nested(registrant: Registrant, nested: dict[str, Any]) -> None:
    _replace_children(registrant, RegistrantName, "names", nested.get("aliases"), "aliases", kind=NameKind.ALIAS)
    if nested.get("alias_birth_dates") is not None:
        rows = [{"date": d} if isinstance(d, date) else d for d in nested["alias_birth_dates"]]
        rows = [r for r in rows if r["date"] != registrant.date_of_birth]
        _replace_children(registrant, RegistrantBirthDate, "birth_dates", rows, "alias_birth_dates", is_primary=False)
    _replace_children(registrant, Identifier, "identifiers", nested.get("identifiers"), "identifiers")
    _replace_children(registrant, Address, "addresses", nested.get("addresses"), "addresses")
    _replace_children(registrant, Warrant, "warrants", nested.get("warrants"), "warrants")


@transaction.atomic
@audited_service
def registrant_create(*, actor: Any, registering_agency: Agency, **fields: Any) -> Registrant:
    """Register a person. ``aliases``, ``alias_birth_dates``, ``identifiers``, ``addresses`` and
    ``warrants`` are lists of dicts of their fields; errors name the field (``aliases[1].surname``)."""
    _check_can_register(actor, registering_agency)
    record, nested = _split_record(fields)
    registrant = Registrant(registering_agency=registering_agency, **record)
    registrant.full_clean()
    registrant.save()
    _sync_primary(registrant)
    _write_nested(registrant, nested)
    refresh_match_keys([registrant.pk])
    refresh_fugitive(registrant)
    return registrant


@transaction.atomic
@audited_service
def registrant_update(*, actor: Any, registrant: Registrant, **fields: Any) -> Registrant:
    """Change a record; only what differs is written, so an unchanged update leaves no history."""
    _check_can_change(actor, registrant)
    record, nested = _split_record(fields)
    changed = [name for name, value in record.items() if getattr(registrant, name) != value]
    for name in changed:
        setattr(registrant, name, record[name])
    if changed:
        registrant.full_clean()
        registrant.save()
        _sync_primary(registrant)
    _write_nested(registrant, nested)
    if changed or {"aliases", "alias_birth_dates"} & set(nested):
        refresh_match_keys([registrant.pk])
    refresh_fugitive(registrant)
    return registrant
