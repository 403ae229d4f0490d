"""Fixtures of the notification tests: the default routing rules, Celery in-process (the
embedded default), DoD and foreign agencies, and registrants to route events about."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from django.test import TestCase

from notifications.channels import reset_connections
from notifications.defaults import install_default_rules
from registrants.services import registrant_create
from rsoits.celery import app
from rsoits.choices import AgencyKind, JurisdictionType, Role
from tests.factories import AgencyFactory, EndpointFactory, member


@pytest.fixture(autouse=True)
def _celery_in_process():
    """Tasks run in the test process (as on the embedded default), whatever REDIS_URL says;
    the worker tests switch this off for themselves."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    reset_connections()
    yield
    app.conf.task_always_eager = previous
    reset_connections()


@pytest.fixture
def committed():
    """``with committed():`` runs the block's on-commit callbacks as a real commit would, and
    then forgets them (Django's capture helper leaves them registered on the test transaction)."""
    from django.db import connection

    @contextlib.contextmanager
    def commit():
        start = len(connection.run_on_commit)
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            yield callbacks
        del connection.run_on_commit[start:]

    return commit


@pytest.fixture
def rules(db):
    install_default_rules()


FED = {"jurisdiction_type": JurisdictionType.FEDERAL, "jurisdiction": "US"}


@pytest.fixture
def dod(world):
    """The DoD and foreign recipients the routing table names."""

    class Dod:
        pass

    d = Dod()
    d.cid = AgencyFactory(code="ARMY-CID", name="Army CID", kind=AgencyKind.MCIO, **FED)
    d.ngb = AgencyFactory(code="NGB-PM", name="NGB Provost Marshal", kind=AgencyKind.NGB_PM, **FED)
    d.hr = AgencyFactory(code="HR-ARMY", name="Army HR", kind=AgencyKind.COMPONENT_HR, **FED)
    d.mepcom = AgencyFactory(code="MEPCOM", name="MEPCOM", kind=AgencyKind.MEPCOM, **FED)
    d.ppt = AgencyFactory(code="STATE-CA-PPT", name="Passport Services", kind=AgencyKind.STATE_CA_PPT, **FED)
    d.ncb_fr = AgencyFactory(
        code="NCB-FR", name="NCB Paris", kind=AgencyKind.FOREIGN_NCB, jurisdiction_type=JurisdictionType.COUNTRY,
        jurisdiction="FR", ori="",
    )  # fmt: skip
    d.hr_user = member(d.hr, Role.COMPONENT_HR, username="army_hr")
    return d


def make_registrant(world, *, external_id="R-1", fugitive=False, warrant_agency=None, **extra):
    warrants = []
    if fugitive:
        warrant = {"number": f"W-{external_id}", "active": True}
        if warrant_agency is not None:
            warrant["issuing_agency"] = warrant_agency
        else:
            warrant["issuing_agency"] = world.md
        warrants.append(warrant)
    return registrant_create(
        actor=None,
        registering_agency=extra.pop("registering_agency", world.va),
        external_id=external_id,
        given_name="Ana",
        surname="Perez",
        date_of_birth=date(1980, 1, 2),
        addresses=extra.pop("addresses", [{"kind": "residence", "city": "Baltimore", "state": "MD", "country": "US"}]),
        warrants=warrants,
        **extra,
    )


@pytest.fixture
def registrant(world):
    return make_registrant(world)


@pytest.fixture
def fugitive(world):
    return make_registrant(world, external_id="F-1", fugitive=True)


def endpoint(agency, kind="email", address=None, **kwargs):
    address = address or f"desk@{agency.code.lower()}.example.test"
    return EndpointFactory(agency=agency, kind=kind, address=address, **kwargs)
