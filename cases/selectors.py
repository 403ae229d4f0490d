"""Scoped reads of travel notices and cases. Every list, detail, count and queue reads through
``visible_to``; nothing here hands out an unscoped queryset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .choices import CaseStatus
from .models import Case, CaseAttachment, CaseEvent, CaseNote, ItineraryLeg, TravelNotice


def travel_notice_list(*, user: Any) -> QuerySet[TravelNotice]:
    legs = Prefetch("legs", queryset=ItineraryLeg.objects.order_by("order", "id"))
    return (
        TravelNotice.objects.visible_to(user).select_related("registrant", "agency", "filed_by").prefetch_related(legs)
    )


def travel_notice_detail_queryset(*, user: Any) -> QuerySet[TravelNotice]:
    return travel_notice_list(user=user).prefetch_related(
        Prefetch("cases", queryset=Case.objects.select_related("assignee")),
    )


def case_list(*, user: Any) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("registrant", "assignee", "travel_notice")


def case_detail_queryset(*, user: Any) -> QuerySet[Case]:
    return (
        case_list(user=user)
        .select_related("registrant__registering_agency", "travel_notice__agency")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("notes", queryset=CaseNote.objects.select_related("author")),
            Prefetch("attachments", queryset=CaseAttachment.objects.select_related("uploaded_by")),
            Prefetch("travel_notice__legs", queryset=ItineraryLeg.objects.order_by("order", "id")),
        )
    )


# --- NSOTC queues -------------------------------------------------------------------------------

QUEUES: dict[str, str] = {
    "all": "All",
    "unassigned": "Unassigned",
    "mine": "Mine",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "late": "Late notices",
}


def queue_condition(queue: str, *, user: Any) -> Q:
    """The rows of a named queue. Queues of work (unassigned, due soon, overdue, late) hold only
    cases still being vetted; "mine" holds every case of the user that is not closed."""
    today = timezone.localdate()
    active = Q(status__in=CaseStatus.active())
    conditions = {
        "all": Q(),
        "unassigned": active & Q(assignee__isnull=True),
        "mine": Q(assignee_id=getattr(user, "pk", None)) & ~Q(status=CaseStatus.CLOSED),
        "due_soon": active & Q(due_date__gte=today, due_date__lte=today + timedelta(days=settings.CASES_DUE_SOON_DAYS)),
        "overdue": active & Q(due_date__lt=today),
        "late": active & Q(travel_notice__is_late=True),
    }
    if queue not in conditions:
        raise ValueError(f"unknown queue {queue!r}")
    return conditions[queue]


def case_queue_counts(*, user: Any) -> dict[str, int]:
    """The number of cases in each queue the user sees, in one query."""
    qs = Case.objects.visible_to(user)
    aggregates = {name: Count("pk", filter=queue_condition(name, user=user)) for name in QUEUES if name != "all"}
    aggregates["all"] = Count("pk")
    return qs.aggregate(**aggregates)


# --- registrant timeline -------------------------------------------------------------------------


def registrant_travel_timeline(registrant: Any, user: Any) -> list:
    """The registrant's travel notices and case events the user may see, for the registrant page
    (registered as a timeline provider; two queries whatever the history's length)."""
    from rsoits.registry import TimelineEntry

    entries: list[TimelineEntry] = []
    notices = TravelNotice.objects.visible_to(user).filter(registrant=registrant).select_related("filed_by")
    for notice in notices:
        flags = []
        if notice.travel_prohibited_flag:
            flags.append("TRAVEL PROHIBITED")
        if notice.fugitive_flag:
            flags.append("FUGITIVE")
        if notice.is_late:
            flags.append(f"LATE ({notice.days_of_notice} days)")
        title = (
            f"Travel notice #{notice.pk}: {notice.get_purpose_display()}, departing {notice.departure_date:%Y-%m-%d}"
        )
        if flags:
            title += " — " + ", ".join(flags)
        entries.append(
            TimelineEntry(
                at=notice.submitted_at or notice.created_at,
                kind="travel notice",
                title=title,
                detail=f"Status: {notice.get_status_display()}",
                url=notice.get_absolute_url(),
                actor=notice.filed_by.get_username() if notice.filed_by else "system",
            )
        )
        if notice.return_recorded_at:
            entries.append(
                TimelineEntry(
                    at=notice.return_recorded_at,
                    kind="travel notice",
                    title=f"After the trip of notice #{notice.pk}: {notice.get_return_outcome_display()}",
                    url=notice.get_absolute_url(),
                )
            )
    events = (
        CaseEvent.objects.filter(case__in=Case.objects.visible_to(user).filter(registrant=registrant).values("pk"))
        .select_related("actor")
        .order_by("at", "id")
    )
    for event in events:
        status = CaseStatus(event.to_status).label
        change = f"{CaseStatus(event.from_status).label} → {status}" if event.from_status else f"opened ({status})"
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="case",
                title=f"Case #{event.case_id}: {change}",
                detail=event.reason,
                url=reverse("case_detail", args=[event.case_id]),
                actor=event.actor.get_username() if event.actor else "system",
            )
        )
    return entries
