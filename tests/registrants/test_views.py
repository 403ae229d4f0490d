"""Registrant pages: scoping, search, export, timeline, access log, constant query count."""

import pytest

from registrants.export import safe_cell
from registrants.services import registrant_update
from rsoits.models import AccessLog
from tests.registrants.test_api import seed

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client, world):
    r = seed(world, 1)[0]
    for url in ("/registrants/", "/registrants/export.csv", f"/registrants/{r.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_list_shows_only_own_jurisdiction_and_logs(client, world):
    seed(world, 2)
    seed(world, 2, agency=world.md, prefix="M")
    client.force_login(world.md_staff)
    body = client.get("/registrants/").content.decode()
    assert "M-0" in body and "M-1" in body
    assert "R-0" not in body
    assert AccessLog.objects.filter(user=world.md_staff, action="list", count=2).exists()


def test_search_and_filters(client, world):
    seed(world, 4)
    client.force_login(world.va_staff)
    body = client.get("/registrants/?q=Perez3").content.decode()
    assert "R-3" in body and "R-2" not in body
    body = client.get("/registrants/?is_fugitive=false").content.decode()
    assert "R-1" in body and "R-0" not in body


def test_export_is_scoped_filtered_and_logged(client, world):
    seed(world, 3)
    seed(world, 1, agency=world.md, prefix="M")
    client.force_login(world.va_staff)
    csv = client.get("/registrants/export.csv?is_fugitive=true").content.decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("external_id")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["R-0", "R-2"]
    assert AccessLog.objects.filter(user=world.va_staff, action="export", count=2).exists()
    assert safe_cell("=HYPERLINK()") == "'=HYPERLINK()"


def test_detail_other_agency_404_and_logged(client, world):
    r = seed(world, 1)[0]
    client.force_login(world.md_staff)
    assert client.get(f"/registrants/{r.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=world.md_staff, action="denied", object_id=str(r.pk)).exists()


def test_detail_shows_record_and_timeline(client, world):
    r = seed(world, 1)[0]
    registrant_update(actor=world.va_staff, registrant=r, surname="Ortega")
    client.force_login(world.va_staff)
    body = client.get(f"/registrants/{r.pk}/").content.decode()
    assert "Lopez0" in body  # alias
    assert "RSID0" in body  # identifier
    assert "Fugitive" in body
    assert "surname: Perez0 → Ortega" in body
    assert "va_staff" in body
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_id=str(r.pk)).exists()


def test_list_page_query_count_is_constant(client, world, django_assert_max_num_queries):
    seed(world, 2)
    client.force_login(world.analyst)
    client.get("/registrants/")
    with django_assert_max_num_queries(30) as small:
        client.get("/registrants/")
    seed(world, 30, prefix="S")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/registrants/")


def test_jurisdiction_filter(client, world):
    seed(world, 1)
    seed(world, 1, agency=world.md, prefix="M")
    client.force_login(world.analyst)
    body = client.get("/registrants/?registering_agency=MD").content.decode()
    assert "M-0" in body
    assert "R-0" not in body


def test_invalid_filter_matches_nothing_and_names_the_field(client, world):
    seed(world, 1)
    client.force_login(world.analyst)
    response = client.get("/registrants/?registering_agency=ZZ")
    body = response.content.decode()
    assert "R-0" not in body
    assert "Select a valid choice" in body


def test_detail_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries):
    r = seed(world, 1)[0]
    client.force_login(world.va_staff)
    client.get(f"/registrants/{r.pk}/")
    with django_assert_max_num_queries(30) as before:
        client.get(f"/registrants/{r.pk}/")
    for n in range(6):
        registrant_update(actor=world.va_staff, registrant=r, place_of_birth=f"City {n}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(f"/registrants/{r.pk}/")
