"""Factories of hits and their candidates, for tests that set a hit's state directly (scoping,
queue order) rather than through ingest and matching."""

from datetime import UTC, datetime

import factory

from cases.choices_hits import HitEventType, HitSource, HitStatus, MatchDecision
from cases.models import Hit, HitCandidate


class HitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hit

    event_type = HitEventType.PORT_DEPARTURE
    source = HitSource.TECS_APIS
    source_id = factory.Sequence(lambda n: f"APIS-{n:06d}")
    occurred_at = factory.LazyFunction(lambda: datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    port_code = "IAD"
    given_name = "Test"
    surname = factory.Sequence(lambda n: f"Traveller{n}")
    status = HitStatus.AWAITING_REVIEW
    decision = MatchDecision.REVIEW


class HitCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HitCandidate

    hit = factory.SubFactory(HitFactory)
    rank = 1
    score = 0.8
    decision = MatchDecision.REVIEW
    explanation = "surname: exact; DOB: exact"
    fields = factory.LazyFunction(lambda: {"surname": "exact", "dob": "exact"})
