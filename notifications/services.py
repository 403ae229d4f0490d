"""Writes of the notifications app. ``publish_event`` is the one entry point every other app uses."""

from __future__ import annotations

from typing import Any


def publish_event(
    *,
    event_type: str,
    registrant: Any,
    actor: Any,
    source: Any = None,
    context: dict | None = None,
    dedupe_key: str = "",
) -> list:
    """Route an event to its recipients and write one outbox notification per recipient.

    Call it inside the transaction that records the event, so that both commit or neither does.
    ``source`` is the record the event is about (travel notice, hit, case, foreign notice);
    ``context`` carries what routing needs beyond the registrant (e.g. ``{"countries": ["FR"]}``).
    ``dedupe_key`` makes a repeated call (a deadline check run twice) write nothing new.
    Returns the notifications written.
    """
    return []
