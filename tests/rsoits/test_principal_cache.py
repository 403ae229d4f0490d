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

pytestmark = pytest.mark.django_db

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
    assert len(ctx.captured_queries) == 1


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
    generation, joined, principal = cache.get(_user_key(world.sysadmin.pk))
    cache.set(_user_key(world.analyst.pk), (generation, joined, principal), 60)  # another user's entry
    assert not principal_for(fresh(world.analyst)).is_system_admin


def test_mfa_reset_ends_sessions_read_from_the_cache(cached_reads, client, world):
    client.force_login(world.va_staff)
    assert client.get("/registrants/").status_code == 200
    services.user_reset_mfa(actor=world.va_admin, user=world.va_staff)
    response = client.get("/registrants/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
