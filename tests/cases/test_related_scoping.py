"""A record named in a request body (a registrant, a case) resolves only among the records the
caller may see: one of another agency reads exactly as one that does not exist, so a request can
never be used to learn whether another agency's record exists."""

import pytest
from rest_framework.test import APIClient

from cases.models import ForeignNotice, SeparationNotice, TravelNotice
from tests.cases.factories_foreign import fw_fixture, make_forwarded_case, make_registrant  # noqa: F401

pytestmark = pytest.mark.django_db

MISSING = 999_999


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_reads_as_missing(client, url, payload, field, hidden_pk):
    hidden = client.post(url, {**payload, field: hidden_pk}, format="json")
    missing = client.post(url, {**payload, field: MISSING}, format="json")
    assert hidden.status_code == missing.status_code == 400, hidden.content
    assert hidden.json()[field] == [m.replace(str(MISSING), str(hidden_pk)) for m in missing.json()[field]]


def test_travel_notice_names_only_the_filers_registrants(world):
    md_registrant = make_registrant(world, agency=world.md)
    payload = {"departure_date": "2030-01-10", "return_date": "2030-01-20", "purpose": "travel"}
    assert_reads_as_missing(api(world.va_staff), "/api/v1/travel-notices/", payload, "registrant", md_registrant.pk)
    assert not TravelNotice.objects.exists()


def test_foreign_notice_names_only_visible_cases(fw):
    hidden_case = make_forwarded_case(fw, share=False)  # not forwarded to USNCB: not its to see
    client = api(fw.usncb_officer)
    assert_reads_as_missing(client, "/api/v1/foreign-notices/", {"country": "FR"}, "case", hidden_case.pk)
    assert not ForeignNotice.objects.exists()
    # and the same case once shared is accepted
    shared = make_forwarded_case(fw)
    assert (
        client.post("/api/v1/foreign-notices/", {"case": shared.pk, "country": "FR"}, format="json").status_code == 201
    )


def test_separation_notice_names_only_visible_registrants(world):
    va_registrant = make_registrant(world)  # the installation LEA sees only its installation's people
    payload = {
        "kind": "separation", "component": "army", "given_name": "Frank", "surname": "Dunn",
        "date_of_birth": "1980-01-01", "ucmj_article": "120", "offense": "x", "conviction_date": "2025-01-01",
        "effective_date": "2026-01-01", "residence_state": "VA",
    }  # fmt: skip
    assert_reads_as_missing(
        api(world.lea_officer), "/api/v1/separation-notices/", payload, "registrant", va_registrant.pk
    )
    assert not SeparationNotice.objects.exists()
