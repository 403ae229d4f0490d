"""Create, edit and import from the screens."""

import pytest

from registrants.models import Registrant
from tests.registrants.test_api import seed
from tests.registrants.test_import import GOOD, csv_bytes

pytestmark = pytest.mark.django_db


def management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def create_payload(world, **extra):
    data = {
        "registering_agency": world.va.pk,
        "external_id": "VA-77",
        "given_name": "Nguyen",
        "surname": "Van An",
        "date_of_birth": "1985-07-08",
        "sex": "M",
        "status": "compliant",
        "citizenships": "US, VN",
        **management("aliases", 1),
        "aliases-0-given_name": "An",
        "aliases-0-surname": "Nguen",
        **management("identifiers", 1),
        "identifiers-0-kind": "passport",
        "identifiers-0-value": "N1234",
        "identifiers-0-issuing_country": "US",
        **management("addresses"),
        **management("warrants"),
    }
    data.update(extra)
    return data


def test_create_from_the_screen(client, world):
    client.force_login(world.va_staff)
    assert client.get("/registrants/new/").status_code == 200
    response = client.post("/registrants/new/", create_payload(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    r = Registrant.objects.get(external_id="VA-77")
    assert r.citizenships == ["US", "VN"]
    assert r.names.filter(kind="alias", surname="Nguen").exists()
    assert r.history.first().history_user == world.va_staff


def test_field_errors_on_the_screen(client, world):
    client.force_login(world.va_staff)
    payload = create_payload(world, **{"identifiers-0-issuing_country": "", "citizenships": "USA"})
    response = client.post("/registrants/new/", payload)
    assert response.status_code == 400
    body = response.content.decode()
    assert "use ISO 3166 alpha-2 country codes" in body
    assert not Registrant.objects.exists()
    response = client.post("/registrants/new/", create_payload(world, date_of_birth="2090-01-01"))
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert not Registrant.objects.exists()
    response = client.post("/registrants/new/", create_payload(world))
    response = client.post("/registrants/new/", create_payload(world, **{"identifiers-0-value": "OTHER"}))
    assert response.status_code == 400  # same external id in the same agency
    assert Registrant.objects.count() == 1


def test_other_roles_cannot_create_or_edit(client, world):
    r = seed(world, 1)[0]
    client.force_login(world.md_staff)
    assert client.get(f"/registrants/{r.pk}/edit/").status_code == 404
    assert client.post("/registrants/new/", create_payload(world)).status_code == 400  # VA not offered to MD
    client.force_login(world.analyst)
    assert client.get("/registrants/new/").status_code == 403
    assert client.get(f"/registrants/{r.pk}/edit/").status_code == 404
    client.logout()
    assert client.get(f"/registrants/{r.pk}/edit/").status_code == 302


def test_edit_keeps_rows_and_records_history(client, world):
    r = seed(world, 1)[0]
    client.force_login(world.va_staff)
    page = client.get(f"/registrants/{r.pk}/edit/")
    assert page.status_code == 200
    alias = r.names.get(kind="alias")
    ident = r.identifiers.get()
    data = {
        "external_id": r.external_id,
        "given_name": r.given_name,
        "surname": "Perez-Ortega",
        "date_of_birth": r.date_of_birth.isoformat(),
        "sex": r.sex,
        "status": r.status,
        "citizenships": "",
        **management("aliases", 1, 1),
        "aliases-0-id": alias.pk,
        "aliases-0-given_name": alias.given_name,
        "aliases-0-surname": alias.surname,
        **management("identifiers", 1, 1),
        "identifiers-0-id": ident.pk,
        "identifiers-0-kind": ident.kind,
        "identifiers-0-value": ident.value,
        **management("addresses", 1, 1),
        "addresses-0-id": r.addresses.get().pk,
        "addresses-0-kind": "residence",
        "addresses-0-city": "Richmond",
        "addresses-0-state": "VA",
        "addresses-0-country": "US",
        "addresses-0-current": "on",
        **management("warrants", 1, 1),
        "warrants-0-id": r.warrants.get().pk,
        "warrants-0-issuing_agency_name": "Richmond PD",
        "warrants-0-number": "W0",
        "warrants-0-DELETE": "on",
    }
    response = client.post(f"/registrants/{r.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    r.refresh_from_db()
    assert r.surname == "Perez-Ortega"
    assert not r.is_fugitive  # the only warrant was removed
    assert r.names.filter(pk=alias.pk).exists()
    assert r.history.first().history_user == world.va_staff


def test_import_screen_preview_then_confirm(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.va_staff)
    upload = SimpleUploadedFile("r.csv", csv_bytes(*GOOD), content_type="text/csv")
    response = client.post("/registrants/import/", {"agency": world.va.pk, "file": upload})
    assert response.status_code == 200
    assert "created 2, updated 0, unchanged 0, rejected 0" in response.content.decode()
    assert not Registrant.objects.exists()  # preview stores nothing
    token = response.context["token"]
    response = client.post("/registrants/import/", {"confirm": token})
    assert Registrant.objects.filter(registering_agency=world.va).count() == 2
    client.force_login(world.analyst)
    assert client.get("/registrants/import/").status_code == 403
