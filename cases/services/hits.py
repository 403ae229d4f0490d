"""Writes of hits: ingest (one by one or in batches), matching results, analysts' decisions.

Status changes only through ``TRANSITIONS``; every write runs inside ``acting_as(actor)`` so the
history rows name the user (or the system, for imports and the matching engine). A confirmed hit
raises its event through ``notifications.services.publish_event`` in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.choices import IdentifierKind
from registrants.matching import Document, MatchResult, Subject, match_subject, match_subjects
from registrants.models import Registrant
from rsoits.audit import audited_service
from rsoits.choices import Role
from rsoits.models import Agency
from rsoits.principal import principal_for

from ..choices_hits import DodPopulation, HitEventType, HitStatus, MatchDecision, ReviewDecision
from ..models import FalseMatch, Hit, HitCandidate, HitDecision

__all__ = [
    "HIT_INPUT_FIELDS",
    "NOTE_REQUIRED",
    "TRANSITIONS",
    "hit_decide",
    "hit_ingest",
    "hit_record",
    "hit_rematch",
    "hits_match",
    "submitting_agency_for",
    "submitting_agency_id_for",
]

# What a screening system may send (everything else on a hit is derived or decided here).
HIT_INPUT_FIELDS = {
    "event_type", "source", "source_id", "occurred_at", "port_code", "consular_post", "installation",
    "given_name", "middle_name", "surname", "date_of_birth", "sex", "nationality", "passport_number",
    "passport_country", "visa_number", "alien_number", "flight", "origin_country", "destination_country",
    "dod_component", "dod_affiliation", "dod_population", "national_guard", "foreign_record",
}  # fmt: skip

S, D = HitStatus, ReviewDecision

# (status, decision) -> new status. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    # the matching engine
    (S.NEW, D.AUTO_MATCH): S.CONFIRMED,
    (S.NEW, D.AUTO_REVIEW): S.AWAITING_REVIEW,
    (S.NEW, D.AUTO_NO_MATCH): S.NO_MATCH,
    # an NSOTC analyst (white paper IV.B: NSOTC vets every hit)
    (S.AWAITING_REVIEW, D.CONFIRMED_MATCH): S.CONFIRMED,
    (S.AWAITING_REVIEW, D.FALSE_MATCH): S.FALSE_MATCH,
    (S.AWAITING_REVIEW, D.DUPLICATE): S.DUPLICATE,
    (S.AWAITING_REVIEW, D.NEEDS_INFORMATION): S.NEEDS_INFORMATION,
    (S.NEEDS_INFORMATION, D.CONFIRMED_MATCH): S.CONFIRMED,
    (S.NEEDS_INFORMATION, D.FALSE_MATCH): S.FALSE_MATCH,
    (S.NEEDS_INFORMATION, D.DUPLICATE): S.DUPLICATE,
    (S.NEEDS_INFORMATION, D.NEEDS_INFORMATION): S.NEEDS_INFORMATION,
    # matching again (after more information, or a registry correction): back through the engine
    (S.AWAITING_REVIEW, D.REMATCHED): S.NEW,
    (S.NEEDS_INFORMATION, D.REMATCHED): S.NEW,
    (S.NO_MATCH, D.REMATCHED): S.NEW,
    (S.FALSE_MATCH, D.REMATCHED): S.NEW,
}
# A false match of one candidate while others are still open keeps the hit where it is.
PARTIAL_FALSE_MATCH = {S.AWAITING_REVIEW: S.AWAITING_REVIEW, S.NEEDS_INFORMATION: S.NEEDS_INFORMATION}
NOTE_REQUIRED = {D.DUPLICATE, D.NEEDS_INFORMATION}
ENGINE_DECISIONS = {
    MatchDecision.MATCH: D.AUTO_MATCH,
    MatchDecision.REVIEW: D.AUTO_REVIEW,
    MatchDecision.NO_MATCH: D.AUTO_NO_MATCH,
}


# --- ingest ------------------------------------------------------------------------------


# Foreign keys of a hit that the services set from rows they have just read.
RELATED_READ = ["submitting_agency", "submitted_by", "installation", "registrant", "duplicate_of"]


def submitting_agency_id_for(actor: Any, event_type: str | None = None) -> int:
    """The agency a user submits hits for: the one where they are a system client, else their
    NSOTC agency; USNCB logs the inbound foreign notices it receives (``foreign_inbound``) as
    hits of its own. Anyone else may not submit hits. (From the user's memberships: no query.)"""
    principal = principal_for(actor)
    agencies = principal.agencies_with_role(Role.SYSTEM_CLIENT) or principal.agencies_with_role(*Role.nsotc_roles())
    if not agencies and event_type == HitEventType.FOREIGN_INBOUND:
        agencies = principal.agencies_with_role(Role.USNCB_OFFICER)
    if not agencies:
        raise PermissionDenied("Only a system client or an NSOTC analyst may submit hits.")
    return min(agencies)


def submitting_agency_for(actor: Any, event_type: str | None = None) -> Agency:
    """The agency row of ``submitting_agency_id_for``."""
    return Agency.objects.get(pk=submitting_agency_id_for(actor, event_type))


def _resent(existing: Hit, agency_id: int, actor: Any) -> Hit:
    """A resend of a source record returns the hit already stored; a source record another
    agency submitted is not shown to this one."""
    if existing.submitting_agency_id != agency_id and not (actor is not None and principal_for(actor).is_nsotc):
        raise ValidationError({"source_id": "This source record was already submitted by another agency."})
    return existing


def _new_hit(*, actor: Any, agency: Agency | None, fields: dict[str, Any]) -> Hit:
    """A validated, unsaved hit of ``fields`` submitted by ``actor`` (for ``agency``)."""
    unknown = set(fields) - HIT_INPUT_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    if agency is None:
        agency_id = submitting_agency_id_for(actor, fields.get("event_type"))
    else:
        agency_id = agency.pk
        if actor is not None:
            submitting_agency_id_for(actor, fields.get("event_type"))  # the permission check
    hit = Hit(
        **fields,
        submitting_agency_id=agency_id,
        submitted_by=actor if actor is not None and actor.pk else None,
        status=HitStatus.NEW,
    )
    # Uniqueness is left to the insert (``_insert``), where a resend (or a concurrent twin) is
    # caught without a query ahead of every new hit; the agency, the user and the installation
    # are rows already read, not re-checked one query each.
    hit.full_clean(exclude=RELATED_READ, validate_unique=False, validate_constraints=False)
    return hit


def _stored_twin(hit: Hit, actor: Any) -> Hit | None:
    """After the insert of ``hit`` failed on a constraint: the hit already stored for its (source,
    source id), as ``_resent`` shows it to ``actor``; None when there is none (another constraint)."""
    existing = Hit.objects.filter(source=hit.source, source_id=hit.source_id).first()
    return None if existing is None else _resent(existing, hit.submitting_agency_id, actor)


def _insert(hit: Hit, actor: Any) -> tuple[Hit, bool]:
    """Insert ``hit``; ``(hit, True)``, or ``(the hit already stored, False)`` when its (source,
    source id) is. Race-safe: the unique constraint decides, and the loser reads the winner's row."""
    try:
        with transaction.atomic():
            hit.save()
    except IntegrityError:
        twin = _stored_twin(hit, actor)
        if twin is None:
            raise
        return twin, False
    return hit, True


@transaction.atomic
@audited_service
def hit_record(*, actor: Any, agency: Agency | None = None, **fields: Any) -> tuple[Hit, bool]:
    """Store a hit without matching it (a batch import matches its rows together afterwards,
    ``hits_match``); ``(hit, False)`` when the (source, source id) is already stored."""
    return _insert(_new_hit(actor=actor, agency=agency, fields=fields), actor)


def hit_ingest(*, actor: Any, agency: Agency | None = None, **fields: Any) -> tuple[Hit, bool]:
    """Match a hit and store it with its result. Returns ``(hit, created)``; a resend creates
    nothing and returns the hit already stored.

    The hit is matched before it is inserted, so that it is written once, already in the status
    the engine's decision gives it (one row and one history row, not an insert and an update);
    its ``HitDecision`` still records the move from new.

    A resend (or a concurrent twin) is caught by the unique constraint on the hit's insert. The
    transaction has written nothing before that insert, so it is rolled back whole (a savepoint
    only when the caller holds a transaction already) and the stored hit is read afterwards: the
    insert needs no savepoint of its own."""
    hit = _new_hit(actor=actor, agency=agency, fields=fields)
    try:
        return _match_and_store(hit, actor=actor), True
    except IntegrityError:
        twin = _stored_twin(hit, actor)
        if twin is None:
            raise  # (not a resend: some other constraint)
        return twin, False


@transaction.atomic
@audited_service
def _match_and_store(hit: Hit, *, actor: Any) -> Hit:
    result = match_subject(subject_of(hit), exclude=_false_matches([hit])[hit.pk])
    decision, registrant = _engine_decision(result)
    hit.decision = decision
    from_status = hit.status
    _move(hit, ENGINE_DECISIONS[decision], registrant=registrant)
    hit.save()  # the first write: a resend fails here, before anything else is written
    # (kept on the hit, in rank order, for the submitter's answer: ``selectors_hits.hit_just_stored``)
    hit.candidates_stored = _store_candidates(hit, result)
    _record_decision(
        hit, ENGINE_DECISIONS[decision], from_status=from_status, actor=None, registrant=registrant, new_hit=True
    )
    if hit.event_type == HitEventType.IMESA_MATCH:
        _publish_dod(hit, actor, new_hit=True)
    return hit


def _publish_dod(hit: Hit, actor: Any, *, new_hit: bool = False) -> None:
    """An IMESA result is already a match against the NSOR made by DoD, so it is routed when it
    arrives (DTM 15-003 att. 3): to the MCIO of the person's component, the installation LEA and
    component HR (name only), and the NGB Provost Marshal for Guard members (1.c(2), 2.d-2.f); a
    Delayed Entry Program match to MEPCOM as a name-only red flag (1.c(4)); a foreign record
    (INTERPOL Green Notice) to USNCB (2.c). RSOITS's own match, when there is one, names the
    registrant."""
    if hit.foreign_record:
        event_type = EventType.FOREIGN_CONVICTED_IN_DOD
    elif hit.dod_population == DodPopulation.DELAYED_ENTRY:
        event_type = EventType.IMESA_DEP_MATCH
    else:
        event_type = EventType.IMESA_MATCH
    publish_event(
        event_type=event_type,
        registrant=hit.registrant,
        actor=actor,
        source=hit,
        context={
            "installation_id": hit.installation_id,
            "component": hit.dod_component,
            "national_guard": hit.national_guard,
            "subject_name": " ".join(n for n in (hit.given_name, hit.middle_name, hit.surname) if n),
        },
        dedupe_key=f"hit:{hit.pk}:dod",
        key_is_new=new_hit,
    )


# --- matching ----------------------------------------------------------------------------


def subject_of(hit: Hit) -> Subject:
    """The hit's subject in the matching engine's terms."""
    documents = []
    if hit.passport_number:
        documents.append(Document(IdentifierKind.PASSPORT, hit.passport_number, hit.passport_country))
    if hit.visa_number:
        documents.append(Document(IdentifierKind.VISA, hit.visa_number, ""))
    if hit.alien_number:
        documents.append(Document(IdentifierKind.ALIEN_NUMBER, hit.alien_number, ""))
    return Subject(
        given_name=hit.given_name,
        middle_name=hit.middle_name,
        surname=hit.surname,
        date_of_birth=hit.date_of_birth,
        sex=hit.sex,
        nationality=hit.nationality,
        documents=documents,
    )


def _false_matches(hits: Sequence[Hit]) -> dict[int, set[int]]:
    """Registrants declared a false match for each hit's source record (one query)."""
    if len(hits) == 1:  # (the API's one hit: a plain look-up on the (source, source id) index)
        (hit,) = hits
        found = FalseMatch.objects.filter(source=hit.source, source_id=hit.source_id).order_by()
        return {hit.pk: set(found.values_list("registrant_id", flat=True))}
    condition = Q(pk__in=[])
    for hit in hits:
        condition |= Q(source=hit.source, source_id=hit.source_id)
    pairs = FalseMatch.objects.filter(condition).order_by().values_list("source", "source_id", "registrant_id")
    by_record: dict[tuple[str, str], set[int]] = defaultdict(set)
    for source, source_id, registrant_id in pairs:
        by_record[(source, source_id)].add(registrant_id)
    return {hit.pk: by_record.get((hit.source, hit.source_id), set()) for hit in hits}


@transaction.atomic
@audited_service
def hits_match(*, actor: Any = None, hits: Sequence[Hit]) -> None:
    """Match new hits in one batch (``match_subjects``) and record each result."""
    hits = [h for h in hits if h.status == HitStatus.NEW]
    if not hits:
        return
    excluded = _false_matches(hits)
    results = match_subjects([subject_of(h) for h in hits], exclude=[excluded[h.pk] for h in hits])
    for hit, result in zip(hits, results, strict=True):
        _apply_result(hit, result)
        if hit.event_type == HitEventType.IMESA_MATCH:
            _publish_dod(hit, actor)


def _engine_decision(result: MatchResult) -> tuple[str, Registrant | None]:
    """The engine's decision on a hit, and the registrant of an automatic match (read with the
    agency every routing of its events reads: the registering SORA; the installation, which only
    the DoD roles read, is read when one of them is routed)."""
    decision = result.decision if result.candidates else MatchDecision.NO_MATCH
    if decision != MatchDecision.MATCH:
        return decision, None
    best = next((c for c in result.candidates if c.decision == MatchDecision.MATCH), result.candidates[0])
    return decision, Registrant.objects.select_related("registering_agency").get(pk=best.registrant_id)


def _store_candidates(hit: Hit, result: MatchResult) -> list[HitCandidate]:
    return HitCandidate.objects.bulk_create(
        HitCandidate(
            hit=hit,
            registrant_id=c.registrant_id,
            rank=rank,
            score=min(max(float(c.score), 0.0), 1.0),
            decision=c.decision,
            explanation=c.explanation,
            fields=c.fields,
        )
        for rank, c in enumerate(result.candidates, start=1)
    )


def _apply_result(hit: Hit, result: MatchResult) -> None:
    """Store the ranked candidates of a stored hit and move it on: an automatic match confirms
    it, a review puts it in the queue, no match closes it."""
    _store_candidates(hit, result)
    decision, registrant = _engine_decision(result)
    hit.decision = decision
    _transition(hit, ENGINE_DECISIONS[decision], actor=None, registrant=registrant)


# --- decisions ---------------------------------------------------------------------------


def _move(
    hit: Hit,
    decision: str,
    *,
    registrant: Registrant | None = None,
    duplicate_of: Hit | None = None,
    to_status: str | None = None,
) -> None:
    """Set the status ``decision`` moves ``hit`` to (``TRANSITIONS``), in memory."""
    key = (hit.status, decision)
    if key not in TRANSITIONS:
        raise ValidationError(
            {
                "decision": f"A hit that is {hit.get_status_display().lower()} cannot be given the decision "
                f"'{ReviewDecision(decision).label}'."
            }
        )
    hit.status = to_status or TRANSITIONS[key]
    if hit.status == HitStatus.CONFIRMED:
        hit.registrant = registrant
        hit.confirmed_at = timezone.now()
    if duplicate_of is not None:
        hit.duplicate_of = duplicate_of
    hit.full_clean(exclude=RELATED_READ, validate_unique=False, validate_constraints=False)


def _record_decision(
    hit: Hit,
    decision: str,
    *,
    from_status: str,
    actor: Any,
    registrant: Registrant | None = None,
    duplicate_of: Hit | None = None,
    note: str = "",
    new_hit: bool = False,
) -> HitDecision:
    """Record the decision that moved a stored hit from ``from_status``; a confirmed hit raises
    its event (``new_hit``: inserted in this transaction, so nothing was published or opened for
    it before)."""
    record = HitDecision(
        hit=hit,
        decision=decision,
        registrant=registrant,
        duplicate_of=duplicate_of,
        from_status=from_status,
        to_status=hit.status,
        note=note,
        decided_by=actor if actor is not None and actor.pk else None,
    )
    record.full_clean(exclude=["hit", "registrant", "duplicate_of", "decided_by"])  # (rows in hand)
    record.save()
    if hit.status == HitStatus.CONFIRMED:
        _publish_confirmed(hit, actor, new_hit=new_hit)
    return record


def _transition(
    hit: Hit,
    decision: str,
    *,
    actor: Any,
    registrant: Registrant | None = None,
    duplicate_of: Hit | None = None,
    note: str = "",
    to_status: str | None = None,
) -> HitDecision:
    """Move a stored hit on by ``decision`` and record it."""
    from_status = hit.status
    _move(hit, decision, registrant=registrant, duplicate_of=duplicate_of, to_status=to_status)
    hit.save()
    return _record_decision(
        hit, decision, from_status=from_status, actor=actor, registrant=registrant, duplicate_of=duplicate_of, note=note
    )


def _publish_confirmed(hit: Hit, actor: Any, *, new_hit: bool = False) -> None:
    """White paper VI: a confirmed identity event goes to the agencies the routing rules name
    for its event type (DESIGN.md "Who is told what")."""
    if hit.event_type == HitEventType.IMESA_MATCH:
        return  # routed on arrival (_publish_dod); DoD, not NSOTC, works IMESA matches
    context = {"countries": [hit.destination_country]} if hit.destination_country else None
    publish_event(
        event_type=hit.event_type,
        registrant=hit.registrant,
        actor=actor,
        source=hit,
        context=context,
        dedupe_key=f"hit:{hit.pk}:confirmed",
        key_is_new=new_hit,  # (the key names the hit inserted in this transaction)
    )
    # A confirmed hit opens an NSOTC case, as a submitted travel notice does (DESIGN.md "Case").
    from .cases import case_open_for_hit

    case_open_for_hit(
        actor=actor,
        registrant=hit.registrant,
        hit_id=hit.pk,
        reason=f"Opened by a confirmed {hit.get_event_type_display().lower()} hit ({hit.source} {hit.source_id}).",
        new_hit=new_hit,
    )


def _check_can_decide(actor: Any, hit: Hit) -> Hit:
    if actor is None or not Hit.objects.visible_to(actor, "change").filter(pk=hit.pk).exists():
        raise PermissionDenied("Only an NSOTC analyst decides hits.")
    # Two analysts deciding the same hit at once: the second waits, then sees the first's status.
    return Hit.objects.select_for_update().get(pk=hit.pk)


@transaction.atomic
@audited_service
def hit_decide(
    *,
    actor: Any,
    hit: Hit,
    decision: str,
    candidate: HitCandidate | None = None,
    duplicate_of: Hit | None = None,
    note: str = "",
) -> HitDecision:
    """Record an analyst's decision: confirmed match (of one candidate), false match (of one
    candidate, or of all open ones, remembered for the source record), duplicate hit (of another
    hit) or needs more information. The note is required for the last two."""
    hit = _check_can_decide(actor, hit)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if decision not in dict(ReviewDecision.analyst_decisions()):
        errors["decision"] = "Choose confirmed match, false match, duplicate hit or needs more information."
    if decision in NOTE_REQUIRED and not note:
        errors["note"] = "Say why in a note."
    if candidate is not None:
        # read again under the hit's lock: another analyst may have just marked it
        candidate = hit.candidates.filter(pk=candidate.pk, false_match=False).select_related("registrant").first()
        if candidate is None:
            errors["candidate"] = "Choose one of this hit's open candidates."
    if decision == D.CONFIRMED_MATCH and candidate is None:
        errors.setdefault("candidate", "Choose the candidate the hit is confirmed against.")
    if decision == D.DUPLICATE and duplicate_of is not None:
        if duplicate_of.pk == hit.pk:
            errors["duplicate_of"] = "A hit cannot duplicate itself."
        elif not Hit.objects.visible_to(actor).filter(pk=duplicate_of.pk).exists():
            errors["duplicate_of"] = "No such hit."
    if errors:
        raise ValidationError(errors)
    if decision == D.CONFIRMED_MATCH:
        return _transition(hit, decision, actor=actor, registrant=candidate.registrant, note=note)
    if decision == D.FALSE_MATCH:
        return _false_match(hit, actor=actor, candidate=candidate, note=note)
    return _transition(hit, decision, actor=actor, duplicate_of=duplicate_of, note=note)


def _false_match(hit: Hit, *, actor: Any, candidate: HitCandidate | None, note: str) -> HitDecision:
    open_candidates = list(hit.candidates.filter(false_match=False).select_related("registrant"))
    marked = [candidate] if candidate is not None else open_candidates
    remaining = [c for c in open_candidates if c.pk not in {m.pk for m in marked}]
    to_status = PARTIAL_FALSE_MATCH.get(hit.status) if remaining else None
    record = _transition(
        hit,
        D.FALSE_MATCH,
        actor=actor,
        registrant=candidate.registrant if candidate is not None else None,
        note=note,
        to_status=to_status,
    )
    HitCandidate.objects.filter(pk__in=[c.pk for c in marked]).update(false_match=True)
    for c in marked:
        FalseMatch.objects.get_or_create(
            source=hit.source,
            source_id=hit.source_id,
            registrant_id=c.registrant_id,
            defaults={"hit": hit, "decided_by": record.decided_by, "note": note},
        )
    return record


@transaction.atomic
@audited_service
def hit_rematch(*, actor: Any, hit: Hit) -> Hit:
    """Match a hit again (after more information, or when the registry changed). Registrants
    already declared a false match for its source record are not raised again."""
    hit = _check_can_decide(actor, hit)
    _transition(hit, D.REMATCHED, actor=actor)
    hit.candidates.all().delete()
    result = match_subject(subject_of(hit), exclude=_false_matches([hit])[hit.pk])
    _apply_result(hit, result)
    return hit
