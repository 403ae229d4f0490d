"""Scoped reads of the cases app. Every hit read goes through ``Hit.objects.visible_to`` and
shows only the candidates whose registrants the reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Concat

from registrants.models import Registrant
from rsoits.models import Agency
from rsoits.principal import principal_for
from rsoits.registry import TimelineEntry

from .choices_hits import HitStatus
from .models import Hit, HitCandidate, HitDecision

__all__ = [
    "hit_api_queryset",
    "hit_detail_queryset",
    "hit_just_stored",
    "hit_list",
    "hit_queue",
    "hit_timeline_entries",
    "visible_candidates",
]


def visible_candidates(user: Any) -> QuerySet[HitCandidate]:
    """Candidates of registrants ``user`` may see: the others are never shown, counted or hinted at."""
    registrants = Registrant.objects.visible_to(user)
    candidates = HitCandidate.objects.select_related("registrant__registering_agency")
    if registrants.query.where:  # (NSOTC sees every registrant: no subquery needed)
        # Correlated on the candidate's registrant, so that each candidate's registrant is looked
        # up by primary key: a hit has at most a few hundred candidates, the registry a million.
        candidates = candidates.filter(Exists(registrants.filter(pk=OuterRef("registrant_id"))))
    return candidates.order_by("rank")


def hit_list(*, user: Any) -> QuerySet[Hit]:
    """Hits ``user`` may see; ``registrant_visible`` says whether the confirmed registrant (if
    any) is one the user may see too: a system client learns that its hit was confirmed, not who."""
    visible = Registrant.objects.visible_to(user).filter(pk=OuterRef("registrant_id"))
    return (
        Hit.objects.visible_to(user)
        .select_related("submitting_agency", "installation", "registrant")
        .annotate(registrant_visible=Exists(visible))
    )


def hit_detail_queryset(*, user: Any) -> QuerySet[Hit]:
    candidates = visible_candidates(user).prefetch_related(
        "registrant__names", "registrant__birth_dates", "registrant__identifiers"
    )
    return hit_list(user=user).prefetch_related(
        Prefetch("candidates", queryset=candidates, to_attr="visible_candidates"),
        Prefetch("decisions", queryset=HitDecision.objects.select_related("decided_by", "registrant")),
    )


def hit_api_queryset(*, user: Any) -> QuerySet[Hit]:
    return hit_list(user=user).prefetch_related(
        Prefetch("candidates", queryset=visible_candidates(user), to_attr="visible_candidates")
    )


def hit_just_stored(hit: Hit, *, user: Any) -> Hit:
    """A hit ``user`` has just submitted (``hit_ingest``), ready for the API's serializer as
    ``hit_api_queryset`` reads it. The hit and its candidates are in hand (``candidates_stored``),
    so only the candidates' registrants that the user may see are read, in one query (none when
    there is no candidate). An automatic match confirms one of the candidates, so whether the user
    may see the confirmed registrant is known from them. The submitting agency is the user's own:
    its code comes from the user's memberships, already read."""
    candidates = getattr(hit, "candidates_stored", None)
    if candidates is None:
        candidates = list(hit.candidates.order_by("rank"))
    seen: dict[int, Registrant] = {}
    registrants = Registrant.objects.visible_to(user)
    if candidates and not registrants.query.is_empty():  # (a system client sees none: nothing to compile)
        registrants = registrants.select_related("registering_agency")
        seen = {r.pk: r for r in registrants.filter(pk__in=[c.registrant_id for c in candidates])}
    hit.visible_candidates = []
    for candidate in candidates:
        if candidate.registrant_id in seen:
            candidate.registrant = seen[candidate.registrant_id]
            hit.visible_candidates.append(candidate)
    hit.registrant_visible = hit.registrant_id is not None and hit.registrant_id in seen
    ref = principal_for(user).agency_refs.get(hit.submitting_agency_id)
    if ref is not None and not Hit.submitting_agency.is_cached(hit):
        # (the other fields deferred: read from the database only if something asks for them)
        hit.submitting_agency = Agency.from_db(None, ["id", "code", "ori"], [hit.submitting_agency_id, *ref])
    return hit


def hit_queue(*, user: Any) -> QuerySet[Hit]:
    """Hits waiting for an analyst: fugitives first (white paper VI.3: a fugitive's hit goes to
    the warrant agency at once), then the oldest."""
    fugitive = Exists(HitCandidate.objects.filter(hit=OuterRef("pk"), false_match=False, registrant__is_fugitive=True))
    # The best candidate still open, for triage from the list (in the same statement).
    best = visible_candidates(user).select_related(None).filter(hit=OuterRef("pk"), false_match=False)
    return (
        hit_list(user=user)
        .open()
        .annotate(
            fugitive_candidate=fugitive,
            best_score=Subquery(best.values("score")[:1]),
            best_name=Subquery(
                best.annotate(name=Concat("registrant__surname", Value(", "), "registrant__given_name")).values("name")[
                    :1
                ]
            ),
        )
        .order_by("-fugitive_candidate", "received_at", "id")
    )


def hit_timeline_entries(registrant: Registrant, user: Any) -> list[TimelineEntry]:
    """The registrant timeline's hit entries: each hit confirmed against the registrant that
    ``user`` may see, with who confirmed it (the matching engine, or an analyst)."""
    confirming = HitDecision.objects.filter(to_status=HitStatus.CONFIRMED).select_related("decided_by")
    hits = (
        Hit.objects.visible_to(user)
        .filter(registrant=registrant, status=HitStatus.CONFIRMED)
        .select_related("installation")
        .prefetch_related(Prefetch("decisions", queryset=confirming, to_attr="confirming"))
    )
    entries = []
    for hit in hits:
        decision = hit.confirming[-1] if hit.confirming else None
        where = f" at {hit.location}" if hit.location else ""
        entries.append(
            TimelineEntry(
                at=hit.confirmed_at or hit.received_at,
                kind="hit",
                title=f"{hit.get_event_type_display()} confirmed",
                detail=f"{hit.get_source_display()} record {hit.source_id}{where}, "
                f"{hit.occurred_at:%Y-%m-%d %H:%M} UTC",
                url=hit.get_absolute_url(),
                actor=decision.decided_by.get_username() if decision and decision.decided_by else "matching",
            )
        )
    return entries
