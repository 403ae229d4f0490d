"""Reference data every RSOITS deployment starts from: the agency directory (SORAs, federal
partners, DoD offices, INTERPOL NCBs) and a sample of DoD installations.

``manage.py load_reference_data`` writes it idempotently through the services. ORIs here are
plausible but fictitious nine-character codes; replace them with the real NCIC ORIs before
production use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .choices import AgencyKind, DodComponent, JurisdictionType

# --- US states, DC and territories -------------------------------------------------------

STATES: list[tuple[str, str]] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
]

TERRITORIES: list[tuple[str, str]] = [
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
]

# ISO 3166 entries that are US jurisdictions: served by the USNCB and their SORA, not a foreign NCB.
US_ISO_CODES = {"US", "PR", "GU", "VI", "AS", "MP", "UM"}

# --- tribal SORAs (a sample of tribes that are SORNA registration jurisdictions) -----------

# (code, tribe, name, USPS state for the fictitious ORI prefix)
TRIBES: list[tuple[str, str, str, str]] = [
    ("TR-CHEROKEE", "Cherokee Nation", "Cherokee Nation Sex Offender Registry", "OK"),
    ("TR-NAVAJO", "Navajo Nation", "Navajo Nation Sex Offender Registry", "AZ"),
    ("TR-MUSCOGEE", "Muscogee (Creek) Nation", "Muscogee (Creek) Nation Sex Offender Registry", "OK"),
    ("TR-TULALIP", "Tulalip Tribes", "Tulalip Tribes Sex Offender Registry", "WA"),
    (
        "TR-UMATILLA",
        "Confederated Tribes of the Umatilla Indian Reservation",
        "Confederated Tribes of the Umatilla Indian Reservation Sex Offender Registry",
        "OR",
    ),
    ("TR-OGLALA", "Oglala Sioux Tribe", "Oglala Sioux Tribe Sex Offender Registry", "SD"),
]

_FED = {"jurisdiction_type": JurisdictionType.FEDERAL, "jurisdiction": "US"}

# --- federal partners, DoD offices and the operator ----------------------------------------

FEDERAL_AGENCIES: list[dict[str, Any]] = [
    {"code": "RSOITS", "name": "RSOITS operations", "kind": AgencyKind.OPERATOR, "ori": "", **_FED},
    {
        "code": "NSOTC",
        "name": "USMS National Sex Offender Targeting Center",
        "kind": AgencyKind.NSOTC,
        "ori": "VAUSM0000",
        **_FED,
    },
    {"code": "USNCB", "name": "INTERPOL Washington (USNCB)", "kind": AgencyKind.USNCB, "ori": "DCINTER00", **_FED},
    {"code": "CBP", "name": "U.S. Customs and Border Protection", "kind": AgencyKind.CBP, "ori": "DCCBP0000", **_FED},
    {
        "code": "ICE-HSI",
        "name": "ICE Homeland Security Investigations (Angel Watch Center)",
        "kind": AgencyKind.ICE_HSI,
        "ori": "VAICE0000",
        **_FED,
    },
    {
        "code": "STATE-CA-PPT",
        "name": "Department of State, Consular Affairs, Passport Services",
        "kind": AgencyKind.STATE_CA_PPT,
        "ori": "DCDOSPPT0",
        **_FED,
    },
    {
        "code": "STATE-CA-VO",
        "name": "Department of State, Consular Affairs, Visa Office",
        "kind": AgencyKind.STATE_CA_VO,
        "ori": "DCDOSVO00",
        **_FED,
    },
    {
        "code": "USCIS",
        "name": "U.S. Citizenship and Immigration Services",
        "kind": AgencyKind.USCIS,
        "ori": "DCUSCIS00",
        **_FED,
    },
    {
        "code": "ARMY-CID",
        "name": "Army Criminal Investigation Division (CID)",
        "kind": AgencyKind.MCIO,
        "ori": "VAUSA0000",
        **_FED,
    },
    {
        "code": "NCIS",
        "name": "Naval Criminal Investigative Service (NCIS)",
        "kind": AgencyKind.MCIO,
        "ori": "VAUSN0000",
        **_FED,
    },
    {
        "code": "AFOSI",
        "name": "Air Force Office of Special Investigations (AFOSI)",
        "kind": AgencyKind.MCIO,
        "ori": "VAUSF0000",
        **_FED,
    },
    {
        "code": "NGB-PM",
        "name": "National Guard Bureau Office of the Provost Marshal",
        "kind": AgencyKind.NGB_PM,
        "ori": "VANGB0000",
        **_FED,
    },
    {
        "code": "MEPCOM",
        "name": "U.S. Military Entrance Processing Command",
        "kind": AgencyKind.MEPCOM,
        "ori": "ILMEP0000",
        **_FED,
    },
    {
        "code": "DMDC-IMESA",
        "name": "DMDC Identity Matching Engine for Security and Analysis (IMESA)",
        "kind": AgencyKind.DOD_IDENTITY,
        "ori": "VADMDC000",
        **_FED,
    },
    {
        "code": "HR-ARMY",
        "name": "Army human resources (component HR)",
        "kind": AgencyKind.COMPONENT_HR,
        "ori": "",
        **_FED,
    },
]


# --- DoD installations with their law enforcement agencies -----------------------------------


@dataclass(frozen=True)
class InstallationSpec:
    code: str
    name: str
    component: str
    city: str
    state: str
    country: str
    lea_code: str
    lea_name: str
    lea_ori: str


INSTALLATIONS: list[InstallationSpec] = [
    InstallationSpec(
        "FTBELVOIR", "Fort Belvoir", DodComponent.ARMY, "Fort Belvoir", "VA", "US",
        "LEA-FTBELVOIR", "Fort Belvoir Directorate of Emergency Services", "VAUSA0100",
    ),
    InstallationSpec(
        "NSNORFOLK", "Naval Station Norfolk", DodComponent.NAVY, "Norfolk", "VA", "US",
        "LEA-NSNORFOLK", "Naval Station Norfolk Security Department", "VAUSN0100",
    ),
    InstallationSpec(
        "JBANDREWS", "Joint Base Andrews", DodComponent.AIR_FORCE, "Camp Springs", "MD", "US",
        "LEA-JBANDREWS", "Joint Base Andrews Security Forces", "MDUSF0100",
    ),
    InstallationSpec(
        "CAMPLEJEUNE", "Marine Corps Base Camp Lejeune", DodComponent.MARINE_CORPS, "Jacksonville", "NC", "US",
        "LEA-CAMPLEJEUNE", "Camp Lejeune Provost Marshal's Office", "NCUSM0100",
    ),
    InstallationSpec(
        "FTLIBERTY", "Fort Liberty", DodComponent.ARMY, "Fayetteville", "NC", "US",
        "LEA-FTLIBERTY", "Fort Liberty Directorate of Emergency Services", "NCUSA0100",
    ),
    InstallationSpec(
        "RAMSTEIN", "Ramstein Air Base", DodComponent.AIR_FORCE, "Ramstein-Miesenbach", "", "DE",
        "LEA-RAMSTEIN", "Ramstein Air Base Security Forces", "",
    ),
]  # fmt: skip


# --- the whole directory ------------------------------------------------------------------


def _countries() -> list[tuple[str, str]]:
    import pycountry

    rows = []
    for country in pycountry.countries:
        if country.alpha_2 in US_ISO_CODES:
            continue
        rows.append((country.alpha_2, getattr(country, "common_name", None) or country.name))
    return sorted(rows)


def agency_specs() -> list[dict[str, Any]]:
    """Every reference agency as the keyword arguments of ``services.agency_create``, in an
    order where no agency comes before one it refers to."""
    specs: list[dict[str, Any]] = []
    for code, name in STATES:
        specs.append(
            {
                "code": code,
                "name": f"{name} Sex Offender Registry",
                "kind": AgencyKind.STATE_SORA,
                "jurisdiction_type": JurisdictionType.STATE,
                "jurisdiction": code,
                "ori": f"{code}SOR0000",
            }
        )
    for code, name in TERRITORIES:
        specs.append(
            {
                "code": code,
                "name": f"{name} Sex Offender Registry",
                "kind": AgencyKind.TERRITORY_SORA,
                "jurisdiction_type": JurisdictionType.TERRITORY,
                "jurisdiction": code,
                "ori": f"{code}SOR0000",
            }
        )
    for code, tribe, name, state in TRIBES:
        specs.append(
            {
                "code": code,
                "name": name,
                "kind": AgencyKind.TRIBAL_SORA,
                "jurisdiction_type": JurisdictionType.TRIBE,
                "jurisdiction": tribe,
                "ori": f"{state}{code[3:6]}0000",
            }
        )
    specs.extend(dict(spec) for spec in FEDERAL_AGENCIES)
    for inst in INSTALLATIONS:
        specs.append(
            {
                "code": inst.lea_code,
                "name": inst.lea_name,
                "kind": AgencyKind.INSTALLATION_LEA,
                "jurisdiction_type": JurisdictionType.FEDERAL,
                "jurisdiction": "US",
                "ori": inst.lea_ori,
            }
        )
    for alpha2, name in _countries():
        specs.append(
            {
                "code": f"NCB-{alpha2}",
                "name": f"INTERPOL NCB {name}",
                "kind": AgencyKind.FOREIGN_NCB,
                "jurisdiction_type": JurisdictionType.COUNTRY,
                "jurisdiction": alpha2,
                "ori": "",
            }
        )
    return specs


def installation_specs() -> list[dict[str, Any]]:
    """Every reference installation as fields of ``services.installation_save``; ``lea`` is the
    code of the agency, resolved by the loader."""
    return [
        {
            "code": inst.code,
            "name": inst.name,
            "component": inst.component,
            "city": inst.city,
            "state": inst.state,
            "country": inst.country,
            "lea": inst.lea_code,
        }
        for inst in INSTALLATIONS
    ]


def load(*, actor: Any = None) -> dict[str, dict[str, int]]:
    """Create or bring up to date every reference agency and installation, in one transaction.

    Returns counts: ``{"agencies": {"created", "updated", "unchanged"}, "installations": ...}``.
    A second run creates and changes nothing (no new rows, no new history rows)."""
    from django.db import transaction

    from . import services
    from .models import Agency, Installation

    counts = {
        "agencies": {"created": 0, "updated": 0, "unchanged": 0},
        "installations": {"created": 0, "updated": 0, "unchanged": 0},
    }
    with transaction.atomic():
        existing = {a.code: a for a in Agency.objects.all()}
        for spec in agency_specs():
            agency = existing.get(spec["code"])
            if agency is None:
                existing[spec["code"]] = services.agency_create(actor=actor, **spec)
                counts["agencies"]["created"] += 1
                continue
            changed = {k: v for k, v in spec.items() if getattr(agency, k) != v}
            if changed:
                services.agency_update(actor=actor, agency=agency, **changed)
                counts["agencies"]["updated"] += 1
            else:
                counts["agencies"]["unchanged"] += 1

        installations = {i.code: i for i in Installation.objects.all()}
        for spec in installation_specs():
            fields = {**spec, "lea": existing[spec["lea"]]}
            installation = installations.get(spec["code"])
            if installation is None:
                services.installation_save(actor=actor, **fields)
                counts["installations"]["created"] += 1
                continue
            changed = {
                k: v
                for k, v in fields.items()
                if (installation.lea_id != v.pk if k == "lea" else getattr(installation, k) != v)
            }
            if changed:
                services.installation_save(actor=actor, installation=installation, **changed)
                counts["installations"]["updated"] += 1
            else:
                counts["installations"]["unchanged"] += 1
    return counts
