"""Fixtures of the cases tests: registrants in each scope, a recorder of the events the travel and
case services publish, and for hits a CBP agency with a system client holding a knox token, a
second screening agency, and registrants the hits are about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from registrants.services import registrant_create
from rsoits.choices import AgencyKind, JurisdictionType, Role
from tests.cases.factories_travel import make_registrant
from tests.factories import AgencyFactory, member


@dataclass
class Published:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> list:
        self.calls.append(kwargs)
        return [object()]

    def types(self) -> list[str]:
        return [str(c["event_type"]) for c in self.calls]

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["event_type"] == event_type]


@pytest.fixture
def published(monkeypatch) -> Published:
    """Every ``publish_event`` call made by the travel and case services and deadline checks."""
    recorder = Published()
    for module in ("cases.services.travel", "cases.services.cases", "cases.tasks"):
        monkeypatch.setattr(f"{module}.publish_event", recorder)
    return recorder


@pytest.fixture
def people(world):
    """A VA registrant, an MD registrant, and a VA registrant who works on Fort Belvoir."""

    class People:
        pass

    p = People()
    p.va = make_registrant(world.va)
    p.md = make_registrant(world.md)
    p.belvoir = make_registrant(
        world.va, installation=world.installation, works_on_installation=True, dod_component="army"
    )
    return p


@pytest.fixture
def cbp(db):
    return AgencyFactory(
        code="CBP", name="U.S. Customs and Border Protection", kind=AgencyKind.CBP,
        jurisdiction_type=JurisdictionType.FEDERAL, jurisdiction="US", ori="DCCBP0000",
    )  # fmt: skip


@pytest.fixture
def ppt(db):
    return AgencyFactory(
        code="CA-PPT", name="State CA Passport Services", kind=AgencyKind.STATE_CA_PPT,
        jurisdiction_type=JurisdictionType.FEDERAL, jurisdiction="US", ori="DCSTATE00",
    )  # fmt: skip


@pytest.fixture
def system_client(cbp):
    return member(cbp, Role.SYSTEM_CLIENT, username="cbp_client")


@pytest.fixture
def ppt_client(ppt):
    return member(ppt, Role.SYSTEM_CLIENT, username="ppt_client")


@pytest.fixture
def cbp_token(system_client):
    _, token = AuthToken.objects.create(user=system_client)
    return token


@pytest.fixture
def cbp_api(cbp_token):
    """The CBP interface, signed in with its API token as it is in production."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {cbp_token}")
    return client


def api_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def hit_people(world):
    """Registrants of VA and MD for the hits tests; Ali is a fugitive, Fictional works on Fort Belvoir."""

    class People:
        pass

    p = People()
    p.ali = registrant_create(
        actor=None, registering_agency=world.va, external_id="VA-1", given_name="Mohammed", surname="Ali",
        date_of_birth=date(1979, 5, 6), sex="M", citizenships=["US"],
        aliases=[{"given_name": "Muhammad", "surname": "Aly"}],
        identifiers=[{"kind": "passport", "value": "P1234567", "issuing_country": "US"}],
        warrants=[{"issuing_agency_name": "Richmond PD", "number": "W-1", "active": True}],
    )  # fmt: skip
    p.ali_md = registrant_create(
        actor=None, registering_agency=world.md, external_id="MD-1", given_name="Mohamed", surname="Ali",
        date_of_birth=date(1979, 5, 6), sex="M", citizenships=["US"],
    )  # fmt: skip
    p.smith = registrant_create(
        actor=None, registering_agency=world.md, external_id="MD-2", given_name="Margaret", surname="Smith",
        date_of_birth=date(1965, 2, 14), sex="F", citizenships=["US"],
    )  # fmt: skip
    p.fictional = registrant_create(
        actor=None, registering_agency=world.va, external_id="VA-2", given_name="Robert", surname="Fictional",
        date_of_birth=date(1979, 9, 9), sex="M", installation=world.installation, works_on_installation=True,
        dod_component="army",
    )  # fmt: skip
    return p
