"""The routing configuration kept per process: the rules, the national agencies and the
endpoints are read once per generation, and any change to them (a rule, an agency, an endpoint,
the default rules installed) is routed by at once, in every process; a change rolled back
leaves nothing of itself behind."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.choices import Channel, EventType
from notifications.defaults import install_default_rules
from notifications.models import RoutingRule
from notifications.routing import plan_routing
from tests.notifications.conftest import endpoint, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)

CONFIGURATION_TABLES = ('"notifications_routingrule"', '"rsoits_agencyendpoint"', '"rsoits_agency"')


def plan(registrant):
    """(inbox recipients, email addresses, statements on the configuration tables)"""
    with CaptureQueriesContext(connection) as ctx:
        result = plan_routing(event_type=EventType.PORT_DEPARTURE, registrant=registrant, context={})
    inbox = {d.agency.code for d in result.deliveries if d.channel == Channel.INBOX}
    emails = {d.address for d in result.deliveries if d.channel == Channel.EMAIL}
    read = [
        q["sql"] for q in ctx.captured_queries if any(t in q["sql"].split(" WHERE")[0] for t in CONFIGURATION_TABLES)
    ]
    return inbox, emails, read


@pytest.fixture
def person(world, rules):
    return make_registrant(world)


def test_the_configuration_is_read_once_then_kept(world, person):
    first = plan(person)
    assert first[0] == {"VA", "NSOTC"}
    assert first[2]  # read
    again = plan(person)
    assert again[:2] == first[:2]
    assert again[2] == []  # kept: no rule, agency or endpoint read


def test_each_change_is_routed_by_at_once(world, person):
    plan(person)
    desk = endpoint(world.va)
    assert desk.address in plan(person)[1]
    desk.active = False
    desk.save()
    assert plan(person)[1] == set()
    rule = RoutingRule.objects.get(event_type=EventType.PORT_DEPARTURE, fugitive=False, recipient_role="nsotc")
    rule.active = False
    rule.save()
    assert plan(person)[0] == {"VA"}
    rule.active = True
    rule.save()
    assert plan(person)[0] == {"VA", "NSOTC"}
    world.nsotc.active = False
    world.nsotc.save()
    assert plan(person)[0] == {"VA"}
    world.nsotc.active = True
    world.nsotc.save()
    assert plan(person)[0] == {"VA", "NSOTC"}
    # Removed, and installed again in bulk (without signals of their own).
    RoutingRule.objects.filter(event_type=EventType.PORT_DEPARTURE).delete()
    assert plan(person)[0] == set()
    assert install_default_rules() > 0
    assert plan(person)[0] == {"VA", "NSOTC"}
    assert plan(person)[2] == []


def test_a_change_rolled_back_leaves_nothing_behind(world, person):
    plan(person)
    rule = RoutingRule.objects.get(event_type=EventType.PORT_DEPARTURE, fugitive=False, recipient_role="nsotc")
    seen = []

    def change_then_fail():
        with transaction.atomic():
            rule.active = False
            rule.save()
            seen.append(plan(person)[0])  # the transaction's own view
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen == [{"VA"}]
    assert plan(person)[0] == {"VA", "NSOTC"}
    # Kept again at once: nothing was kept from the rolled-back rows.
    assert plan(person)[2] == []
