"""Notification pages: inbox scoping and badge, detail and acknowledge, outbox, routing matrix
editor with history, routing preview, accounting of disclosures (page and CSV)."""

import pytest

from notifications.choices import Channel, EventType
from notifications.models import Notification, RoutingRule
from notifications.services import publish_event
from rsoits.choices import Role
from rsoits.models import AccessLog
from tests.factories import member
from tests.notifications.conftest import endpoint, make_registrant

pytestmark = pytest.mark.django_db


def publish(registrant, n=1, event_type=EventType.PASSPORT_APPLICATION, **kwargs):
    for _ in range(n):
        publish_event(event_type=event_type, registrant=registrant, actor=None, **kwargs)


def va_inbox(world):
    return Notification.objects.get(agency=world.va, channel=Channel.INBOX)


def test_anonymous_is_sent_to_sign_in(client, world, rules, registrant):
    publish(registrant)
    pk = va_inbox(world).pk
    urls = [
        "/notifications/", f"/notifications/{pk}/", "/notifications/outbox/", "/notifications/routing/",
        "/notifications/routing/preview/", "/notifications/routing/esta/fugitive/",
        f"/notifications/registrants/{registrant.pk}/disclosures/",
        f"/notifications/registrants/{registrant.pk}/disclosures.csv",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for url in (f"/notifications/{pk}/acknowledge/", f"/notifications/{pk}/retry/"):
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert not Notification.objects.filter(acknowledged_at__isnull=False).exists()


def test_inbox_shows_only_own_agency_with_unread_badge_and_is_logged(client, world, rules, registrant):
    publish(registrant, 2)
    client.force_login(world.va_staff)
    response = client.get("/notifications/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("[RSOITS] Passport application") == 2
    assert 'data-testid="inbox-unread">2<' in body
    assert AccessLog.objects.filter(
        user=world.va_staff, action="list", object_type="notifications.notification"
    ).exists()
    client.force_login(world.md_staff)
    body = client.get("/notifications/").content.decode()
    assert "[RSOITS] Passport application" not in body
    assert "inbox-unread" not in body


def test_detail_other_agency_404_own_agency_200_and_logged(client, world, rules, registrant):
    publish(registrant)
    row = va_inbox(world)
    client.force_login(world.md_staff)
    assert client.get(f"/notifications/{row.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=world.md_staff, action="denied", object_id=str(row.pk)).exists()
    assert client.post(f"/notifications/{row.pk}/acknowledge/").status_code == 404
    client.force_login(world.va_staff)
    body = client.get(f"/notifications/{row.pk}/").content.decode()
    assert "Open the registrant" in body and 'data-testid="acknowledge"' in body
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_id=str(row.pk)).exists()


def test_acknowledge_writes_history_and_refuses_twice(client, world, rules, registrant):
    publish(registrant)
    row = va_inbox(world)
    client.force_login(world.va_staff)
    assert client.post(f"/notifications/{row.pk}/acknowledge/").status_code == 302
    row.refresh_from_db()
    assert row.acknowledged_by == world.va_staff
    latest = row.history.order_by("-history_id").first()
    assert latest.history_user == world.va_staff and latest.acknowledged_at is not None
    response = client.post(f"/notifications/{row.pk}/acknowledge/", follow=True)
    assert "already acknowledged" in response.content.decode()
    assert row.history.count() == 2  # nothing written the second time


def test_supervisor_audience_is_hidden_from_staff(client, world, rules, registrant):
    supervisor = member(world.va, Role.SORA_SUPERVISOR, username="va_supervisor")
    publish(registrant, event_type=EventType.NOTIFICATION_UNACKNOWLEDGED, context={"agency_id": world.va.pk})
    row = Notification.objects.get(agency=world.va, channel=Channel.INBOX)
    client.force_login(world.va_staff)
    assert client.get(f"/notifications/{row.pk}/").status_code == 404
    client.force_login(supervisor)
    assert client.get(f"/notifications/{row.pk}/").status_code == 200


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_inbox_query_count_is_constant(client, world, rules, registrant, django_assert_max_num_queries):
    publish(registrant, 2)
    client.force_login(world.va_staff)
    client.get("/notifications/")
    with django_assert_max_num_queries(25) as small:
        client.get("/notifications/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    publish(registrant, 20)
    client.get("/notifications/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/notifications/")


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_inbox_badge_is_counted_once_and_again_after_each_change(client, world, rules, registrant):
    """The badge's count comes from the cache until the agency's inbox changes: a new
    notification or an acknowledgement counts again; another agency's inbox does not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def badge():
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/registrants/").content.decode()
        counted = any("COUNT(*)" in q["sql"] and "notifications_notification" in q["sql"] for q in ctx.captured_queries)
        found = body.split('data-testid="inbox-unread">', 1)
        return (int(found[1].split("<", 1)[0]) if len(found) == 2 else 0), counted

    publish(registrant, 2)
    client.force_login(world.va_staff)
    assert badge() == (2, True)
    assert badge() == (2, False)  # from the cache
    publish(make_registrant(world, external_id="R-MD", registering_agency=world.md), 1)
    assert badge() == (2, False)  # Maryland's inbox changed, not Virginia's
    publish(registrant, 1)
    assert badge() == (3, True)
    row = Notification.objects.filter(agency=world.va, channel=Channel.INBOX).first()
    client.post(f"/notifications/{row.pk}/acknowledge/")
    assert badge() == (2, True)
    client.force_login(world.md_staff)
    assert badge()[0] == 1


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_a_counted_badge_costs_one_cache_read_and_no_query(world, rules, registrant, django_assert_num_queries):
    from django.core.cache import cache

    from notifications.badge import inbox_unread_count

    publish(registrant, 2)
    assert inbox_unread_count(world.va_staff) == 2  # counted, and kept
    reads, depth = [], []
    for name in ("get", "get_many"):
        original = getattr(cache, name)

        def counting(keys, *args, _original=original, _name=name, **kwargs):
            # (the principal's own reads are not the badge's; a get_many made of gets, as the
            # local-memory backend's is, is one read)
            if not depth and any(k.startswith("notifications:") for k in ([keys] if isinstance(keys, str) else keys)):
                reads.append(_name)
            depth.append(1)
            try:
                return _original(keys, *args, **kwargs)
            finally:
                depth.pop()

        setattr(cache, name, counting)
    try:
        with django_assert_num_queries(0):
            assert inbox_unread_count(world.va_staff) == 2
    finally:
        for name in ("get", "get_many"):
            delattr(cache, name)
    assert reads == ["get_many"]


def test_outbox_for_system_admin_only(client, world, rules, registrant, django_assert_max_num_queries):
    endpoint(world.va)
    publish(registrant, 3)
    client.force_login(world.va_staff)
    assert client.get("/notifications/outbox/").status_code == 403
    client.force_login(world.sysadmin)
    with django_assert_max_num_queries(25):
        body = client.get("/notifications/outbox/").content.decode()
    assert "desk@va.example.test" in body


def test_matrix_lists_rules_and_only_system_admin_sees_it(client, world, rules):
    client.force_login(world.va_admin)
    assert client.get("/notifications/routing/").status_code == 403
    client.force_login(world.sysadmin)
    body = client.get("/notifications/routing/").content.decode()
    assert "Warrant-issuing agency" in body and "ESTA / VWP authorisation" in body
    assert "/notifications/routing/esta/non-fugitive/" in body


def _cell_post(rule_rows):
    data = {}
    from notifications.choices import RecipientRole

    for role in RecipientRole.values:
        data[f"{role}__priority"] = "routine"
    for role, (channels, priority) in rule_rows.items():
        data[f"{role}__active"] = "on"
        data[f"{role}__channels"] = channels
        data[f"{role}__priority"] = priority
    return data


def test_matrix_edit_versions_every_change(client, world, rules):
    client.force_login(world.sysadmin)
    url = "/notifications/routing/esta/fugitive/"
    assert client.get(url).status_code == 200
    data = _cell_post(
        {
            "warrant_agency": (["inbox", "email"], "urgent"),
            "nsotc": (["inbox", "email", "webhook"], "high"),
            "ngb_pm": (["inbox"], "routine"),
        }
    )  # USNCB dropped, NGB added, warrant agency changed
    response = client.post(url, data)
    assert response.status_code == 302
    cell = {r.recipient_role: r for r in RoutingRule.objects.filter(event_type="esta", fugitive=True)}
    assert cell["usncb"].active is False
    assert (cell["warrant_agency"].priority, cell["warrant_agency"].channels) == ("urgent", ["inbox", "email"])
    assert cell["ngb_pm"].active
    latest = cell["warrant_agency"].history.order_by("-history_id").first()
    assert latest.history_user == world.sysadmin
    assert cell["nsotc"].history.count() == 1  # unchanged: no new version
    body = client.get(url).content.decode()
    assert "sysadmin" in body  # the history table on the editor


def test_matrix_edit_bad_input_names_the_field_and_writes_nothing(client, world, rules):
    client.force_login(world.sysadmin)
    before = list(RoutingRule.objects.filter(event_type="esta", fugitive=True).values("recipient_role", "channels"))
    data = _cell_post({"warrant_agency": (["email"], "urgent"), "nsotc": (["inbox"], "high")})
    response = client.post("/notifications/routing/esta/fugitive/", data)
    assert response.status_code == 400
    assert "The in-app inbox is always one of the channels." in response.content.decode()
    after = list(RoutingRule.objects.filter(event_type="esta", fugitive=True).values("recipient_role", "channels"))
    assert after == before
    client.force_login(world.va_admin)
    assert client.post("/notifications/routing/esta/fugitive/", data).status_code == 403


def test_routing_preview_explains_who_and_why(client, world, rules):
    person = make_registrant(world, external_id="P-1", fugitive=True)
    url = f"/notifications/routing/preview/?event_type=visa_application&registrant={person.pk}"
    client.force_login(world.va_staff)
    assert client.get(url).status_code == 403
    client.force_login(world.sysadmin)
    body = client.get(url).content.decode()
    assert "fugitive (active warrant)" in body
    assert "Issued active warrant W-P-1" in body and "USNCB" in body
    assert "Perez" not in body  # the admin sees the routing, not the record
    assert AccessLog.objects.filter(user=world.sysadmin, action="view", object_id=str(person.pk)).exists()
    client.force_login(world.analyst)
    assert client.get(url).status_code == 200
    response = client.get("/notifications/routing/preview/?event_type=esta&registrant=999999&countries=F1")
    assert response.status_code == 400 and "Not ISO 3166 alpha-2 codes: F1" in response.content.decode()


def test_disclosures_listed_and_exported_by_those_entitled(
    client, world, rules, registrant, django_assert_max_num_queries
):
    publish(registrant, 2)
    url = f"/notifications/registrants/{registrant.pk}/disclosures/"
    client.force_login(world.md_staff)
    assert client.get(url).status_code == 404
    assert client.get(url.rstrip("/") + ".csv").status_code == 404
    client.force_login(world.va_staff)
    with django_assert_max_num_queries(25):
        body = client.get(url).content.decode()
    assert "USMS NSOTC" in body and "Passport application: notice" in body
    csv = client.get(url.rstrip("/") + ".csv").content.decode().strip().splitlines()
    assert csv[0].startswith("date,nature_and_purpose,recipient")
    assert len(csv) == 5  # 2 events x (VA, NSOTC)
    assert AccessLog.objects.filter(user=world.va_staff, action="export", count=4).exists()
    # the registrant's timeline shows them
    body = client.get(f"/registrants/{registrant.pk}/").content.decode()
    assert "Passport application: told USMS NSOTC" in body


# (each change commits, as in service)
@pytest.mark.django_db(transaction=True)
def test_an_inbox_change_moves_every_agency_version_in_one_cache_write(world, rules, registrant):
    """Publishing to several inboxes moves each agency's version with one write now and one on
    commit (not an increment per agency each time), and each move gives a version never seen;
    within one transaction, the changes after the first are moved by its commit."""
    from unittest import mock

    from django.core.cache import cache
    from django.db import transaction

    from notifications.badge import _version_key, inbox_changed

    writes: list[dict] = []
    original = cache.set_many

    def recording(data, *args, **kwargs):
        writes.append(sorted(data))
        return original(data, *args, **kwargs)

    agencies = [world.va.pk, world.md.pk, world.nsotc.pk]
    every, first_only = sorted(_version_key(a) for a in agencies), [_version_key(agencies[0])]
    with mock.patch.object(cache, "set_many", recording), mock.patch.object(cache, "incr") as incr:
        inbox_changed(agencies)  # (outside a transaction: committed at once)
        first = cache.get_many([_version_key(a) for a in agencies])
        inbox_changed(agencies[:1])
        assert writes == [every, every, first_only, first_only]
        writes.clear()
        with transaction.atomic():
            inbox_changed(agencies)
            inbox_changed(agencies)
            assert writes == [every]
        assert writes == [every, every]
    assert not incr.called
    assert cache.get(_version_key(agencies[0])) != first[_version_key(agencies[0])]
    assert cache.get(_version_key(agencies[1])) != first[_version_key(agencies[1])]


class RolledBack(Exception):
    pass


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_a_badge_counted_in_a_transaction_rolled_back_is_not_served(world, rules, registrant):
    """The count taken after publishing, inside the transaction that then rolls back, is not
    kept: the next page counts what committed (and keeps that)."""
    from django.db import transaction

    from notifications.badge import inbox_unread_count

    publish(registrant, 2)
    assert inbox_unread_count(world.va_staff) == 2
    seen = []

    def publish_then_fail():
        with transaction.atomic():
            publish(registrant, 3)
            seen.append(inbox_unread_count(world.va_staff))  # the transaction's own view
            raise RolledBack

    with pytest.raises(RolledBack):
        publish_then_fail()
    assert seen == [5]
    assert inbox_unread_count(world.va_staff) == 2
