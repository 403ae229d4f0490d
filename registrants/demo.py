"""Demo registrants for ``manage.py seed_demo`` (clearly fictitious people)."""

from __future__ import annotations

import copy
from datetime import date

from rsoits.models import Agency, Installation

from .models import Registrant
from .services import registrant_create

DEMO_REGISTRANTS = [
    ("VA", "DEMO-VA-001", "John", "Q", "Sample", date(1971, 4, 12), "M", {}),
    ("VA", "DEMO-VA-002", "Maria", "", "Testperson-Garcia", date(1983, 11, 2), "F", {"travel_prohibited": True}),
    (
        "VA",
        "DEMO-VA-003",
        "Mohammed",
        "",
        "Example",
        date(1990, 6, 30),
        "M",
        {"warrants": [{"issuing_agency_code": "MD", "number": "DEMO-W-1", "active": True}]},
    ),
    ("MD", "DEMO-MD-001", "Aleksandr", "", "Demonov", date(1968, 1, 5), "M", {}),
    (
        "VA",
        "DEMO-VA-004",
        "Robert",
        "",
        "Fictional",
        date(1979, 9, 9),
        "M",
        {"installation_code": "FTBELVOIR", "works_on_installation": True, "dod_component": "army"},
    ),
]


def seed_registrants(ctx) -> None:
    created = 0
    for agency_code, external_id, given, middle, surname, dob, sex, extra in DEMO_REGISTRANTS:
        agency = Agency.objects.get(code=agency_code)
        if Registrant.objects.filter(registering_agency=agency, external_id=external_id).exists():
            continue
        extra = copy.deepcopy(extra)  # the table above is reused by every run
        if "installation_code" in extra:
            extra["installation"] = Installation.objects.get(code=extra.pop("installation_code"))
        for warrant in extra.get("warrants", []):
            warrant["issuing_agency"] = Agency.objects.get(code=warrant.pop("issuing_agency_code"))
        registrant_create(
            actor=None,
            registering_agency=agency,
            external_id=external_id,
            given_name=given,
            middle_name=middle,
            surname=surname,
            date_of_birth=dob,
            sex=sex,
            citizenships=["US"],
            addresses=[{"kind": "residence", "street": "100 Demo Street", "city": "Demo City", "state": agency_code}],
            **extra,
        )
        created += 1
    ctx.say(f"demo registrants: created {created}, unchanged {len(DEMO_REGISTRANTS) - created}")
