"""Demo hits for ``manage.py seed_demo``: reported identities close to the demo registrants, a
few left in the review queue and one confirmed (clearly fictitious people and record numbers)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rsoits.models import Agency, Installation

from .choices_hits import HitStatus, ReviewDecision
from .models import Hit
from .services.hits import hit_decide, hit_ingest

DEMO_HITS = [
    # (agency, fields): an initial for a given name, a transliteration, a nickname, missing dates of birth
    ("CBP", {"event_type": "port_departure", "source": "tecs_apis", "source_id": "DEMO-APIS-0001",
             "occurred_at": datetime(2026, 11, 20, 14, 5, tzinfo=UTC), "port_code": "IAD", "given_name": "M",
             "surname": "Example", "date_of_birth": date(1990, 6, 30), "sex": "M", "nationality": "US",
             "flight": "UA 0917", "destination_country": "TH"}),
    ("NSOTC", {"event_type": "passport_application", "source": "class", "source_id": "DEMO-CLASS-0001",
               "occurred_at": datetime(2026, 11, 18, 9, 30, tzinfo=UTC), "consular_post": "Washington Passport Agency",
               "given_name": "Alexander", "surname": "Demonov", "sex": "M",
               "nationality": "US"}),
    ("NSOTC", {"event_type": "imesa_match", "source": "imesa", "source_id": "DEMO-IMESA-0001",
               "occurred_at": datetime(2026, 11, 19, 7, 0, tzinfo=UTC), "installation": "FTBELVOIR",
               "given_name": "Bob", "surname": "Fictional", "sex": "M", "dod_component": "army",
               "dod_affiliation": "civilian", "dod_population": "deers"}),
    ("CBP", {"event_type": "port_arrival", "source": "tecs_apis", "source_id": "DEMO-APIS-0002",
             "occurred_at": datetime(2026, 11, 21, 18, 45, tzinfo=UTC), "port_code": "JFK", "given_name": "John",
             "middle_name": "Q", "surname": "Sample", "date_of_birth": date(1971, 4, 12), "sex": "M",
             "nationality": "US", "flight": "DL 0401", "origin_country": "MX"}),
]  # fmt: skip
CONFIRMED_DEMO = "DEMO-APIS-0002"


def seed_hits(ctx) -> None:
    created = 0
    for agency_code, fields in DEMO_HITS:
        agency = Agency.objects.filter(code=agency_code).first() or Agency.objects.get(code="NSOTC")
        fields = dict(fields)
        if "installation" in fields:
            fields["installation"] = Installation.objects.get(code=fields["installation"])
        _, new = hit_ingest(actor=None, agency=agency, **fields)
        created += new
    # One hit confirmed by an analyst, so the registrant timeline and the notices have something to show.
    hit = Hit.objects.get(source="tecs_apis", source_id=CONFIRMED_DEMO)
    analyst = ctx.objects.get("nsotc_analyst")
    candidate = hit.candidates.filter(false_match=False).order_by("rank").first()
    if hit.status == HitStatus.AWAITING_REVIEW and analyst is not None and candidate is not None:
        hit_decide(actor=analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=candidate,
                   note="Same name, date of birth and flight history.")  # fmt: skip
    queued = Hit.objects.filter(source_id__startswith="DEMO-", status__in=HitStatus.open_statuses()).count()
    ctx.say(f"demo hits: created {created}, unchanged {len(DEMO_HITS) - created}, {queued} waiting for review")
