"""Scoped reads of foreign notices, inbound notices, passport actions, the International Megan's
Law annual report, and the figures of the home-page dashboards. Everything starts from
``visible_to``: a figure never counts a record the user may not see."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from .choices import CaseStatus, TravelNoticeStatus
from .choices_foreign import ComplaintStatus, ForeignNoticeStatus, PassportActionStatus
from .models import (
    Case,
    ForeignNotice,
    ForeignNoticeComplaint,
    InboundForeignNotice,
    ItineraryLeg,
    NoNoticeDecision,
    PassportAction,
    TravelNotice,
)


def foreign_notice_list(*, user: Any) -> QuerySet[ForeignNotice]:
    return ForeignNotice.objects.visible_to(user).select_related("registrant", "ncb", "case")


def foreign_notice_detail_queryset(*, user: Any) -> QuerySet[ForeignNotice]:
    return foreign_notice_list(user=user).select_related("corrects", "sent_by", "prepared_by", "acknowledged_by")


def inbound_notice_list(*, user: Any) -> QuerySet[InboundForeignNotice]:
    return InboundForeignNotice.objects.visible_to(user).select_related("ncb")


def passport_action_list(*, user: Any) -> QuerySet[PassportAction]:
    return PassportAction.objects.visible_to(user).select_related("registrant", "requesting_agency", "requested_by")


def usncb_queue(*, user: Any) -> QuerySet[Case]:
    """Forwarded cases with a destination country that has neither a notice nor a decision not
    to send: USNCB's work to do."""
    cases = (
        Case.objects.visible_to(user)
        .filter(status=CaseStatus.FORWARDED)
        .select_related("registrant", "travel_notice")
        .prefetch_related("travel_notice__legs", "foreign_notices", "no_notice_decisions")
        .order_by("travel_notice__departure_date", "id")
    )
    return cases


def pending_countries(case: Case) -> list[str]:
    """Destination countries of a forwarded case still without a notice or a decision (uses the
    prefetched rows of ``usncb_queue``)."""
    if case.travel_notice is None:
        return []
    legs = sorted(case.travel_notice.legs.all(), key=lambda leg: leg.order)
    done = {n.country for n in case.foreign_notices.all() if n.corrects_id is None}
    done |= {d.country for d in case.no_notice_decisions.all()}
    return [c for c in dict.fromkeys(leg.country for leg in legs) if c not in done]


# --- International Megan's Law annual report (34 U.S.C. 21504) ------------------------------


@dataclass
class CountryRow:
    country: str
    notices: int = 0
    responses: int = 0
    not_sent: int = 0
    late: int = 0
    angel_watch_late: int = 0
    corrections: int = 0
    complaints: int = 0
    not_sent_reasons: Counter = field(default_factory=Counter)

    @property
    def country_name(self) -> str:
        import pycountry

        found = pycountry.countries.get(alpha_2=self.country)
        return found.name if found else self.country


def iml_report(*, user: Any, year: int) -> list[CountryRow]:
    """Per destination country for the calendar year: notices sent (originals), responses
    received, decisions not to send, notices sent after travel began ("late"), sent less than
    48 hours before departure, corrections, and complaints. Three grouped queries."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    rows: dict[str, CountryRow] = defaultdict(lambda: CountryRow(country=""))

    def row(country: str) -> CountryRow:
        item = rows[country]
        item.country = country
        return item

    sent = (
        ForeignNotice.objects.visible_to(user)
        .filter(status__in=ForeignNoticeStatus.went_out(), sent_at__date__gte=start, sent_at__date__lt=end)
        .values("country")
        .annotate(
            originals=Count("pk", filter=Q(corrects__isnull=True)),
            corrections=Count("pk", filter=Q(corrects__isnull=False)),
            responses=Count("pk", filter=Q(status=ForeignNoticeStatus.ACKNOWLEDGED)),
            late=Count("pk", filter=Q(corrects__isnull=True, sent_before_travel=False)),
            angel=Count("pk", filter=Q(corrects__isnull=True, sent_48h_ahead=False)),
        )
    )
    for entry in sent:
        item = row(entry["country"])
        item.notices, item.corrections, item.responses = entry["originals"], entry["corrections"], entry["responses"]
        item.late, item.angel_watch_late = entry["late"], entry["angel"]
    decisions = (
        NoNoticeDecision.objects.visible_to(user)
        .filter(decided_at__date__gte=start, decided_at__date__lt=end)
        .values("country", "reason")
        .annotate(n=Count("pk"))
    )
    for entry in decisions:
        item = row(entry["country"])
        item.not_sent += entry["n"]
        item.not_sent_reasons[entry["reason"]] += entry["n"]
    complaints = (
        ForeignNoticeComplaint.objects.visible_to(user)
        .filter(received_on__gte=start, received_on__lt=end)
        .values("notice__country")
        .annotate(n=Count("pk"))
    )
    for entry in complaints:
        row(entry["notice__country"]).complaints = entry["n"]
    return sorted(rows.values(), key=lambda r: r.country)


def iml_totals(rows: list[CountryRow]) -> CountryRow:
    total = CountryRow(country="Total")
    for r in rows:
        total.notices += r.notices
        total.responses += r.responses
        total.not_sent += r.not_sent
        total.late += r.late
        total.angel_watch_late += r.angel_watch_late
        total.corrections += r.corrections
        total.complaints += r.complaints
    return total


# --- dashboards ----------------------------------------------------------------------------


@dataclass
class TravelStats:
    months: list[str]
    per_month: list[int]
    median_days_per_month: list[float | None]
    late: int
    on_time: int
    top_countries: list[tuple[str, int]]
    median_days: float | None

    @property
    def total(self) -> int:
        return self.late + self.on_time

    @property
    def late_share(self) -> float | None:
        return round(100 * self.late / self.total, 1) if self.total else None


def _month_keys(today: date, count: int) -> list[str]:
    keys = []
    year, month = today.year, today.month
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(keys))


def travel_stats(*, user: Any, today: date, months: int = 12, top: int = 5) -> TravelStats:
    """Travel notices the user may see, submitted and given in the last ``months`` months: count
    per month, late share, median days of notice (per month and overall), and the top
    destination countries. Two queries whatever the volume."""
    keys = _month_keys(today, months)
    first = date.fromisoformat(keys[0] + "-01")
    notices = (
        TravelNotice.objects.visible_to(user)
        .exclude(status=TravelNoticeStatus.DRAFT)
        .filter(date_given__gte=first, date_given__lte=today)
    )
    rows = list(notices.values_list("date_given", "is_late", "days_of_notice"))
    by_month: dict[str, list[int]] = {k: [] for k in keys}
    late = 0
    all_days: list[int] = []
    for given, is_late, days in rows:
        key = f"{given.year:04d}-{given.month:02d}"
        if key in by_month:
            by_month[key].append(days if days is not None else 0)
        late += bool(is_late)
        if days is not None:
            all_days.append(days)
    countries = (
        ItineraryLeg.objects.filter(notice__in=notices.values("pk"))
        .values("country")
        .annotate(n=Count("notice", distinct=True))
        .order_by("-n", "country")[:top]
    )
    return TravelStats(
        months=keys,
        per_month=[len(by_month[k]) for k in keys],
        median_days_per_month=[statistics.median(by_month[k]) if by_month[k] else None for k in keys],
        late=late,
        on_time=len(rows) - late,
        top_countries=[(c["country"], c["n"]) for c in countries],
        median_days=statistics.median(all_days) if all_days else None,
    )


def usncb_counts(*, user: Any) -> dict[str, int]:
    """USNCB's queues in one query each: notices to review, to send, awaiting acknowledgement,
    open complaints, inbound notices this month."""
    notices = ForeignNotice.objects.visible_to(user).aggregate(
        drafts=Count("pk", filter=Q(status=ForeignNoticeStatus.DRAFT)),
        reviewed=Count("pk", filter=Q(status=ForeignNoticeStatus.REVIEWED)),
        awaiting_ack=Count("pk", filter=Q(status=ForeignNoticeStatus.SENT)),
    )
    notices["open_complaints"] = (
        ForeignNoticeComplaint.objects.visible_to(user).exclude(status=ComplaintStatus.ANSWERED).count()
    )
    return notices


def passport_counts(*, user: Any) -> dict[str, int]:
    return PassportAction.objects.visible_to(user).aggregate(
        requested=Count("pk", filter=Q(status=PassportActionStatus.REQUESTED)),
        submitted=Count("pk", filter=Q(status=PassportActionStatus.SUBMITTED)),
    )


def registrant_foreign_timeline(registrant: Any, user: Any) -> list:
    """Foreign notices and passport actions about the registrant that the user may see, for the
    registrant page (registered as a timeline provider; two queries)."""
    from rsoits.registry import TimelineEntry

    entries: list[TimelineEntry] = []
    notices = ForeignNotice.objects.visible_to(user).filter(registrant=registrant).select_related("ncb", "sent_by")
    for notice in notices:
        when = notice.sent_at or notice.prepared_at
        kind = "Correction" if notice.corrects_id else "Foreign notice"
        title = f"{kind} to {notice.country}: {notice.get_status_display()}"
        entries.append(
            TimelineEntry(
                at=when,
                kind="foreign notice",
                title=title,
                detail=notice.ncb.name,
                url=notice.get_absolute_url(),
                actor=notice.sent_by.get_username() if notice.sent_by else "",
            )
        )
    actions = PassportAction.objects.visible_to(user).filter(registrant=registrant).select_related("requesting_agency")
    for action in actions:
        entries.append(
            TimelineEntry(
                at=action.requested_at,
                kind="passport action",
                title=f"{action.get_kind_display()}: {action.get_status_display()}",
                detail=action.requesting_agency.name,
                url=action.get_absolute_url(),
            )
        )
    return entries
