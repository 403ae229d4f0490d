"""The principal kept between requests (PRINCIPAL_CACHE_SECONDS, with Redis in production) and
sessions read from the cache (cached_db): a change of memberships, agencies or installations,
and an ended session, take effect on the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registrants.models import Registrant
from rsoits import services
from rsoits.choices import Role
from rsoits.models import Membership, User
from rsoits.principal import principal_for
from tests.registrants.test_api import seed

pytestmark = pytest.mark.django_db(transaction=True)  # (changes commit, as in service)

CACHED_READS = {"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db", "PRINCIPAL_CACHE_SECONDS": 60}


@pytest.fixture
def cached_reads(settings):
    for name, value in CACHED_READS.items():
        setattr(settings, name, value)
    return settings


def fresh(user):
    """The user as the next request loads it (no principal on the object yet)."""
    return User.objects.get(pk=user.pk)


def test_principal_is_read_from_the_cache_by_the_next_request(cached_reads, world):
    first = principal_for(fresh(world.va_staff))
    user = fresh(world.va_staff)
    with CaptureQueriesContext(connection) as ctx:
        again = principal_for(user)
    assert again == first
    assert ctx.captured_queries == []


def test_without_the_setting_every_request_reads_the_memberships(settings, world):
    settings.PRINCIPAL_CACHE_SECONDS = 0
    principal_for(fresh(world.va_staff))
    user = fresh(world.va_staff)
    with CaptureQueriesContext(connection) as ctx:
        principal_for(user)
    # The memberships, and which models hold objects shared with the user (django-guardian).
    assert len(ctx.captured_queries) == 2


def test_revoked_membership_ends_access_at_once(cached_reads, client, world):
    seed(world, 2)
    client.force_login(world.va_staff)
    assert b"R-0" in client.get("/registrants/").content
    membership = Membership.objects.get(user=world.va_staff, agency=world.va, role=Role.SORA_STAFF)
    services.membership_revoke(actor=world.va_admin, membership=membership)
    assert principal_for(fresh(world.va_staff)).agency_ids == frozenset()
    body = client.get("/registrants/").content
    assert b"R-0" not in body


def test_granted_membership_applies_at_once(cached_reads, client, world):
    seed(world, 1, agency=world.md, prefix="M")
    client.force_login(world.va_staff)
    assert b"M-0" not in client.get("/registrants/").content
    services.membership_grant(actor=world.sysadmin, user=world.va_staff, agency=world.md, role=Role.SORA_STAFF)
    assert b"M-0" in client.get("/registrants/").content


def test_membership_saved_outside_the_services_is_seen_too(cached_reads, world):
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}
    Membership.objects.create(user=world.va_staff, agency=world.md, role=Role.SORA_STAFF)
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk, world.md.pk}
    Membership.objects.filter(user=world.va_staff, agency=world.md).get().delete()
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}


def test_deactivated_agency_applies_at_once(cached_reads, world):
    seed(world, 1)
    assert Registrant.objects.visible_to(fresh(world.va_staff)).count() == 1
    world.va.active = False
    world.va.save()
    assert principal_for(fresh(world.va_staff)).agency_ids == frozenset()
    assert Registrant.objects.visible_to(fresh(world.va_staff)).count() == 0


def test_installation_moved_to_another_lea_applies_at_once(cached_reads, world):
    assert principal_for(fresh(world.lea_officer)).installation_ids == {world.installation.pk}
    world.installation.lea = None
    world.installation.save()
    assert principal_for(fresh(world.lea_officer)).installation_ids == frozenset()


def test_entry_of_a_user_with_the_same_id_is_not_reused(cached_reads, world):
    """A restored or recreated database can give a new user the id of a cached one."""
    from django.core.cache import cache

    from rsoits.principal import _user_key

    principal_for(fresh(world.sysadmin))
    principal_for(fresh(world.analyst))
    shared, _own, joined, principal = cache.get(_user_key(world.sysadmin.pk))
    _shared, own, _joined, _principal = cache.get(_user_key(world.analyst.pk))
    # the entry of a user who held the analyst's id before: current generations, another date_joined
    cache.set(_user_key(world.analyst.pk), (shared, own, joined, principal), 60)
    assert not principal_for(fresh(world.analyst)).is_system_admin


def test_mfa_reset_ends_sessions_read_from_the_cache(cached_reads, client, world):
    client.force_login(world.va_staff)
    assert client.get("/registrants/").status_code == 200
    services.user_reset_mfa(actor=world.va_admin, user=world.va_staff)
    response = client.get("/registrants/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_grant_through_guardian_applies_at_once_and_its_revocation_too(cached_reads, world):
    """The principal knows which models hold objects shared with the user; a grant to the user's
    agency group, to the user, or the user joining a group with grants, is seen by the very next
    request, and so is a revocation."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, remove_perm

    (shared,) = seed(world, 1)
    officer = world.usncb_officer
    assert not Registrant.objects.visible_to(fresh(officer)).exists()  # (cached: nothing shared)
    assign_perm("registrants.view_registrant", world.usncb.group, shared)
    assert list(Registrant.objects.visible_to(fresh(officer))) == [shared]
    remove_perm("registrants.view_registrant", world.usncb.group, shared)
    assert not Registrant.objects.visible_to(fresh(officer)).exists()
    # Directly to the user.
    assign_perm("registrants.view_registrant", officer, shared)
    assert list(Registrant.objects.visible_to(fresh(officer))) == [shared]
    remove_perm("registrants.view_registrant", officer, shared)
    assert not Registrant.objects.visible_to(fresh(officer)).exists()
    # Through a group the user joins (and leaves).
    group = Group.objects.create(name="shared-with")
    assign_perm("registrants.view_registrant", group, shared)
    assert not Registrant.objects.visible_to(fresh(officer)).exists()
    officer.groups.add(group)
    assert list(Registrant.objects.visible_to(fresh(officer))) == [shared]
    group.user_set.remove(officer)
    assert not Registrant.objects.visible_to(fresh(officer)).exists()


def test_a_grant_made_in_the_same_request_is_seen_by_the_same_user_object(world):
    """A principal kept on the user object is built again once a grant changes."""
    from guardian.shortcuts import assign_perm

    (shared,) = seed(world, 1)
    officer = fresh(world.usncb_officer)
    assert not Registrant.objects.visible_to(officer).exists()
    assign_perm("registrants.view_registrant", world.usncb.group, shared)
    assert list(Registrant.objects.visible_to(officer)) == [shared]


def test_the_guardian_subqueries_are_added_only_for_users_holding_grants(world):
    """A SORA user with nothing shared reads the registry through its own scope alone; one
    holding a grant on registrants gets the grants' subqueries too (and sees the shared row)."""
    from guardian.shortcuts import assign_perm

    (own,) = seed(world, 1)
    (other,) = seed(world, 1, agency=world.md, prefix="M")
    sql = str(Registrant.objects.visible_to(fresh(world.va_staff)).query)
    assert "guardian" not in sql
    assert list(Registrant.objects.visible_to(fresh(world.va_staff))) == [own]
    assign_perm("registrants.view_registrant", world.va_staff, other)
    user = fresh(world.va_staff)
    assert "guardian" in str(Registrant.objects.visible_to(user).query)
    assert set(Registrant.objects.visible_to(user)) == {own, other}
    # A user with no scope and nothing shared (a system client) reads nothing, without a query.
    from rsoits.choices import AgencyKind
    from tests.factories import AgencyFactory, member

    client = fresh(member(AgencyFactory(code="CBP", kind=AgencyKind.CBP), Role.SYSTEM_CLIENT, username="cbp"))
    principal_for(client)
    with CaptureQueriesContext(connection) as ctx:
        assert list(Registrant.objects.visible_to(client).filter(pk__in=[own.pk, other.pk])) == []
    assert ctx.captured_queries == []


class RolledBack(Exception):
    pass


def rolled_back(change):
    """Run ``change`` in a transaction that then rolls back; what it returned."""
    from django.db import transaction

    seen = []

    def run():
        with transaction.atomic():
            seen.append(change())
            raise RolledBack

    with pytest.raises(RolledBack):
        run()
    return seen[0]


def test_a_membership_granted_then_rolled_back_is_not_served_from_the_cache(cached_reads, world):
    """A principal read inside the transaction that granted a membership is never kept: should
    that transaction roll back, no later request may act on the grant."""
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}

    def grant():
        services.membership_grant(actor=world.sysadmin, user=world.va_staff, agency=world.md, role=Role.SORA_STAFF)
        return principal_for(fresh(world.va_staff)).agency_ids

    assert rolled_back(grant) == {world.va.pk, world.md.pk}  # the transaction's own view
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}


def test_an_agency_deactivated_then_rolled_back_is_not_served_from_the_cache(cached_reads, world):
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}

    def deactivate():
        world.va.active = False
        world.va.save()
        return principal_for(fresh(world.va_staff)).agency_ids

    assert rolled_back(deactivate) == frozenset()  # the transaction's own view
    assert principal_for(fresh(world.va_staff)).agency_ids == {world.va.pk}
    # and kept again: the next request reads it from the cache
    user = fresh(world.va_staff)
    with CaptureQueriesContext(connection) as ctx:
        principal_for(user)
    assert ctx.captured_queries == []
