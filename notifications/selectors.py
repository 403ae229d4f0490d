"""Scoped reads of notifications, routing rules and disclosures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse

from rsoits.registry import TimelineEntry

from .choices import EventType
from .models import Disclosure, Notification, NotificationEvent, RoutingRule


def inbox(*, user: Any) -> QuerySet[Notification]:
    """The user's inbox: inbox notifications addressed to their agencies (and roles)."""
    return Notification.objects.inbox_of(user).select_related("agency", "acknowledged_by")


def unread_counts(*, user: Any) -> dict[str, Any]:
    """Unacknowledged inbox notifications, in total and per agency code (one query)."""
    rows = (
        Notification.objects.inbox_of(user)
        .filter(acknowledged_at__isnull=True)
        .values("agency__code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_agency = {row["agency__code"]: row["n"] for row in rows}
    return {"total": sum(per_agency.values()), "by_agency": per_agency}


def notification_detail_queryset(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.visible_to(user).select_related(
        "agency", "event", "acknowledged_by", "endpoint", "registrant"
    )


def outbox(*, user: Any) -> QuerySet[Notification]:
    """Every delivery, for a system admin managing failures."""
    return Notification.objects.visible_to(user, "retry").select_related("agency")


def events_with_unresolved(*, user: Any) -> QuerySet[NotificationEvent]:
    return NotificationEvent.objects.visible_to(user).exclude(unresolved=[]).order_by("-created_at")[:20]


def routing_rules(*, user: Any) -> QuerySet[RoutingRule]:
    return RoutingRule.objects.visible_to(user)


def routing_matrix(*, user: Any) -> list[dict[str, Any]]:
    """Event x (fugitive, non-fugitive) -> the active rules of each cell, for the matrix screen."""
    cells: dict[tuple[str, bool], list[RoutingRule]] = {}
    for rule in routing_rules(user=user).filter(active=True):
        cells.setdefault((rule.event_type, rule.fugitive), []).append(rule)
    return [
        {
            "event_type": value,
            "label": label,
            "fugitive": cells.get((value, True), []),
            "non_fugitive": cells.get((value, False), []),
        }
        for value, label in EventType.choices
    ]


def disclosures_of(*, user: Any, registrant: Any) -> QuerySet[Disclosure]:
    return (
        Disclosure.objects.visible_to(user)
        .filter(registrant=registrant)
        .select_related("recipient_agency", "sender")
        .order_by("-disclosed_at", "-id")
    )


def registrant_timeline(registrant: Any, user: Any) -> Iterable[TimelineEntry]:
    """Timeline entries for the registrant page: what was disclosed to whom (newest 50). The page
    calls providers only for a registrant the user may see."""
    rows = Disclosure.objects.filter(registrant=registrant).order_by("-disclosed_at")[:50]
    url = reverse("disclosure_list", args=[registrant.pk])
    return [
        TimelineEntry(
            at=d.disclosed_at,
            kind="notification",
            title=f"{EventType(d.event_type).label}: told {d.recipient_name}",
            detail=f"By {d.get_channel_display().lower()}{f' to {d.destination}' if d.destination else ''}.",
            url=url,
            actor=d.sender_name,
        )
        for d in rows
    ]


def published_dedupe_keys(*, event_type: str, keys: Iterable[str]) -> set[str]:
    """Which of these dedupe keys have already been published (one query for a whole sweep), so
    a deadline check skips what it has told before without routing it again."""
    wanted = [k[:200] for k in keys if k]
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(
            NotificationEvent.objects.filter(event_type=event_type, dedupe_key__in=chunk).values_list(
                "dedupe_key", flat=True
            )
        )
    return found
