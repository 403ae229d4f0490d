"""The core-records API: one permission table over (route, operation, actor), secrets,
query counts and the access log of user reads."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from rsoits.choices import AccessAction, Role
from rsoits.models import AccessLog, Agency, AgencyContact, Membership, User
from tests.factories import AgencyFactory, ContactFactory, EndpointFactory, InstallationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

ANON, OTHER_ADMIN, OWN_ADMIN, SYSADMIN, STAFF = "anon", "other_admin", "own_admin", "sysadmin", "staff"
ORDER = (OTHER_ADMIN, OWN_ADMIN, SYSADMIN, STAFF)  # columns of the expected-status tuples
ACTORS = {OTHER_ADMIN: "va_admin", OWN_ADMIN: "md_admin", SYSADMIN: "sysadmin", STAFF: "md_staff"}
API = "/api/v1"


@pytest.fixture
def md(world):
    world.md_contact = ContactFactory(agency=world.md, name="MD duty desk")
    world.md_endpoint = EndpointFactory(agency=world.md, address="alerts@md.example.test")
    world.md_membership = Membership.objects.get(user=world.md_staff, agency=world.md)
    return world


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# (id, method, url from the world, body, expected status for (other agency admin, own agency admin,
# system admin, own agency staff)); agency B is Maryland.
API_TABLE = [
    ("agency-list", "get", lambda w: f"{API}/agencies/", None, (200, 200, 200, 200)),
    ("agency-read", "get", lambda w: f"{API}/agencies/{w.md.pk}/", None, (200, 200, 200, 200)),
    ("agency-change", "patch", lambda w: f"{API}/agencies/{w.md.pk}/", {"name": "Maryland SOR"}, (403, 403, 200, 403)),
    ("agency-delete", "delete", lambda w: f"{API}/agencies/{w.md.pk}/", None, (403, 403, 204, 403)),
    (
        "contact-create",
        "post",
        lambda w: f"{API}/agency-contacts/",
        lambda w: {"agency": w.md.pk, "name": "Night", "phone": "+1 410 555 0101"},
        (403, 201, 201, 403),
    ),
    ("contact-read", "get", lambda w: f"{API}/agency-contacts/{w.md_contact.pk}/", None, (404, 200, 200, 200)),
    (
        "contact-change",
        "patch",
        lambda w: f"{API}/agency-contacts/{w.md_contact.pk}/",
        {"name": "Day desk"},
        (404, 200, 200, 403),
    ),
    ("contact-delete", "delete", lambda w: f"{API}/agency-contacts/{w.md_contact.pk}/", None, (404, 204, 204, 403)),
    (
        "endpoint-create",
        "post",
        lambda w: f"{API}/agency-endpoints/",
        lambda w: {"agency": w.md.pk, "kind": "email", "address": "x@md.example.test"},
        (403, 201, 201, 403),
    ),
    ("endpoint-read", "get", lambda w: f"{API}/agency-endpoints/{w.md_endpoint.pk}/", None, (404, 200, 200, 200)),
    (
        "endpoint-change",
        "patch",
        lambda w: f"{API}/agency-endpoints/{w.md_endpoint.pk}/",
        {"description": "alerts"},
        (404, 200, 200, 403),
    ),
    ("endpoint-delete", "delete", lambda w: f"{API}/agency-endpoints/{w.md_endpoint.pk}/", None, (404, 204, 204, 403)),
    ("installation-read", "get", lambda w: f"{API}/installations/{w.installation.pk}/", None, (200, 200, 200, 200)),
    (
        "installation-change",
        "patch",
        lambda w: f"{API}/installations/{w.installation.pk}/",
        {"city": "Fort Belvoir"},
        (403, 403, 200, 403),
    ),
    (
        "installation-delete",
        "delete",
        lambda w: f"{API}/installations/{w.installation.pk}/",
        None,
        (403, 403, 204, 403),
    ),
    ("user-read", "get", lambda w: f"{API}/users/{w.md_staff.pk}/", None, (404, 200, 200, 200)),
    ("user-change", "patch", lambda w: f"{API}/users/{w.md_staff.pk}/", {"title": "Analyst"}, (404, 200, 200, 403)),
    ("user-delete", "delete", lambda w: f"{API}/users/{w.md_staff.pk}/", None, (404, 204, 204, 403)),
    ("membership-read", "get", lambda w: f"{API}/memberships/{w.md_membership.pk}/", None, (404, 200, 200, 200)),
    (
        "membership-create",
        "post",
        lambda w: f"{API}/memberships/",
        lambda w: {"user": w.md_staff.pk, "agency": w.md.pk, "role": Role.AUDITOR},
        (400, 201, 201, 400),
    ),
    ("membership-delete", "delete", lambda w: f"{API}/memberships/{w.md_membership.pk}/", None, (404, 204, 204, 403)),
    ("accesslog-list", "get", lambda w: f"{API}/access-log/", None, (200, 200, 200, 200)),
    ("accesslog-delete", "delete", lambda w: f"{API}/access-log/1/", None, (405, 405, 405, 405)),
]


def _api_cases():
    for case_id, method, url, body, expected in API_TABLE:
        yield pytest.param(method, url, body, ANON, (401, 403), id=f"{case_id}-{ANON}")
        for actor, status in zip(ORDER, expected, strict=True):
            yield pytest.param(method, url, body, actor, (status,), id=f"{case_id}-{actor}")


@pytest.mark.parametrize(("method", "url", "body", "actor", "statuses"), list(_api_cases()))
def test_api_permission_table(md, method, url, body, actor, statuses):
    client = api_client(getattr(md, ACTORS[actor]) if actor != ANON else None)
    data = body(md) if callable(body) else body
    response = getattr(client, method)(url(md), data, format="json")
    assert response.status_code in statuses, response.content[:1000]


def test_endpoint_secret_is_never_serialized(md):
    client = api_client(md.sysadmin)
    for url in (f"{API}/agency-endpoints/", f"{API}/agency-endpoints/{md.md_endpoint.pk}/", f"{API}/agencies/"):
        body = client.get(url).content.decode()
        assert "alerts@md.example.test" in body
        assert md.md_endpoint.secret not in body
        assert '"secret"' not in body


def test_nested_contacts_follow_visibility(md):
    va_view = api_client(md.va_staff).get(f"{API}/agencies/{md.md.pk}/").json()
    assert va_view["contacts"] == [] and va_view["endpoints"] == []
    md_view = api_client(md.md_staff).get(f"{API}/agencies/{md.md.pk}/").json()
    assert [c["name"] for c in md_view["contacts"]] == ["MD duty desk"]


def test_agency_admin_lists_only_own_users_and_memberships(md):
    client = api_client(md.va_admin)
    usernames = {u["username"] for u in client.get(f"{API}/users/", {"page_size": 500}).json()["results"]}
    assert "va_staff" in usernames and "md_staff" not in usernames
    agencies = {m["agency"] for m in client.get(f"{API}/memberships/").json()["results"]}
    assert agencies == {md.va.pk}


def test_filters(md):
    client = api_client(md.sysadmin)
    rows = client.get(f"{API}/agencies/", {"code": "MD"}).json()["results"]
    assert [r["code"] for r in rows] == ["MD"]
    rows = client.get(f"{API}/users/", {"memberships__agency": md.md.pk}).json()["results"]
    assert {r["username"] for r in rows} == {"md_staff", "md_admin"}
    rows = client.get(f"{API}/agency-contacts/", {"agency": md.md.pk}).json()["results"]
    assert [r["name"] for r in rows] == ["MD duty desk"]


def test_service_validation_is_a_400_naming_the_field(md):
    client = api_client(md.md_admin)
    response = client.post(f"{API}/agency-contacts/", {"agency": md.md.pk, "name": "No way to reach"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert not AgencyContact.objects.filter(name="No way to reach").exists()


def test_agency_admin_creates_user_but_not_a_system_admin(md):
    client = api_client(md.md_admin)
    body = {"username": "apinew", "password": "another-long-passphrase-77", "agency": md.md.pk, "role": Role.SORA_STAFF}
    response = client.post(f"{API}/users/", body, format="json")
    assert response.status_code == 201, response.content
    assert [m["agency_code"] for m in response.json()["memberships"]] == ["MD"]
    assert "password" not in response.json()
    response = client.post(f"{API}/users/", {**body, "username": "apinew2", "role": Role.SYSTEM_ADMIN}, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="apinew2").exists()


def test_system_admin_creates_agency(world):
    body = {
        "code": "DE",
        "name": "Delaware SBI",
        "kind": "state_sora",
        "jurisdiction_type": "state",
        "jurisdiction": "DE",
        "ori": "DE0000000",
    }
    response = api_client(world.sysadmin).post(f"{API}/agencies/", body, format="json")
    assert response.status_code == 201, response.content
    assert Agency.objects.get(code="DE").group is not None


def test_user_reads_write_the_access_log(md):
    client = api_client(md.md_admin)
    client.get(f"{API}/users/{md.md_staff.pk}/")
    row = AccessLog.objects.filter(action=AccessAction.VIEW, object_type="rsoits.user").latest("id")
    assert (row.user, row.object_id, row.agency_code) == (md.md_admin, str(md.md_staff.pk), "MD")
    client.get(f"{API}/users/")
    row = AccessLog.objects.filter(action=AccessAction.LIST, object_type="rsoits.user").latest("id")
    assert row.user == md.md_admin and row.count == User.objects.visible_to(md.md_admin).count()


def test_access_log_is_scoped_to_auditors(md):
    api_client(md.md_admin).get(f"{API}/users/{md.md_staff.pk}/")
    assert api_client(md.md_admin).get(f"{API}/access-log/").json()["count"] == 0
    assert api_client(md.sysadmin).get(f"{API}/access-log/", {"action": "view"}).json()["count"] >= 1
    md_auditor = member(md.md, Role.AUDITOR, username="md_auditor")
    rows = api_client(md_auditor).get(f"{API}/access-log/").json()["results"]
    assert rows and all(r["agency_code"] == "MD" for r in rows)


def _grow(world, n):
    for i in range(n):
        agency = AgencyFactory(code=f"QA{i:03d}")
        ContactFactory(agency=agency)
        EndpointFactory(agency=agency)
        InstallationFactory()
        member(agency, Role.SORA_STAFF, username=f"qa_user{i}")
        Membership.objects.create(user=UserFactory(username=f"qa_extra{i}"), agency=world.operator, role=Role.AUDITOR)
        AccessLog.objects.create(username=f"qa_user{i}", action=AccessAction.VIEW)


@pytest.mark.parametrize("n", [3, 20])
@pytest.mark.parametrize(
    "route", ["agencies", "agency-contacts", "agency-endpoints", "installations", "users", "memberships", "access-log"]
)
def test_list_query_count_is_bounded(world, django_assert_max_num_queries, n, route):
    _grow(world, n)
    client = api_client(world.sysadmin)
    with django_assert_max_num_queries(12):
        response = client.get(f"{API}/{route}/")
    assert response.status_code == 200
    assert response.json()["count"] >= n
