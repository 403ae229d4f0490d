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


@dataclass(frozen=True)
class TimelineSource:
    """A provider and the rows its entries come from: ``("app_label.Model", "field")`` pairs,
    where ``field`` is the model's foreign key to the registrant. The registrant page asks the
    database in its own statement whether any such row exists, and calls the provider only then
    (most registrants have no travel, hits or cases: their page is spared a query per provider).
    A provider without sources is always called."""

    provider: TimelineProvider
    sources: tuple[tuple[str, str], ...] = ()


_timeline_providers: list[TimelineSource] = []


def register_timeline_provider(
    provider: TimelineProvider, *, sources: Iterable[tuple[str, str]] = ()
) -> TimelineProvider:
    if all(entry.provider is not provider for entry in _timeline_providers):
        _timeline_providers.append(TimelineSource(provider, tuple(sources)))
    return provider


def timeline_providers() -> list[TimelineSource]:
    return list(_timeline_providers)


# --- home-page panels --------------------------------------------------------------------
# Each role's home page shows queues and charts of the domain apps; core knows only that a
# provider returns a panel (or nothing) for the signed-in user's request.


@dataclass(frozen=True)
class HomePanel:
    title: str
    template: str  # rendered with ``panel`` in its context
    context: dict[str, Any]
    order: int = 100  # lower comes first
    charts: bool = False  # the page loads the chart script when any panel has charts


HomePanelProvider = Callable[[Any], "HomePanel | None"]  # (request) -> panel, or None if not for this user

_home_panel_providers: list[HomePanelProvider] = []


def register_home_panel(provider: HomePanelProvider) -> HomePanelProvider:
    if provider not in _home_panel_providers:
        _home_panel_providers.append(provider)
    return provider


def home_panels(request: Any) -> list[HomePanel]:
    """The panels every registered provider offers for ``request``, in display order."""
    panels = [panel for provider in _home_panel_providers if (panel := provider(request)) is not None]
    return sorted(panels, key=lambda panel: panel.order)
