"""Builders of travel notices and cases for the tests: registrants through the registry's service,
notices and cases through ours (so every object has the history a real one would)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from cases.choices import CaseStatus
from cases.models import Case, TravelNotice
from cases.services import case_transition, case_update_checklist, travel_notice_create
from registrants.models import Registrant
from registrants.services import registrant_create

_numbers = itertools.count(1)

ALL_CHECKS = {
    "ncic_wanted_checked": True,
    "nsor_verified": True,
    "registration_compliant": True,
    "court_conditions_reviewed": True,
}


def today() -> date:
    return timezone.localdate()


def days(n: int) -> date:
    return today() + timedelta(days=n)


def make_registrant(agency, **fields: Any) -> Registrant:
    n = next(_numbers)
    values = {
        "external_id": f"T-{n}",
        "given_name": "Test",
        "surname": f"Traveller{n}",
        "date_of_birth": date(1975, 1, 1 + n % 27),
        "citizenships": ["US"],
        "addresses": [{"kind": "residence", "street": f"{n} Main St", "city": "Richmond", "state": "VA"}],
    }
    values.update(fields)
    return registrant_create(actor=None, registering_agency=agency, **values)


def legs_for(departure: date, back: date | None, countries=("FR",)) -> list[dict[str, Any]]:
    """Consecutive stops dividing the trip between the countries."""
    countries = list(countries)
    end = back or departure + timedelta(days=7 * len(countries))
    span = max((end - departure).days // len(countries), 0)
    legs = []
    for i, country in enumerate(countries):
        arrival = departure + timedelta(days=span * i)
        leaving = end if i == len(countries) - 1 else departure + timedelta(days=span * (i + 1))
        legs.append(
            {
                "country": country,
                "city": f"City{i}",
                "arrival_date": arrival,
                "departure_date": leaving if back else None,
            }
        )
    return legs


def notice_fields(*, departure_in: int = 40, notice_days: int = 30, trip_days: int = 10, **overrides: Any):
    departure = days(departure_in)
    back = departure + timedelta(days=trip_days)
    fields: dict[str, Any] = {
        "date_given": departure - timedelta(days=notice_days),
        "departure_date": departure,
        "return_date": back,
        "purpose": "travel",
        "passport_number": "P1234567",
        "passport_country": "US",
        "means_of_travel": "air",
    }
    fields.update(overrides)
    if "legs" not in fields:
        fields["legs"] = legs_for(fields["departure_date"], fields["return_date"])
    return fields


def file_notice(actor, registrant: Registrant, *, submit: bool = True, **overrides: Any) -> TravelNotice:
    return travel_notice_create(actor=actor, registrant=registrant, submit=submit, **notice_fields(**overrides))


def vetted_case(world, notice: TravelNotice) -> Case:
    """The notice's case, taken into review with its checklist done (ready for a disposition)."""
    case = notice.cases.get()
    case = case_transition(actor=world.analyst, case=case, to_status=CaseStatus.IN_REVIEW)
    return case_update_checklist(actor=world.analyst, case=case, **ALL_CHECKS)
