"""Shared fixtures: a small world of agencies with a user for every role."""

import os

import pytest

from rsoits.choices import AgencyKind, JurisdictionType, Role
from tests.factories import AgencyFactory, InstallationFactory, member

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = bool(os.environ.get("REDIS_URL"))

requires_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
requires_redis = pytest.mark.skipif(not ON_REDIS, reason="needs a real Redis broker: set REDIS_URL=redis://...")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (cached choices must not leak between tests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    """Two SORAs (VA, MD), NSOTC, USNCB, an installation with its LEA, the operator agency,
    and a user for each role."""

    class World:
        pass

    w = World()
    w.va = AgencyFactory(code="VA", name="Virginia State Police SOR", jurisdiction="VA", ori="VA0000000")
    w.md = AgencyFactory(code="MD", name="Maryland DPSCS SOR", jurisdiction="MD", ori="MD0000000")
    w.nsotc = AgencyFactory(
        code="NSOTC",
        name="USMS NSOTC",
        kind=AgencyKind.NSOTC,
        jurisdiction_type=JurisdictionType.FEDERAL,
        jurisdiction="US",
        ori="VAUSM0000",
    )
    w.usncb = AgencyFactory(
        code="USNCB",
        name="INTERPOL Washington",
        kind=AgencyKind.USNCB,
        jurisdiction_type=JurisdictionType.FEDERAL,
        jurisdiction="US",
        ori="DCINTER00",
    )
    w.operator = AgencyFactory(
        code="RSOITS",
        name="RSOITS operations",
        kind=AgencyKind.OPERATOR,
        jurisdiction_type=JurisdictionType.FEDERAL,
        jurisdiction="US",
        ori="",
    )
    w.installation = InstallationFactory(code="FTBELVOIR", name="Fort Belvoir")
    w.lea = w.installation.lea
    w.va_staff = member(w.va, Role.SORA_STAFF, username="va_staff")
    w.va_admin = member(w.va, Role.AGENCY_ADMIN, username="va_admin")
    w.md_staff = member(w.md, Role.SORA_STAFF, username="md_staff")
    w.md_admin = member(w.md, Role.AGENCY_ADMIN, username="md_admin")
    w.analyst = member(w.nsotc, Role.NSOTC_ANALYST, username="analyst")
    w.supervisor = member(w.nsotc, Role.NSOTC_SUPERVISOR, username="supervisor")
    w.usncb_officer = member(w.usncb, Role.USNCB_OFFICER, username="usncb")
    w.lea_officer = member(w.lea, Role.INSTALLATION_LEA, username="lea")
    w.sysadmin = member(w.operator, Role.SYSTEM_ADMIN, username="sysadmin")
    w.auditor = member(w.operator, Role.AUDITOR, username="auditor")
    return w
