"""Notification API: the caller's inbox and acknowledge, routing rules for system admins, a
registrant's disclosures — scoped, access-logged, query counts asserted."""

import pytest
from rest_framework.test import APIClient

from notifications.choices import Channel, EventType
from notifications.models import Notification, RoutingRule
from notifications.services import publish_event
from rsoits.models import AccessLog

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def publish(registrant, n=1):
    for _ in range(n):
        publish_event(event_type=EventType.PASSPORT_APPLICATION, registrant=registrant, actor=None)


def test_anonymous_is_refused(world, rules, registrant):
    publish(registrant)
    pk = Notification.objects.filter(agency=world.va).first().pk
    for method, url in (
        ("get", "/api/v1/notifications/"),
        ("get", f"/api/v1/notifications/{pk}/"),
        ("post", f"/api/v1/notifications/{pk}/acknowledge/"),
        ("get", "/api/v1/routing-rules/"),
        ("post", "/api/v1/routing-rules/"),
        ("get", f"/api/v1/registrants/{registrant.pk}/disclosures/"),
    ):
        assert getattr(api(), method)(url).status_code in (401, 403), url
    assert not Notification.objects.filter(acknowledged_at__isnull=False).exists()


def test_inbox_is_scoped_and_logged(world, rules, registrant, django_assert_max_num_queries):
    publish(registrant, 2)
    with django_assert_max_num_queries(10) as small:
        body = api(world.va_staff).get("/api/v1/notifications/").json()
    assert [r["agency"] for r in body["results"]] == ["VA", "VA"]
    assert "Perez" not in str(body)  # minimum necessary: no personal data in the inbox item
    publish(registrant, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api(world.va_staff).get("/api/v1/notifications/").json()
    assert len(body["results"]) == 22
    assert api(world.md_staff).get("/api/v1/notifications/").json()["results"] == []
    assert AccessLog.objects.filter(user=world.va_staff, action="list", count=22).exists()
    assert api(world.va_staff).get("/api/v1/notifications/unread/").json() == {"total": 22, "by_agency": {"VA": 22}}


def test_other_agency_gets_404_and_cannot_acknowledge(world, rules, registrant):
    publish(registrant)
    row = Notification.objects.get(agency=world.va, channel=Channel.INBOX)
    other = api(world.md_staff)
    assert other.get(f"/api/v1/notifications/{row.pk}/").status_code == 404
    assert other.post(f"/api/v1/notifications/{row.pk}/acknowledge/").status_code == 404
    row.refresh_from_db()
    assert row.acknowledged_at is None


def test_acknowledge_action(world, rules, registrant):
    publish(registrant)
    row = Notification.objects.get(agency=world.va, channel=Channel.INBOX)
    client = api(world.va_staff)
    response = client.post(f"/api/v1/notifications/{row.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "va_staff"
    assert row.history.order_by("-history_id").first().history_user == world.va_staff
    again = client.post(f"/api/v1/notifications/{row.pk}/acknowledge/")
    assert again.status_code == 400
    assert "acknowledged_at" in again.json() or "already acknowledged" in str(again.json())


def test_routing_rules_for_system_admin(world, rules, django_assert_max_num_queries):
    assert api(world.va_admin).get("/api/v1/routing-rules/").status_code == 403
    admin = api(world.sysadmin)
    with django_assert_max_num_queries(10):
        body = admin.get("/api/v1/routing-rules/?event_type=esta&fugitive=true").json()
    assert {r["recipient_role"] for r in body["results"]} == {"warrant_agency", "nsotc", "usncb"}
    rule = RoutingRule.objects.get(event_type="esta", fugitive=True, recipient_role="usncb")
    response = admin.patch(f"/api/v1/routing-rules/{rule.pk}/", {"priority": "urgent"}, format="json")
    assert response.status_code == 200, response.json()
    rule.refresh_from_db()
    assert rule.priority == "urgent"
    assert rule.history.order_by("-history_id").first().history_user == world.sysadmin
    bad = admin.patch(f"/api/v1/routing-rules/{rule.pk}/", {"channels": ["email"]}, format="json")
    assert bad.status_code == 400 and "channels" in bad.json()
    created = admin.post(
        "/api/v1/routing-rules/",
        {"event_type": "esta", "fugitive": True, "recipient_role": "mepcom", "channels": ["inbox"], "priority": "high"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    duplicate = admin.post(
        "/api/v1/routing-rules/",
        {"event_type": "esta", "fugitive": True, "recipient_role": "mepcom", "channels": ["inbox"]},
        format="json",
    )
    assert duplicate.status_code == 400
    assert api(world.va_admin).patch(f"/api/v1/routing-rules/{rule.pk}/", {"priority": "routine"}).status_code == 403
    assert admin.delete(f"/api/v1/routing-rules/{rule.pk}/").status_code == 405  # deactivate instead


def test_disclosures_api_scoped(world, rules, registrant, django_assert_max_num_queries):
    publish(registrant, 2)
    url = f"/api/v1/registrants/{registrant.pk}/disclosures/"
    assert api(world.md_staff).get(url).status_code == 404
    with django_assert_max_num_queries(12) as small:
        body = api(world.va_staff).get(url).json()
    assert body["count"] == 4
    assert {r["recipient_agency"] for r in body["results"]} == {"VA", "NSOTC"}
    publish(registrant, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api(world.analyst).get(url).json()["count"] == 24  # NSOTC sees every registrant
    assert AccessLog.objects.filter(user=world.analyst, action="list", object_id=str(registrant.pk)).exists()
