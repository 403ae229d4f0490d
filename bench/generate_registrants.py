"""Generate clearly fake synthetic registrants for benchmarks, inserted in bulk.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_bench \
    DJANGO_SETTINGS_MODULE=rsoits.settings \
    .venv/bin/python bench/generate_registrants.py --count 200000 --seed 1

Names come from the weighted, long-tailed pools of ``bench/name_pools.py`` (Faker's person data:
about 7 namesakes per person at 1,000,000 registrants). Every record is fake: external ids start
with ``BENCH-``, state SIDs with ``BSID``, FBI numbers with ``BFBI``, and place of birth is
"Synthetic". Run ``manage.py load_reference_data`` first (the state SORA agencies). ``--start``
offsets the sequence so that several processes can fill the same database in parallel without
colliding on unique ids (use distinct, non-overlapping ranges: e.g. --start 0 --count 500000 and
--start 500000 --count 500000).

Writes: Registrant with simple_history's ``bulk_create_with_history`` (one history row each);
RegistrantName (primary + aliases, matching keys filled as ``RegistrantName.derive_keys`` does),
RegistrantBirthDate (year/month/day set), Identifier (norm_value set) and Warrant with plain
``bulk_create``. Batches of ``--batch`` registrants, each in its own transaction: memory stays
bounded whatever the count.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402

# Names: weighted, long-tailed pools from Faker's person data (bench/name_pools.py).
from name_pools import MIDDLE, SUFFIXES, random_person  # noqa: E402, F401
from simple_history.utils import bulk_create_with_history  # noqa: E402

from registrants import keys  # noqa: E402
from registrants.choices import IdentifierKind, NameKind, RegistrationStatus, Tier  # noqa: E402
from registrants.models import (  # noqa: E402
    Identifier,
    Registrant,
    RegistrantBirthDate,
    RegistrantName,
    Warrant,
)
from rsoits.choices import AgencyKind  # noqa: E402
from rsoits.models import Agency  # noqa: E402

STATUS_WEIGHTS = [
    (RegistrationStatus.COMPLIANT, 78),
    (RegistrationStatus.NON_COMPLIANT, 9),
    (RegistrationStatus.INCARCERATED, 6),
    (RegistrationStatus.ABSCONDED, 2),
    (RegistrationStatus.RELOCATED_ABROAD, 1),
    (RegistrationStatus.DECEASED, 2),
    (RegistrationStatus.EXPIRED, 2),
]
STATUSES = [s for s, _ in STATUS_WEIGHTS]
STATUS_W = [w for _, w in STATUS_WEIGHTS]
DOB_START = date(1940, 1, 1)
DOB_SPAN = (date(2005, 12, 31) - DOB_START).days
# Bigger states register more people.
STATE_WEIGHTS = {"CA": 12, "TX": 9, "FL": 7, "NY": 6, "PA": 4, "IL": 4, "OH": 4, "GA": 3, "NC": 3, "MI": 3,
                 "VA": 3, "MD": 2, "WA": 2, "AZ": 2, "NJ": 3, "MA": 2, "TN": 2, "IN": 2, "MO": 2}  # fmt: skip


@lru_cache(maxsize=1 << 20)
def _name_keys(given: str, middle: str, surname: str) -> tuple[str, ...]:
    """The matching keys, exactly as ``RegistrantName.derive_keys`` computes them (cached:
    names repeat a lot)."""
    return (
        keys.normalise_name(given),
        keys.normalise_name(middle),
        keys.normalise_name(surname),
        keys.phonetic(given),
        keys.phonetic(surname),
        keys.nysiis(surname),
    )


def make_name(given: str, middle: str, surname: str, registrant_id: int, kind: str) -> RegistrantName:
    name = RegistrantName(registrant_id=registrant_id, kind=kind, given_name=given, middle_name=middle, surname=surname)
    (
        name.norm_given,
        name.norm_middle,
        name.norm_surname,
        name.given_phonetic,
        name.surname_phonetic,
        name.surname_nysiis,
    ) = _name_keys(given, middle, surname)
    return name


def sora_agencies() -> tuple[list[Agency], list[int]]:
    agencies = list(Agency.objects.filter(kind=AgencyKind.STATE_SORA).order_by("code"))
    if not agencies:
        sys.exit("No state SORA agencies: run `manage.py load_reference_data` first.")
    weights = [STATE_WEIGHTS.get(a.jurisdiction, 1) for a in agencies]
    return agencies, weights


def build_batch(rng: random.Random, start: int, size: int, agencies, weights, fugitive_rate: float):
    """Unsaved Registrant objects plus a recipe for their children (filled once ids are known)."""
    picks = rng.choices(agencies, weights=weights, k=size)
    registrants, recipes = [], []
    for offset in range(size):
        n = start + offset
        agency = picks[offset]
        sex, given, middle, surname = random_person(rng)
        dob = DOB_START + timedelta(days=rng.randrange(DOB_SPAN))
        status = rng.choices(STATUSES, weights=STATUS_W)[0]
        fugitive = rng.random() < fugitive_rate
        if fugitive and status == RegistrationStatus.COMPLIANT:
            status = RegistrationStatus.ABSCONDED
        registrants.append(
            Registrant(
                registering_agency_id=agency.pk,
                external_id=f"BENCH-{n:09d}",
                given_name=given,
                middle_name=middle,
                surname=surname,
                suffix=rng.choice(SUFFIXES) if rng.random() < 0.03 else "",
                date_of_birth=dob,
                sex=sex,
                place_of_birth="Synthetic",
                citizenships=["US"] if rng.random() < 0.93 else [rng.choice(["MX", "CA", "GB", "VN", "PH", "IN"])],
                status=status,
                tier=rng.choice(Tier.values),
                is_fugitive=fugitive,
            )
        )
        aliases = []
        if rng.random() < 0.04:  # a few per cent have aliases
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                _, a_given, a_middle, a_surname = random_person(rng)
                if rng.random() < 0.5:
                    a_surname = surname  # same family name, other given name
                aliases.append((a_given, a_middle, a_surname))
        alias_dob = None
        if aliases and rng.random() < 0.3:
            alias_dob = date(dob.year, dob.day, dob.month) if dob.day <= 12 and dob.day != dob.month else None
        recipes.append((n, agency.jurisdiction, fugitive, aliases, alias_dob, rng.random() < 0.6))
    return registrants, recipes


def insert_batch(registrants, recipes, warrant_agency_id) -> int:
    with transaction.atomic():
        saved = bulk_create_with_history(registrants, Registrant, batch_size=len(registrants))
        names, dobs, idents, warrants = [], [], [], []
        for reg, (n, state, fugitive, aliases, alias_dob, has_fbi) in zip(saved, recipes, strict=True):
            rid = reg.pk
            names.append(make_name(reg.given_name, reg.middle_name, reg.surname, rid, NameKind.PRIMARY))
            for a_given, a_middle, a_surname in aliases:
                names.append(make_name(a_given, a_middle, a_surname, rid, NameKind.ALIAS))
            d = reg.date_of_birth
            dobs.append(
                RegistrantBirthDate(registrant_id=rid, date=d, is_primary=True, year=d.year, month=d.month, day=d.day)
            )
            if alias_dob is not None:
                dobs.append(
                    RegistrantBirthDate(
                        registrant_id=rid, date=alias_dob, is_primary=False,
                        year=alias_dob.year, month=alias_dob.month, day=alias_dob.day,
                    )
                )  # fmt: skip
            sid = f"BSID-{state}-{n:09d}"
            idents.append(
                Identifier(
                    registrant_id=rid,
                    kind=IdentifierKind.STATE_SID,
                    value=sid,
                    norm_value=keys.normalise_identifier(sid),
                )
            )
            if has_fbi:
                fbi = f"BFBI{n:09d}"
                idents.append(
                    Identifier(
                        registrant_id=rid,
                        kind=IdentifierKind.FBI_UCN,
                        value=fbi,
                        norm_value=keys.normalise_identifier(fbi),
                    )
                )
            if fugitive:
                warrants.append(
                    Warrant(registrant_id=rid, issuing_agency_id=warrant_agency_id, number=f"BW{n:09d}", active=True)
                )
        RegistrantName.objects.bulk_create(names)
        RegistrantBirthDate.objects.bulk_create(dobs)
        Identifier.objects.bulk_create(idents)
        if warrants:
            Warrant.objects.bulk_create(warrants)
    return len(saved) * 2 + len(names) + len(dobs) + len(idents) + len(warrants)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, required=True, help="registrants to create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=None, help="first sequence number (default: after BENCH- rows)")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--fugitive-rate", type=float, default=0.02)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    agencies, weights = sora_agencies()
    warrant_agency_id = agencies[0].pk
    start = args.start
    if start is None:
        start = Registrant.objects.filter(external_id__startswith="BENCH-").count()
    t0 = time.perf_counter()
    done = rows = 0
    while done < args.count:
        size = min(args.batch, args.count - done)
        registrants, recipes = build_batch(rng, start + done, size, agencies, weights, args.fugitive_rate)
        rows += insert_batch(registrants, recipes, warrant_agency_id)
        done += size
        elapsed = time.perf_counter() - t0
        print(
            f"{done:>9} registrants  {done / elapsed:8.0f} registrants/s  {rows / elapsed:8.0f} rows/s (all tables)",
            flush=True,
        )
    elapsed = time.perf_counter() - t0
    print(
        f"done: {done} registrants, {rows} rows in {elapsed:.1f} s: "
        f"{done / elapsed:.0f} registrants/s, {rows / elapsed:.0f} rows/s"
    )


if __name__ == "__main__":
    main()
