"""The admin screens: one permission table over (screen, operation, actor), list filters,
query counts and the access log of user reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rsoits.choices import AccessAction, AgencyKind, DodComponent, Role
from rsoits.models import AccessLog, Agency, AgencyContact, AgencyEndpoint, Membership, User
from tests.factories import AgencyFactory, ContactFactory, EndpointFactory, InstallationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

ANON, OTHER_ADMIN, OWN_ADMIN, SYSADMIN, STAFF = "anon", "other_admin", "own_admin", "sysadmin", "staff"
ORDER = (OTHER_ADMIN, OWN_ADMIN, SYSADMIN, STAFF)  # columns of the expected-status tuples
ACTORS = {OTHER_ADMIN: "va_admin", OWN_ADMIN: "md_admin", SYSADMIN: "sysadmin", STAFF: "md_staff"}


@pytest.fixture
def md(world):
    """Agency B (Maryland) and its records; the "other" admin is Virginia's."""
    world.md_contact = ContactFactory(agency=world.md, name="MD duty desk")
    world.md_endpoint = EndpointFactory(agency=world.md, address="alerts@md.example.test")
    world.md_membership = Membership.objects.get(user=world.md_staff, agency=world.md)
    return world


def _contact_data(w):
    return {"name": "MD night desk", "email": "night@md.example.test", "phone": "+1 410 555 0100"}


def _endpoint_data(w):
    return {"kind": "email", "address": "new@md.example.test", "active": "on", "description": "new"}


def _user_data(w):
    return {"first_name": "Mary", "last_name": "Land", "email": "mary@md.example.test", "is_active": "on"}


def _installation_data(w):
    i = w.installation
    return {
        "code": i.code,
        "name": "Fort Belvoir North",
        "component": DodComponent.ARMY,
        "country": "US",
        "state": "VA",
        "lea": i.lea_id,
        "active": "on",
    }


def _agency_data(w):
    a = w.md
    return {
        "code": a.code,
        "name": "Maryland SOR",
        "kind": a.kind,
        "jurisdiction_type": a.jurisdiction_type,
        "jurisdiction": a.jurisdiction,
        "ori": a.ori,
        "active": "on",
    }


# (id, url name, url args from the world, method, form data, expected status for
# (other agency admin, own agency admin, system admin, own agency staff)); agency B is Maryland.
# 2xx/3xx success is written as the exact code the screen answers.
UI_TABLE = [
    ("agency-list", "agency_list", lambda w: [], "get", None, (200, 200, 200, 403)),
    ("agency-read", "agency_detail", lambda w: [w.md.pk], "get", None, (404, 200, 200, 403)),
    ("agency-change", "agency_update", lambda w: [w.md.pk], "post", _agency_data, (403, 403, 302, 403)),
    ("contact-create", "contact_create", lambda w: [w.md.pk], "post", _contact_data, (404, 302, 302, 403)),
    ("contact-read", "contact_update", lambda w: [w.md_contact.pk], "get", None, (404, 200, 200, 403)),
    ("contact-change", "contact_update", lambda w: [w.md_contact.pk], "post", _contact_data, (404, 302, 302, 403)),
    ("contact-delete", "contact_delete", lambda w: [w.md_contact.pk], "post", lambda w: {}, (404, 302, 302, 403)),
    ("endpoint-create", "endpoint_create", lambda w: [w.md.pk], "post", _endpoint_data, (404, 302, 302, 403)),
    ("endpoint-read", "endpoint_update", lambda w: [w.md_endpoint.pk], "get", None, (404, 200, 200, 403)),
    ("endpoint-change", "endpoint_update", lambda w: [w.md_endpoint.pk], "post", _endpoint_data, (404, 302, 302, 403)),
    ("endpoint-delete", "endpoint_delete", lambda w: [w.md_endpoint.pk], "post", lambda w: {}, (404, 302, 302, 403)),
    ("installation-list", "installation_list", lambda w: [], "get", None, (200, 200, 200, 200)),
    ("installation-read", "installation_detail", lambda w: [w.installation.pk], "get", None, (200, 200, 200, 200)),
    (
        "installation-change",
        "installation_update",
        lambda w: [w.installation.pk],
        "post",
        _installation_data,
        (403, 403, 302, 403),
    ),
    ("user-list", "user_list", lambda w: [], "get", None, (200, 200, 200, 403)),
    ("user-read", "user_detail", lambda w: [w.md_staff.pk], "get", None, (404, 200, 200, 200)),
    ("user-change", "user_update", lambda w: [w.md_staff.pk], "post", _user_data, (404, 302, 302, 403)),
    ("user-unlock", "user_unlock", lambda w: [w.md_staff.pk], "post", lambda w: {}, (404, 302, 302, 403)),
    ("user-reset-mfa", "user_reset_mfa", lambda w: [w.md_staff.pk], "post", lambda w: {}, (404, 302, 302, 403)),
    (
        "membership-revoke",
        "membership_revoke",
        lambda w: [w.md_membership.pk],
        "post",
        lambda w: {},
        (404, 302, 302, 403),
    ),
    ("accesslog-list", "accesslog_list", lambda w: [], "get", None, (403, 403, 200, 403)),
]


def _ui_cases():
    for case_id, url_name, args, method, data, expected in UI_TABLE:
        yield pytest.param(url_name, args, method, data, ANON, 302, id=f"{case_id}-{ANON}")
        for actor, status in zip(ORDER, expected, strict=True):
            yield pytest.param(url_name, args, method, data, actor, status, id=f"{case_id}-{actor}")


@pytest.mark.parametrize(("url_name", "args", "method", "data", "actor", "status"), list(_ui_cases()))
def test_ui_permission_table(client, md, url_name, args, method, data, actor, status):
    if actor != ANON:
        client.force_login(getattr(md, ACTORS[actor]))
    url = reverse(url_name, args=args(md))
    response = getattr(client, method)(url, data(md) if data else None)
    assert response.status_code == status, getattr(response, "content", b"")[:2000]
    if actor == ANON:
        assert reverse("account_login") in response["Location"]


def test_agency_admin_lists_only_own_agency(client, world):
    client.force_login(world.va_admin)
    response = client.get(reverse("agency_list"))
    assert [a.pk for a in response.context["table"].data] == [world.va.pk]
    client.force_login(world.sysadmin)
    response = client.get(reverse("agency_list"), {"kind": AgencyKind.NSOTC})
    assert [a.code for a in response.context["table"].data] == ["NSOTC"]
    response = client.get(reverse("agency_list"), {"q": "maryl"})
    assert [a.code for a in response.context["table"].data] == ["MD"]


def test_detail_page_shows_contacts_endpoints_and_never_the_secret(client, md):
    client.force_login(md.md_admin)
    response = client.get(reverse("agency_detail", args=[md.md.pk]))
    body = response.content.decode()
    assert "MD duty desk" in body
    assert "alerts@md.example.test" in body
    assert md.md_endpoint.secret not in body
    assert 'class="usa-table' in body


def test_contact_service_error_names_the_field(client, world):
    client.force_login(world.va_admin)
    response = client.post(reverse("contact_create", args=[world.va.pk]), {"name": "Nobody"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not AgencyContact.objects.filter(name="Nobody").exists()


def test_duplicate_endpoint_is_a_form_error(client, md):
    client.force_login(md.md_admin)
    response = client.post(
        reverse("endpoint_create", args=[md.md.pk]), {"kind": "email", "address": "alerts@md.example.test"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert AgencyEndpoint.objects.filter(agency=md.md).count() == 1


def test_system_admin_creates_agency(client, world):
    client.force_login(world.sysadmin)
    data = {
        "code": "DE",
        "name": "Delaware SBI",
        "kind": AgencyKind.STATE_SORA,
        "jurisdiction_type": "state",
        "jurisdiction": "DE",
        "ori": "DE0000000",
        "active": "on",
    }
    response = client.post(reverse("agency_create"), data)
    assert response.status_code == 302
    assert Agency.objects.get(code="DE").group is not None


def test_agency_admin_creates_user_in_own_agency_only(client, world):
    client.force_login(world.va_admin)
    data = {
        "username": "newbie",
        "first_name": "New",
        "last_name": "Bie",
        "email": "n@example.test",
        "password": "another-long-passphrase-77",
        "agency": world.va.pk,
        "role": Role.SORA_STAFF,
    }
    assert client.post(reverse("user_create"), data).status_code == 302
    assert Membership.objects.filter(user__username="newbie", agency=world.va, role=Role.SORA_STAFF).exists()
    # another agency, or the system administrator role, is not offered
    bad = {**data, "username": "newbie2", "agency": world.md.pk}
    response = client.post(reverse("user_create"), bad)
    assert response.status_code == 200 and "agency" in response.context["form"].errors
    bad = {**data, "username": "newbie3", "role": Role.SYSTEM_ADMIN}
    response = client.post(reverse("user_create"), bad)
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert not User.objects.filter(username__in=["newbie2", "newbie3"]).exists()


def test_weak_password_is_a_password_field_error(client, world):
    client.force_login(world.sysadmin)
    data = {"username": "weak", "password": "123", "agency": world.va.pk, "role": Role.SORA_STAFF}
    response = client.post(reverse("user_create"), data)
    assert response.status_code == 200
    assert "password" in response.context["form"].errors


def test_membership_grant_and_unlock(client, world):
    from django.utils import timezone

    client.force_login(world.va_admin)
    response = client.post(
        reverse("membership_grant", args=[world.va_staff.pk]), {"agency": world.va.pk, "role": Role.AUDITOR}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=world.va_staff, role=Role.AUDITOR).exists()
    User.objects.filter(pk=world.va_staff.pk).update(locked_at=timezone.now(), locked_reason="too many failures")
    assert client.post(reverse("user_unlock", args=[world.va_staff.pk])).status_code == 302
    world.va_staff.refresh_from_db()
    assert not world.va_staff.is_locked
    assert AccessLog.objects.filter(action=AccessAction.UNLOCKED, object_id=str(world.va_staff.pk)).exists()


def test_user_detail_and_list_write_the_access_log(client, md):
    client.force_login(md.md_admin)
    client.get(reverse("user_detail", args=[md.md_staff.pk]))
    row = AccessLog.objects.filter(action=AccessAction.VIEW, object_type="rsoits.user").latest("id")
    assert (row.user, row.object_id, row.agency_code) == (md.md_admin, str(md.md_staff.pk), "MD")
    client.get(reverse("user_list"))
    row = AccessLog.objects.filter(action=AccessAction.LIST, object_type="rsoits.user").latest("id")
    assert row.user == md.md_admin
    assert row.count == User.objects.visible_to(md.md_admin).count()
    client.force_login(md.va_admin)
    assert client.get(reverse("user_detail", args=[md.md_staff.pk])).status_code == 404
    assert AccessLog.objects.filter(action=AccessAction.DENIED, user=md.va_admin, object_type="rsoits.user").exists()


def test_access_log_filters_and_has_no_write_screens(client, world):
    from django.urls import NoReverseMatch

    client.force_login(world.sysadmin)
    client.get(reverse("user_detail", args=[world.va_staff.pk]))
    response = client.get(reverse("accesslog_list"), {"action": AccessAction.VIEW, "user": "sysadmin"})
    rows = list(response.context["table"].data)
    assert rows and all(r.action == AccessAction.VIEW and r.username == "sysadmin" for r in rows)
    # the date range with the browser's date pickers (ISO dates), and times as the other pages show them
    today = rows[0].at.date().isoformat()
    response = client.get(reverse("accesslog_list"), {"date_after": today, "date_before": today, "user": "sysadmin"})
    body = response.content.decode()
    assert 'type="date" name="date_after"' in body and 'type="date" name="date_before"' in body
    table = response.context["table"]
    assert rows[0].pk in {row.pk for row in table.data}
    # the page's own first row (whatever else the database holds), to the second
    shown = table.page.object_list[0].record
    assert f">{shown.at:%Y-%m-%d %H:%M:%S}</td>" in body
    for name in ("accesslog_update", "accesslog_delete", "accesslog_create"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1])


def _grow(world, n):
    """n agencies, each with a contact, an endpoint and a member."""
    for i in range(n):
        agency = AgencyFactory(code=f"QC{i:03d}")
        ContactFactory(agency=agency)
        EndpointFactory(agency=agency)
        InstallationFactory()
        member(agency, Role.SORA_STAFF, username=f"qc_user{i}")
        Membership.objects.create(user=UserFactory(username=f"qc_extra{i}"), agency=world.operator, role=Role.AUDITOR)


@pytest.mark.parametrize("n", [3, 20])
@pytest.mark.parametrize("url_name", ["agency_list", "user_list", "installation_list", "accesslog_list"])
def test_list_query_count_is_bounded(client, world, django_assert_max_num_queries, n, url_name):
    _grow(world, n)
    client.force_login(world.sysadmin)
    for _ in range(n):
        client.get(reverse("user_detail", args=[world.va_staff.pk]))  # access-log rows
    with django_assert_max_num_queries(15):
        assert client.get(reverse(url_name)).status_code == 200
