"""Home-page panels of the cases app: each role's queues, and the travel-notice charts (notices
per month, late share, top destination countries, median days of notice), each figure computed
only over what the user may see and shown beside its data table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from rsoits.choices import Role
from rsoits.principal import principal_for
from rsoits.registry import HomePanel

from . import selectors_foreign as selectors
from .choices import TravelNoticeStatus
from .models import TravelNotice

CHART_ROLES = {*Role.sora_roles(), *Role.nsotc_roles(), Role.USNCB_OFFICER, Role.INSTALLATION_LEA}


def _country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return getattr(found, "common_name", None) or (found.name if found else code)


def travel_charts_panel(request: Any) -> HomePanel | None:
    principal = principal_for(request.user)
    if not principal.roles & CHART_ROLES:
        return None
    stats = selectors.travel_stats(user=request.user, today=timezone.localdate())
    chart_data = {
        "months": stats.months,
        "perMonth": stats.per_month,
        "medianDays": stats.median_days_per_month,
        "late": stats.late,
        "onTime": stats.on_time,
        "countries": [_country_name(c) for c, _ in stats.top_countries],
        "countryCounts": [n for _, n in stats.top_countries],
    }
    context = {
        "stats": stats,
        "chart_data": chart_data,
        "month_rows": list(zip(stats.months, stats.per_month, stats.median_days_per_month, strict=True)),
        "country_rows": [(c, _country_name(c), n) for c, n in stats.top_countries],
    }
    return HomePanel("Travel notices, last 12 months", "rsoits/home_panel_charts.html", context, order=50, charts=True)


def _link(url_name: str, query: str = "") -> str | None:
    try:
        return reverse(url_name) + query
    except NoReverseMatch:
        return None


def _rows(rows: list[tuple[str, int, str, str]]) -> list[dict[str, Any]]:
    return [{"label": label, "count": n, "url": _link(name, query)} for label, n, name, query in rows]


def nsotc_queue_panel(request: Any) -> HomePanel | None:
    principal = principal_for(request.user)
    if not principal.is_nsotc:
        return None
    from .selectors import QUEUES, case_queue_counts

    counts = case_queue_counts(user=request.user)
    rows = [(label, counts[name], "case_list", f"?queue={name}") for name, label in QUEUES.items() if name != "all"]
    passport = selectors.passport_counts(user=request.user)
    rows.append(
        ("Passport actions awaiting State", passport["requested"] + passport["submitted"], "passportaction_list", "")
    )
    return HomePanel("Queues", "rsoits/home_panel_queues.html", {"rows": _rows(rows)}, order=10)


def usncb_queue_panel(request: Any) -> HomePanel | None:
    principal = principal_for(request.user)
    if not principal.is_usncb:
        return None
    waiting = sum(1 for case in selectors.usncb_queue(user=request.user) if selectors.pending_countries(case))
    counts = selectors.usncb_counts(user=request.user)
    rows = [
        ("Forwarded cases waiting for notices", waiting, "foreignnotice_list", ""),
        ("Draft notices to review", counts["drafts"], "foreignnotice_list", "?status=draft"),
        ("Reviewed notices to send", counts["reviewed"], "foreignnotice_list", "?status=reviewed"),
        ("Sent, awaiting acknowledgement", counts["awaiting_ack"], "foreignnotice_list", "?status=sent"),
        ("Open complaints", counts["open_complaints"], "iml_report", ""),
    ]
    return HomePanel("Queues", "rsoits/home_panel_queues.html", {"rows": _rows(rows)}, order=10)


def sora_queue_panel(request: Any) -> HomePanel | None:
    principal = principal_for(request.user)
    if not principal.sora_agency_ids:
        return None
    today = timezone.localdate()
    counts = TravelNotice.objects.visible_to(request.user).aggregate(
        drafts=Count("pk", filter=Q(status=TravelNoticeStatus.DRAFT)),
        departing=Count(
            "pk",
            filter=Q(status__in=TravelNoticeStatus.live(), departure_date__gte=today)
            & Q(departure_date__lte=today + timedelta(days=30)),
        ),
        returns_due=Count(
            "pk", filter=Q(status__in=TravelNoticeStatus.live(), return_date__lt=today, return_outcome="")
        ),
    )
    passport = selectors.passport_counts(user=request.user)
    rows = [
        ("Draft travel notices", counts["drafts"], "travelnotice_list", "?status=draft"),
        ("Departing in the next 30 days", counts["departing"], "travelnotice_list", ""),
        ("Returns to confirm", counts["returns_due"], "travelnotice_list", ""),
        ("Passport actions awaiting State", passport["requested"] + passport["submitted"], "passportaction_list", ""),
    ]
    return HomePanel("Queues", "rsoits/home_panel_queues.html", {"rows": _rows(rows)}, order=10)


PROVIDERS = (nsotc_queue_panel, usncb_queue_panel, sora_queue_panel, travel_charts_panel)
