"""Fixtures of the travel notice and case tests: registrants in each scope, and a recorder of the
events the services publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.cases.factories_travel import make_registrant


@dataclass
class Published:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> list:
        self.calls.append(kwargs)
        return [object()]

    def types(self) -> list[str]:
        return [str(c["event_type"]) for c in self.calls]

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["event_type"] == event_type]


@pytest.fixture
def published(monkeypatch) -> Published:
    """Every ``publish_event`` call made by the travel and case services and deadline checks."""
    recorder = Published()
    for module in ("cases.services.travel", "cases.services.cases", "cases.tasks"):
        monkeypatch.setattr(f"{module}.publish_event", recorder)
    return recorder


@pytest.fixture
def people(world):
    """A VA registrant, an MD registrant, and a VA registrant who works on Fort Belvoir."""

    class People:
        pass

    p = People()
    p.va = make_registrant(world.va)
    p.md = make_registrant(world.md)
    p.belvoir = make_registrant(
        world.va, installation=world.installation, works_on_installation=True, dod_component="army"
    )
    return p
