"""Routing: every row of DESIGN.md's default table (fugitive and not), recipient resolution,
what cannot be resolved, and the content each recipient may get."""

import pytest

from notifications.choices import Channel, ContentLevel, EventType, RecipientRole
from notifications.defaults import default_rows, install_default_rules
from notifications.models import NotificationEvent, RoutingRule
from notifications.routing import plan_routing
from notifications.services import publish_event
from rsoits.choices import Role
from tests.notifications.conftest import endpoint, make_registrant

pytestmark = pytest.mark.django_db

E = EventType

# DESIGN.md "Who is told what", written out for the test world: VA registers the person, MD
# issued the active warrant (fugitive), the person lives in MD, serves in the Army at Fort
# Belvoir and is a Guard member, and travels to France.
DESIGN_TABLE = {
    E.PASSPORT_APPLICATION: ({"MD", "NSOTC"}, {"VA", "NSOTC"}),
    E.VISA_APPLICATION: ({"MD", "NSOTC", "USNCB"}, {"VA", "NSOTC"}),
    E.ESTA: ({"MD", "NSOTC", "USNCB"}, {"VA", "NSOTC"}),
    E.LPR_APPLICATION: ({"MD", "NSOTC"}, {"VA", "NSOTC"}),
    E.PORT_ARRIVAL: ({"MD", "NSOTC", "USNCB", "VA"}, {"VA", "NSOTC"}),
    E.PORT_DEPARTURE: ({"MD", "NSOTC", "VA"}, {"VA", "NSOTC"}),
    E.TRAVEL_NOTICE_SUBMITTED: ({"NSOTC", "MD"}, {"NSOTC"}),
    E.IMESA_MATCH: ({"ARMY-CID", "LEA", "HR-ARMY", "NGB-PM"}, {"ARMY-CID", "LEA", "HR-ARMY", "NGB-PM"}),
    E.FOREIGN_CONVICTED_IN_DOD: ({"USNCB"}, {"USNCB"}),
    E.UCMJ_SEPARATION: ({"MD", "NSOTC"}, {"MD", "NSOTC"}),
}


def dod_person(world, *, fugitive, external_id):
    return make_registrant(
        world,
        external_id=external_id,
        fugitive=fugitive,
        dod_component="army",
        installation=world.installation,
        works_on_installation=True,
        national_guard=True,
    )


@pytest.mark.parametrize("is_fugitive", [True, False], ids=["fugitive", "non-fugitive"])
@pytest.mark.parametrize("event_type", list(DESIGN_TABLE), ids=[str(e) for e in DESIGN_TABLE])
def test_default_table_routes_every_row(world, dod, rules, event_type, is_fugitive):
    person = dod_person(world, fugitive=is_fugitive, external_id=f"X-{event_type}-{is_fugitive}")
    assert person.is_fugitive is is_fugitive
    written = publish_event(event_type=event_type, registrant=person, actor=world.va_staff, context={})
    expected = {world.lea.code if code == "LEA" else code for code in DESIGN_TABLE[event_type][0 if is_fugitive else 1]}
    inbox = {n.agency.code for n in written if n.channel == Channel.INBOX}
    assert inbox == expected
    # one inbox notification per recipient agency, each delivered with its disclosure
    assert len([n for n in written if n.channel == Channel.INBOX]) == len(expected)
    assert all(n.disclosure.recipient_agency_id == n.agency_id for n in written if n.channel == Channel.INBOX)


def test_every_event_type_has_default_rules_both_ways(rules):
    for event_type in EventType.values:
        for fugitive in (True, False):
            assert RoutingRule.objects.for_event(event_type, fugitive).exists(), (event_type, fugitive)
    assert RoutingRule.objects.count() == len(default_rows())
    # seeding again adds nothing and keeps an admin's edit
    RoutingRule.objects.filter(event_type=E.ESTA).update(priority="routine")
    assert install_default_rules() == 0
    assert set(RoutingRule.objects.filter(event_type=E.ESTA).values_list("priority", flat=True)) == {"routine"}


def test_component_hr_gets_the_name_only(world, dod, rules):
    person = dod_person(world, fugitive=False, external_id="HR-1")
    endpoint(dod.hr, secure=True)
    plan = plan_routing(event_type=E.IMESA_MATCH, registrant=person)
    hr = [d for d in plan.deliveries if d.agency == dod.hr]
    assert {d.channel for d in hr} == {Channel.INBOX, Channel.EMAIL}  # never a webhook for HR
    assert {d.content_level for d in hr} == {ContentLevel.NAME_ONLY}  # even on a secure endpoint


def test_secure_endpoint_gets_details_others_a_link(world, rules, registrant):
    endpoint(world.va, secure=True, address="secure@va.example.test")
    endpoint(world.nsotc, address="desk@nsotc.example.test")
    plan = plan_routing(event_type=E.PASSPORT_APPLICATION, registrant=registrant)
    levels = {d.address: d.content_level for d in plan.deliveries if d.channel == Channel.EMAIL}
    assert levels == {"secure@va.example.test": ContentLevel.FULL, "desk@nsotc.example.test": ContentLevel.LINK}


def test_ngb_only_for_guard_members_and_not_reported_as_missing(world, dod, rules):
    person = make_registrant(world, external_id="NG-0", dod_component="army", installation=world.installation)
    plan = plan_routing(event_type=E.IMESA_MATCH, registrant=person)
    assert dod.ngb not in {d.agency for d in plan.deliveries}
    assert plan.unresolved == []
    assert [s.reason for s in plan.skipped] == ["Not a National Guard member."]


def test_unresolvable_recipients_are_reported_on_the_event(world, rules):
    person = make_registrant(world, external_id="U-1")
    from registrants.services import registrant_update

    registrant_update(
        actor=None,
        registrant=person,
        warrants=[{"issuing_agency_name": "Springfield PD", "number": "W-77", "active": True}],
    )
    person.refresh_from_db()
    written = publish_event(event_type=E.PASSPORT_APPLICATION, registrant=person, actor=None)
    assert {n.agency.code for n in written} == {"NSOTC"}  # told who could be resolved
    event = NotificationEvent.objects.get()
    assert event.unresolved == [
        {
            "role": RecipientRole.WARRANT_AGENCY,
            "role_label": "Warrant-issuing agency",
            "reason": "Warrant W-77 was issued by Springfield PD, not an active RSOITS agency.",
        }
    ]


def test_destination_ncb_from_context_countries(world, dod, rules, registrant):
    written = publish_event(
        event_type=E.FOREIGN_NOTICE_SENT, registrant=registrant, actor=None, context={"countries": ["fr", "ZZ"]}
    )
    assert {n.agency.code for n in written} == {"NCB-FR", "VA"}
    assert NotificationEvent.objects.get().unresolved[0]["reason"] == "No active NCB is registered for ZZ."


def test_escalation_goes_to_the_agency_supervisors_and_nsotc_supervisors(world, rules, registrant):
    written = publish_event(
        event_type=E.NOTIFICATION_UNACKNOWLEDGED, registrant=registrant, actor=None, context={"agency_id": world.va.pk}
    )
    audiences = {(n.agency.code, n.audience_role) for n in written if n.channel == Channel.INBOX}
    assert audiences == {("VA", Role.SORA_SUPERVISOR), ("NSOTC", Role.NSOTC_SUPERVISOR)}


def test_one_message_when_an_agency_is_reached_twice(world, rules):
    # VA registers the person and also issued the warrant: told once, at the higher priority.
    person = make_registrant(world, external_id="T-1", fugitive=True, warrant_agency=world.va)
    written = publish_event(event_type=E.PORT_ARRIVAL, registrant=person, actor=None)
    va = [n for n in written if n.agency == world.va]
    assert len(va) == 1
    assert "registers this person" in va[0].reason and "Issued active warrant" in va[0].reason


def test_no_rule_is_reported(world, registrant):
    RoutingRule.objects.update(active=False)  # the data migration's defaults, switched off
    publish_event(event_type=E.PASSPORT_APPLICATION, registrant=registrant, actor=None)
    assert NotificationEvent.objects.get().unresolved[0]["reason"] == "No active routing rule for this event."


def test_unknown_event_type_is_refused(world, rules, registrant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        publish_event(event_type="nonsense", registrant=registrant, actor=None)
    assert "event_type" in exc.value.message_dict


def test_events_without_a_registrant_route_what_needs_none(world, rules):
    written = publish_event(
        event_type=E.NOTIFICATION_UNACKNOWLEDGED, registrant=None, actor=None, context={"agency_id": world.md.pk}
    )
    assert {n.agency.code for n in written} == {"MD", "NSOTC"}
    assert not any(hasattr(n, "disclosure") for n in written)  # no record was disclosed
    assert NotificationEvent.objects.get().unresolved == []
