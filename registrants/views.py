"""Registrant pages: list with search, filters, sorting and pagination; CSV export; detail
with the timeline. Every read goes through the scoped selectors and is access-logged."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from rsoits.access import get_visible_or_404, log_access
from rsoits.choices import AccessAction
from rsoits.registry import TimelineEntry, timeline_providers

from . import selectors
from .export import registrants_csv
from .filters import RegistrantFilterSet
from .models import Registrant
from .tables import RegistrantTable

EXPORT_LIMIT = 50_000


@login_required
def registrant_list(request: HttpRequest) -> HttpResponse:
    filterset = RegistrantFilterSet(request.GET or None, queryset=selectors.registrant_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    table = RegistrantTable(queryset.order_by("surname", "given_name", "id"))
    # LazyPaginator: no COUNT(*) over the registry on every page.
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    action = AccessAction.SEARCH if request.GET.get("q") else AccessAction.LIST
    log_access(request, action, model=Registrant, count=rows)
    return render(request, "registrants/registrant_list.html", {"table": table, "filter": filterset})


@login_required
def registrant_export(request: HttpRequest) -> HttpResponse:
    filterset = RegistrantFilterSet(request.GET or None, queryset=selectors.registrant_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    rows = list(queryset.order_by("surname", "given_name", "id")[:EXPORT_LIMIT])
    log_access(request, AccessAction.EXPORT, model=Registrant, count=len(rows))
    response = HttpResponse(registrants_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registrants.csv"'
    return response


def history_entries(registrant: Registrant) -> list[TimelineEntry]:
    entries = []
    for record in registrant.history.select_related("history_user").all():
        if record.history_type == "+":
            title, detail = "Registered", ""
        else:
            previous = record.prev_record
            changes = record.diff_against(previous).changes if previous else []
            title = "Record changed" if record.history_type == "~" else "Record deleted"
            detail = ", ".join(f"{c.field}: {c.old} → {c.new}" for c in changes if c.field != "updated_at")
        who = record.history_user.get_username() if record.history_user else "system"
        entries.append(TimelineEntry(at=record.history_date, kind="history", title=title, detail=detail, actor=who))
    return entries


@login_required
def registrant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registrant = get_visible_or_404(request, selectors.registrant_detail_queryset(user=request.user), pk=pk)
    timeline = history_entries(registrant)
    for provider in timeline_providers():
        timeline.extend(provider(registrant, request.user))
    timeline.sort(key=lambda e: e.at, reverse=True)
    return render(request, "registrants/registrant_detail.html", {"registrant": registrant, "timeline": timeline})
