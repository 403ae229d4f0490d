"""The registry record: scoping per role, history, matching keys, fugitive flag, field errors."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from registrants.choices import IdentifierKind, NameKind
from registrants.models import Identifier, Registrant, RegistrantBirthDate, RegistrantName
from registrants.services import registrant_create, registrant_update
from rsoits.choices import Role
from tests.factories import AgencyFactory, member

pytestmark = pytest.mark.django_db


def make(world, agency=None, **fields):
    defaults = {
        "external_id": "R-1",
        "given_name": "José",
        "surname": "Muñoz-García",
        "date_of_birth": date(1980, 3, 4),
    }
    defaults.update(fields)
    return registrant_create(actor=None, registering_agency=agency or world.va, **defaults)


def test_scoping_per_role(world):
    va = make(world)
    md = make(world, world.md, external_id="R-2")
    on_base = make(world, world.md, external_id="R-3", installation=world.installation, works_on_installation=True)
    # assigned to the installation but neither living nor working on it: not the LEA's to see
    make(world, world.md, external_id="R-4", installation=world.installation)
    assert set(Registrant.objects.visible_to(world.va_staff)) == {va}
    assert set(Registrant.objects.visible_to(world.md_staff)) - {md, on_base} == {
        Registrant.objects.get(external_id="R-4")
    }
    assert set(Registrant.objects.visible_to(world.analyst).values_list("external_id", flat=True)) == {
        "R-1", "R-2", "R-3", "R-4"
    }  # fmt: skip
    assert set(Registrant.objects.visible_to(world.lea_officer)) == {on_base}
    for nobody in (world.usncb_officer, world.sysadmin, world.va_admin, AnonymousUser()):
        assert not Registrant.objects.visible_to(nobody).exists()
    # only the registering SORA changes the record
    assert set(Registrant.objects.visible_to(world.va_staff, "change")) == {va}
    assert not Registrant.objects.visible_to(world.analyst, "change").exists()
    assert not Registrant.objects.visible_to(world.lea_officer, "change").exists()


def test_shared_record_becomes_visible_through_guardian(world):
    from guardian.shortcuts import assign_perm

    va = make(world)
    assert not Registrant.objects.visible_to(world.usncb_officer).exists()
    assign_perm("registrants.view_registrant", world.usncb.group, va)
    assert list(Registrant.objects.visible_to(world.usncb_officer)) == [va]
    assert not Registrant.objects.visible_to(world.usncb_officer, "change").exists()


def test_create_derives_matching_keys_and_history(world):
    r = registrant_create(
        actor=world.va_staff,
        registering_agency=world.va,
        external_id="R-9",
        given_name="Aleksándr",
        surname="de la Cruz",
        date_of_birth=date(1975, 12, 1),
        aliases=[{"given_name": "Sasha", "surname": "Cruz"}],
        alias_birth_dates=[date(1975, 1, 12)],
        identifiers=[{"kind": IdentifierKind.PASSPORT, "value": "x123-456", "issuing_country": "US"}],
    )
    primary = r.names.get(kind=NameKind.PRIMARY)
    assert (primary.norm_given, primary.norm_surname) == ("ALEKSANDR", "DE LA CRUZ")
    assert primary.surname_phonetic
    assert r.names.get(kind=NameKind.ALIAS).norm_given == "SASHA"
    assert {(b.month, b.day, b.is_primary) for b in r.birth_dates.all()} == {(12, 1, True), (1, 12, False)}
    assert Identifier.objects.get(registrant=r).norm_value == "X123456"
    assert r.history.get().history_user == world.va_staff
    assert RegistrantName.history.filter(registrant_id=r.pk).first().history_user == world.va_staff


def test_update_keeps_keys_in_step_and_only_writes_changes(world):
    r = make(world)
    registrant_update(actor=world.va_staff, registrant=r, surname="Smith", date_of_birth=date(1980, 4, 3))
    primary = r.names.get(kind=NameKind.PRIMARY)
    assert primary.norm_surname == "SMITH"
    assert RegistrantBirthDate.objects.get(registrant=r, is_primary=True).date == date(1980, 4, 3)
    assert r.history.count() == 2
    assert r.history.first().history_user == world.va_staff
    registrant_update(actor=world.va_staff, registrant=r, surname="Smith")
    assert r.history.count() == 2  # nothing changed, nothing written


def test_active_warrant_makes_a_fugitive(world):
    r = make(world, warrants=[{"issuing_agency": world.md, "number": "W-1", "active": True}])
    assert r.is_fugitive
    warrant = r.warrants.get()
    registrant_update(
        actor=world.va_staff,
        registrant=r,
        warrants=[{"id": warrant.pk, "issuing_agency": world.md, "number": "W-1", "active": False}],
    )
    r.refresh_from_db()
    assert not r.is_fugitive
    assert Registrant.objects.fugitives().count() == 0


def test_field_errors_name_the_field_and_nothing_is_half_written(world):
    with pytest.raises(ValidationError) as exc:
        make(world, identifiers=[{"kind": IdentifierKind.PASSPORT, "value": "P1"}])
    assert "identifiers[0].issuing_country" in exc.value.message_dict
    assert not Registrant.objects.exists()
    make(world)
    with pytest.raises(ValidationError) as exc:
        make(world)  # same external id in the same agency
    assert exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make(world, external_id="R-5", shoe_size=11)
    assert "shoe_size" in exc.value.message_dict


def test_identifier_unique_per_kind_and_value(world):
    make(world, identifiers=[{"kind": IdentifierKind.FBI_UCN, "value": "123AB"}])
    with pytest.raises(ValidationError) as exc:
        make(world, external_id="R-2", identifiers=[{"kind": IdentifierKind.FBI_UCN, "value": "123 ab"}])
    assert any(k.startswith("identifiers[0]") for k in exc.value.message_dict)


def test_only_the_registering_sora_writes(world):
    r = make(world)
    with pytest.raises(PermissionDenied):
        registrant_create(
            actor=world.md_staff, registering_agency=world.va, external_id="X", given_name="A", surname="B"
        )
    with pytest.raises(PermissionDenied):
        registrant_update(actor=world.analyst, registrant=r, surname="Other")
    tribal = AgencyFactory(code="TR-X", kind="tribal_sora", jurisdiction_type="tribe", jurisdiction="Tribe X")
    clerk = member(tribal, Role.SORA_STAFF, username="tribal_clerk")
    assert registrant_create(actor=clerk, registering_agency=tribal, external_id="T1", given_name="A", surname="B")
