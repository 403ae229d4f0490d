"""The visible_to chokepoint for core records."""

import pytest

from rsoits.models import AgencyContact, AgencyEndpoint, Membership, User
from tests.factories import ContactFactory, EndpointFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_and_memberless_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    ContactFactory(agency=world.va)
    nobody = UserFactory(username="nobody")
    assert not AgencyContact.objects.visible_to(AnonymousUser()).exists()
    assert not AgencyContact.objects.visible_to(nobody).exists()
    assert list(User.objects.visible_to(nobody)) == [nobody]


def test_contacts_and_endpoints_are_scoped_to_the_agency(world):
    va_contact = ContactFactory(agency=world.va)
    md_contact = ContactFactory(agency=world.md)
    va_endpoint = EndpointFactory(agency=world.va)
    assert list(AgencyContact.objects.visible_to(world.va_staff)) == [va_contact]
    assert list(AgencyContact.objects.visible_to(world.va_staff, "change")) == []
    assert list(AgencyContact.objects.visible_to(world.va_admin, "change")) == [va_contact]
    assert md_contact not in AgencyContact.objects.visible_to(world.va_admin)
    assert list(AgencyEndpoint.objects.visible_to(world.md_admin)) == []
    assert set(AgencyContact.objects.visible_to(world.sysadmin, "delete")) == {va_contact, md_contact}
    assert va_endpoint in AgencyEndpoint.objects.visible_to(world.sysadmin)


def test_agency_admin_manages_only_own_users(world):
    visible = set(User.objects.visible_to(world.va_admin, "change"))
    assert world.va_staff in visible
    assert world.md_staff not in visible
    assert world.md_staff not in set(User.objects.visible_to(world.va_admin))
    assert set(Membership.objects.visible_to(world.va_admin)) == set(Membership.objects.filter(agency=world.va))
