"""Every change through the screens and the API leaves a history row naming the acting user,
and detail pages show those rows to whoever may see the record."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from rsoits.audit import history_rows
from rsoits.choices import Role
from rsoits.models import AgencyContact, AgencyEndpoint, Installation, Membership, User
from tests.factories import ContactFactory, EndpointFactory

pytestmark = pytest.mark.django_db


def _ui(client, actor, url_name, args, data):
    client.force_login(actor)
    response = client.post(reverse(url_name, args=args), data)
    assert response.status_code == 302, response.content[:2000]


def _api(actor, method, url, data):
    client = APIClient()
    client.force_authenticate(actor)
    response = getattr(client, method)(url, data, format="json")
    assert response.status_code in (200, 201, 204), response.content[:1000]


# (id, actor, make the record, perform the change through UI or API, the model whose history to read)
CHANGES = [
    (
        "contact-ui",
        "md_admin",
        lambda w: ContactFactory(agency=w.md),
        lambda w, c, obj, actor: _ui(c, actor, "contact_update", [obj.pk], {"name": "Changed", "phone": "1"}),
        AgencyContact,
    ),
    (
        "contact-api",
        "md_admin",
        lambda w: ContactFactory(agency=w.md),
        lambda w, c, obj, actor: _api(actor, "patch", f"/api/v1/agency-contacts/{obj.pk}/", {"name": "Changed"}),
        AgencyContact,
    ),
    (
        "endpoint-ui",
        "sysadmin",
        lambda w: EndpointFactory(agency=w.md),
        lambda w, c, obj, actor: _ui(
            c, actor, "endpoint_update", [obj.pk], {"kind": "email", "address": "b@example.test", "active": "on"}
        ),
        AgencyEndpoint,
    ),
    (
        "endpoint-api",
        "md_admin",
        lambda w: EndpointFactory(agency=w.md),
        lambda w, c, obj, actor: _api(actor, "patch", f"/api/v1/agency-endpoints/{obj.pk}/", {"secure": True}),
        AgencyEndpoint,
    ),
    (
        "user-ui",
        "md_admin",
        lambda w: w.md_staff,
        lambda w, c, obj, actor: _ui(
            c, actor, "user_update", [obj.pk], {"first_name": "Changed", "email": "c@example.test", "is_active": "on"}
        ),
        User,
    ),
    (
        "user-api",
        "sysadmin",
        lambda w: w.md_staff,
        lambda w, c, obj, actor: _api(actor, "patch", f"/api/v1/users/{obj.pk}/", {"title": "Changed"}),
        User,
    ),
    (
        "installation-ui",
        "sysadmin",
        lambda w: w.installation,
        lambda w, c, obj, actor: _ui(
            c,
            actor,
            "installation_update",
            [obj.pk],
            {"code": obj.code, "name": "Changed", "component": obj.component, "country": "US", "lea": obj.lea_id},
        ),
        Installation,
    ),
    (
        "installation-api",
        "sysadmin",
        lambda w: w.installation,
        lambda w, c, obj, actor: _api(actor, "patch", f"/api/v1/installations/{obj.pk}/", {"city": "Changed"}),
        Installation,
    ),
    (
        "agency-ui",
        "sysadmin",
        lambda w: w.md,
        lambda w, c, obj, actor: _ui(
            c,
            actor,
            "agency_update",
            [obj.pk],
            {
                "code": "MD",
                "name": "Changed",
                "kind": obj.kind,
                "jurisdiction_type": obj.jurisdiction_type,
                "jurisdiction": "MD",
                "ori": obj.ori,
                "active": "on",
            },
        ),
        None,
    ),
    (
        "agency-api",
        "sysadmin",
        lambda w: w.md,
        lambda w, c, obj, actor: _api(actor, "patch", f"/api/v1/agencies/{obj.pk}/", {"name": "Changed"}),
        None,
    ),
]


@pytest.mark.parametrize(("actor_name", "make", "change", "model"), [pytest.param(*c[1:], id=c[0]) for c in CHANGES])
def test_change_leaves_history_naming_the_actor(client, world, actor_name, make, change, model):
    actor = getattr(world, actor_name)
    obj = make(world)
    change(world, client, obj, actor)
    latest = type(obj).history.filter(id=obj.pk).latest("history_date")
    assert latest.history_type == "~"
    assert latest.history_user == actor


def test_grant_and_revoke_through_api_leave_history(world):
    client = APIClient()
    client.force_authenticate(world.md_admin)
    response = client.post(
        "/api/v1/memberships/", {"user": world.md_staff.pk, "agency": world.md.pk, "role": Role.AUDITOR}, format="json"
    )
    assert response.status_code == 201
    membership = Membership.objects.get(pk=response.json()["id"])
    assert membership.history.latest("history_date").history_user == world.md_admin
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    deleted = Membership.history.filter(id=membership.pk, history_type="-").get()
    assert deleted.history_user == world.md_admin


def test_contact_delete_through_ui_leaves_history(client, world):
    contact = ContactFactory(agency=world.va)
    _ui(client, world.va_admin, "contact_delete", [contact.pk], {})
    deleted = AgencyContact.history.filter(id=contact.pk, history_type="-").get()
    assert deleted.history_user == world.va_admin


def test_detail_pages_show_history_with_changed_fields(client, world):
    _ui(client, world.va_admin, "user_update", [world.va_staff.pk], {"first_name": "Renamed", "is_active": "on"})
    response = client.get(reverse("user_detail", args=[world.va_staff.pk]))
    history = response.context["history"]
    assert history[0]["who"] == world.va_admin
    assert any(c.startswith("first name:") for c in history[0]["changes"])  # (the field's verbose name)
    body = response.content.decode()
    assert 'data-testid="history"' in body and "va_admin" in body and "Renamed" in body

    _ui(
        client,
        world.sysadmin,
        "agency_update",
        [world.va.pk],
        {
            "code": "VA",
            "name": "Virginia SOR",
            "kind": world.va.kind,
            "jurisdiction_type": world.va.jurisdiction_type,
            "jurisdiction": "VA",
            "ori": "VA0000000",
            "active": "on",
        },
    )
    client.force_login(world.va_admin)  # an admin of the agency sees its history too
    history = client.get(reverse("agency_detail", args=[world.va.pk])).context["history"]
    assert history[0]["who"] == world.sysadmin
    assert any(c.startswith("name:") for c in history[0]["changes"])


def test_history_reads_as_words_not_stored_values(client, world, django_assert_num_queries):
    """A changed choice shows its label, a user their user name (all of them in one query), a
    flag yes or no, nothing "—"; another related record only its number (the reader may not be
    allowed to see it)."""
    from cases import services
    from tests.cases.test_dashboard import notice

    case = notice(world, days=30).cases.get()
    services.case_assign(actor=world.supervisor, case=case, assignee=world.analyst)
    case.refresh_from_db()
    rows = history_rows(case)
    changes = rows[0]["changes"]
    assert "assignee: — → analyst" in changes, changes
    assert not any("None" in c for row in rows for c in row["changes"])
    with django_assert_num_queries(2):  # the history, and its users
        history_rows(case)


def test_registry_history_tables_index_only_what_the_trail_is_read_by():
    """A registry history table indexes (id, history_date) for one record's trail, the acting
    user and the parent registrant, not the copies of the model's own indexes."""
    from registrants.models import Identifier, Registrant, RegistrantName

    for model, indexed in ((Registrant, {"history_user"}), (RegistrantName, {"history_user", "registrant"})):
        history = model.history.model
        assert {f.name for f in history._meta.concrete_fields if f.db_index} == indexed
        assert [tuple(index.fields) for index in history._meta.indexes] == [("id", "history_date")]
    # The model keeps its own indexes: the number is found through the unique index.
    assert [tuple(c.fields) for c in Identifier._meta.constraints] == [("norm_value", "kind")]
    # Models outside the registry keep simple-history's default indexes.
    assert Membership.history.model._meta.get_field("history_date").db_index


def test_history_manager_class_is_built_once_per_model(world):
    """Writing a history row reads ``instance.history``: its manager class is built once per
    model, not on each access, and it still reads the record's own trail."""
    from django.apps import apps
    from simple_history.manager import HistoryManager

    contact = ContactFactory(agency=world.md)
    first, second = contact.history, AgencyContact.history
    assert type(first) is type(second)
    assert isinstance(first, HistoryManager)
    assert first.instance == contact and second.instance is None
    assert [row.history_type for row in contact.history.all()] == ["+"]
    contact.name = "Renamed"
    contact.save()
    assert contact.history.order_by("-history_date").first().name == "Renamed"
    # Every audited model has the descriptor.
    tracked = [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]
    assert tracked
    assert all(type(m.history) is type(m.history) for m in tracked)


def test_the_hit_paths_history_tables_index_only_what_the_trail_is_read_by():
    """Each automatic match writes a history row for the hit, its decision, its case and its
    notifications: those tables index (id, history_date) and the acting user only; the hit
    table has no LIKE twin of an index no query reads by prefix."""
    from cases.models import Case, Hit, HitDecision
    from notifications.models import Notification

    for model in (Hit, HitDecision, Case, Notification):
        history = model.history.model
        assert {f.name for f in history._meta.concrete_fields if f.db_index} == {"history_user"}, model
        assert [tuple(index.fields) for index in history._meta.indexes] == [("id", "history_date")]
    assert not [f.name for f in Hit._meta.concrete_fields if f.db_index and f.get_internal_type() == "CharField"]
    assert {tuple(index.fields) for index in Hit._meta.indexes} >= {
        ("status", "received_at"), ("event_type",), ("decision",), ("passport_norm",), ("visa_norm",), ("alien_norm",)
    }  # fmt: skip
