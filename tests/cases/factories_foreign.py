"""Builders of forwarded cases, foreign notices and passport actions for the tests of USNCB's
work, and the ``fw`` fixture (import ``fw_fixture`` into a test module). Cases are built
directly (status forwarded, shared with USNCB's group as the forwarding service shares them) so
these tests do not depend on the vetting workflow."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.choices import CaseStatus, TravelNoticeStatus, TravelPurpose
from cases.models import Case, ItineraryLeg, TravelNotice
from registrants.services import registrant_create
from rsoits.choices import AgencyKind, JurisdictionType
from rsoits.services import agency_group
from tests.factories import AgencyFactory

_seq = count(1)

# Domestic-only identifiers of the test registrant (and an SSN kept as "other"): none of them may
# ever reach a foreign notice.
FBI = "FBI778899AA"
SID = "VASID4455667"
NSOR = "NSOR-31337-X"
SSN = "219-09-9999"
DOMESTIC_VALUES = (FBI, SID, NSOR, SSN, "219099999")
PASSPORT = "P55443322"


def ncb(country: str):
    return AgencyFactory(
        code=f"NCB-{country}",
        name=f"INTERPOL NCB {country}",
        kind=AgencyKind.FOREIGN_NCB,
        jurisdiction_type=JurisdictionType.COUNTRY,
        jurisdiction=country,
        ori="",
    )


def make_registrant(world, agency=None, **extra):
    n = next(_seq)
    agency = agency or world.va
    fields = {
        "given_name": "Carl",
        "middle_name": "T",
        "surname": f"Traveller{n}",
        "date_of_birth": date(1975, 3, 14),
        "sex": "M",
        "citizenships": ["US"],
        "place_of_birth": "Norfolk, VA",
        "tier": "2",
        "aliases": [{"given_name": "Charlie", "surname": f"Voyager{n}"}],
        "alias_birth_dates": [date(1975, 4, 13)],
        "identifiers": [
            {"kind": "fbi_ucn", "value": f"{FBI}{n}"},
            {"kind": "state_sid", "value": f"{SID}{n}"},
            {"kind": "nsor", "value": f"{NSOR}{n}"},
            {"kind": "other", "value": f"SSN {SSN}-{n}"},
            {"kind": "passport", "value": f"{PASSPORT}{n}", "issuing_country": "US"},
        ],
    }
    fields.update(extra)
    return registrant_create(actor=None, registering_agency=agency, external_id=f"FN-{n}", **fields)


def make_forwarded_case(world, *, countries=("FR", "DE"), departure=None, registrant=None, share=True, status=None):
    """A forwarded case with a submitted travel notice visiting ``countries`` in order."""
    registrant = registrant or make_registrant(world)
    departure = departure or timezone.localdate() + timedelta(days=30)
    notice = TravelNotice(
        registrant=registrant,
        agency=registrant.registering_agency,
        status=TravelNoticeStatus.SUBMITTED,
        date_given=min(departure - timedelta(days=25), timezone.localdate()),
        departure_date=departure,
        return_date=departure + timedelta(days=4 * len(countries) + 2),
        purpose=TravelPurpose.TRAVEL,
        passport_number=f"PT{registrant.pk}X",
        passport_country="US",
        submitted_at=timezone.now(),
    )
    notice.compute_days_of_notice()
    notice.save()
    for i, country in enumerate(countries):
        ItineraryLeg.objects.create(
            notice=notice,
            order=i + 1,
            country=country,
            city=f"City {country}",
            arrival_date=departure + timedelta(days=4 * i),
            departure_date=departure + timedelta(days=4 * i + 3),
            carrier="Demo Air",
            flight_numbers=f"DA{100 + i}",
        )
    case = Case.objects.create(
        registrant=registrant,
        travel_notice=notice,
        status=status or CaseStatus.FORWARDED,
        forwarded_at=timezone.now(),
    )
    if share:
        group = agency_group(world.usncb)
        assign_perm("cases.view_case", group, case)
        assign_perm("registrants.view_registrant", group, registrant)
        assign_perm("cases.view_travelnotice", group, notice)
    return case


@pytest.fixture(name="fw")
def fw_fixture(world):
    """The shared ``world`` with NCBs for France, Germany and Japan."""
    world.ncb_fr, world.ncb_de, world.ncb_jp = ncb("FR"), ncb("DE"), ncb("JP")
    return world
