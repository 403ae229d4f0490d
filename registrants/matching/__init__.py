"""Identity matching: find the registrants behind a reported identity (white paper IV.B).

The public interface used by the cases app (hits) and by ``manage.py screen``; the engine is
in ``engine.py``, the blocking index in ``index.py``, and docs/matching.md explains both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import models


class Decision(models.TextChoices):
    MATCH = "match", "Match"
    REVIEW = "review", "Review"
    NO_MATCH = "no_match", "No match"


@dataclass(frozen=True)
class Document:
    kind: str  # an IdentifierKind value: passport, visa, alien_number, ...
    number: str
    country: str = ""  # ISO 3166-1 alpha-2


@dataclass
class Subject:
    """An identity as a screening system reported it."""

    given_name: str = ""
    middle_name: str = ""
    surname: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    nationality: str = ""
    documents: list[Document] = field(default_factory=list)


@dataclass
class Candidate:
    registrant_id: int
    score: float  # in [0, 1]
    decision: str  # a Decision value
    explanation: str  # one line: "surname: phonetic match ALI~ALY; DOB: day and month swapped; passport: exact"
    fields: dict[str, str] = field(default_factory=dict)  # per-field explanation
    external_id: str = ""  # the registering agency's record number
    weight: float = 0.0  # total evidence in bits (log2 likelihood ratio) behind the score


@dataclass
class MatchResult:
    decision: str  # the best candidate's decision, or no_match
    candidates: list[Candidate] = field(default_factory=list)  # best first
    blocked: int = 0  # registrants the indexed keys proposed and that were scored


def match_subject(subject: Subject, *, exclude: Collection[int] = ()) -> MatchResult:
    """Match one subject against every registrant; ``exclude`` holds registrant ids not to raise
    (false matches already decided for this source record)."""
    return match_subjects([subject], exclude=[exclude])[0]


def match_subjects(
    subjects: Sequence[Subject], *, exclude: Sequence[Collection[int]] | None = None, snapshot: bool = False
) -> list[MatchResult]:
    """Match many subjects at once (batched candidate retrieval and scoring): a bounded number
    of queries per ``MATCH_SCREEN_BATCH`` subjects, whatever the size of the registry. With
    ``snapshot``, against this process's copy of the registry's matching data (read at the first
    such call, ``snapshot.py``): for screening a large file, where reading it once costs less
    than reading each batch's candidates."""
    from django.conf import settings

    from .engine import match_batch

    subjects = list(subjects)
    exclusions: list[Collection[int]] = list(exclude) if exclude is not None else [()] * len(subjects)
    if len(exclusions) != len(subjects):
        raise ValueError("exclude must hold one collection of registrant ids per subject")
    size = max(1, settings.MATCH_SCREEN_BATCH)
    registry = None
    if snapshot:
        from .snapshot import registry_snapshot

        registry = registry_snapshot()
    results: list[MatchResult] = []
    for start in range(0, len(subjects), size):
        results.extend(match_batch(subjects[start : start + size], exclusions[start : start + size], registry))
    return results
