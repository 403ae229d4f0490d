"""Small registries through which higher apps contribute to pages of lower ones.

The registrant timeline lives in ``registrants`` but shows travel notices, hits, cases and
notifications; ``cases`` and ``notifications`` register providers here instead of being imported
by ``registrants`` (dependencies run one way: core <- registrants <- cases).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # short label: "history", "travel notice", "hit", "case", "notification"
    title: str
    detail: str = ""
    url: str = ""
    actor: str = ""


TimelineProvider = Callable[[Any, Any], Iterable[TimelineEntry]]  # (registrant, user) -> entries

_timeline_providers: list[TimelineProvider] = []


def register_timeline_provider(provider: TimelineProvider) -> TimelineProvider:
    if provider not in _timeline_providers:
        _timeline_providers.append(provider)
    return provider


def timeline_providers() -> list[TimelineProvider]:
    return list(_timeline_providers)
