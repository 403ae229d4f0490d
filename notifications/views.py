"""Notification pages: the inbox, a notification, the outbox (delivery failures and retry), the
routing matrix with its editor and preview, and a registrant's accounting of disclosures.
Reads go through the scoped selectors and are access-logged; writes through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from registrants.export import safe_cell
from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.admin_forms import apply_service_errors
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.principal import principal_for

from . import selectors, services
from .choices import EventType
from .filters import DisclosureFilterSet, NotificationFilterSet
from .forms import RoutingCellForm, RoutingPreviewForm
from .models import Disclosure, Notification
from .routing import plan_routing
from .tables import DisclosureTable, InboxTable, OutboxTable

PER_PAGE = 50
FUGITIVE_SLUGS = {"fugitive": True, "non-fugitive": False}


def _filtered(filterset):
    if not filterset.is_bound:
        return filterset.queryset
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def _require_system_admin(request: HttpRequest) -> None:
    if not principal_for(request.user).is_system_admin:
        raise PermissionDenied("Only a system administrator may use this screen.")


# --- inbox ------------------------------------------------------------------------------------


@login_required
def notification_inbox(request: HttpRequest) -> HttpResponse:
    filterset = NotificationFilterSet(request.GET or None, queryset=selectors.inbox(user=request.user))
    table = InboxTable(_filtered(filterset))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    log_access(request, AccessAction.LIST, model=Notification, count=rows)
    context = {"table": table, "filter": filterset, "unread": selectors.unread_counts(user=request.user)}
    return render(request, "notifications/notification_inbox.html", context)


@login_required
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, selectors.notification_detail_queryset(user=request.user), pk=pk)
    principal = principal_for(request.user)
    registrant_visible = bool(
        notification.registrant_id
        and Registrant.objects.visible_to(request.user).filter(pk=notification.registrant_id).exists()
    )
    can_acknowledge = (
        notification.acknowledged_at is None
        and notification.channel == "inbox"
        and Notification.objects.visible_to(request.user, "acknowledge").filter(pk=pk).exists()
    )
    context = {
        "notification": notification,
        "registrant_visible": registrant_visible,
        "can_acknowledge": can_acknowledge,
        "can_retry": principal.is_system_admin and notification.status == "failed",
        "history": history_rows(notification, exclude=("updated_at",)),
    }
    return render(request, "notifications/notification_detail.html", context)


@login_required
@require_POST
def notification_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, Notification.objects, "acknowledge", pk=pk)
    try:
        services.notification_acknowledge(actor=request.user, notification=notification)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("notification_detail", pk=pk)
    messages.success(request, "Notification acknowledged.")
    return redirect("notification_inbox")


# --- outbox (system admin) ----------------------------------------------------------------------


@login_required
def notification_outbox(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    filterset = NotificationFilterSet(request.GET or None, queryset=selectors.outbox(user=request.user))
    table = OutboxTable(_filtered(filterset))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    log_access(request, AccessAction.LIST, model=Notification, count=rows)
    context = {"table": table, "filter": filterset, "events": selectors.events_with_unresolved(user=request.user)}
    return render(request, "notifications/notification_outbox.html", context)


@login_required
@require_POST
def notification_retry(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, Notification.objects, "retry", pk=pk)
    try:
        services.notification_retry(actor=request.user, notification=notification)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The notification will be sent again.")
    return redirect("notification_detail", pk=pk)


# --- routing rules (system admin) ---------------------------------------------------------------


@login_required
def routingrule_matrix(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    return render(
        request, "notifications/routingrule_matrix.html", {"rows": selectors.routing_matrix(user=request.user)}
    )


@login_required
def routingrule_edit(request: HttpRequest, event_type: str, fugitive: str) -> HttpResponse:
    _require_system_admin(request)
    if event_type not in EventType.values or fugitive not in FUGITIVE_SLUGS:
        raise Http404("No such routing cell.")
    is_fugitive = FUGITIVE_SLUGS[fugitive]
    rules = list(selectors.routing_rules(user=request.user).filter(event_type=event_type, fugitive=is_fugitive))
    form = RoutingCellForm(request.POST or None, rules=rules)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.routing_cell_update(
                    actor=request.user, event_type=event_type, fugitive=is_fugitive, rows=form.cleaned_rows()
                )
            except ValidationError as exc:
                errors = {}
                for key, value in exc.message_dict.items():
                    role, _, field = key.partition(".")
                    errors[f"{role}__{field}" if field else key] = value
                apply_service_errors(form, ValidationError(errors))
            else:
                messages.success(request, "Routing rules saved; the previous version is kept in their history.")
                return redirect("routingrule_matrix")
        status = 400
    history = []
    for rule in rules:
        for row in history_rows(rule, exclude=("updated_at",)):
            history.append({**row, "rule": rule})
    history.sort(key=lambda r: r["when"], reverse=True)
    context = {
        "form": form,
        "event_label": EventType(event_type).label,
        "fugitive": is_fugitive,
        "history": history,
    }
    return render(request, "notifications/routingrule_edit.html", context, status=status)


@login_required
def routingrule_preview(request: HttpRequest) -> HttpResponse:
    """Who would be told of an event about a registrant, and why (nothing is sent)."""
    principal = principal_for(request.user)
    if not (principal.is_system_admin or principal.is_nsotc):
        raise PermissionDenied("Only a system administrator or NSOTC may preview routing.")
    form = RoutingPreviewForm(request.GET or None)
    plan = registrant = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            pk = form.cleaned_data["registrant"]
            if principal.is_system_admin:
                # A system admin sees the routing, never the record; the lookup is still logged.
                registrant = Registrant.objects.filter(pk=pk).first()
                if registrant is not None:
                    log_access(request, AccessAction.VIEW, obj=registrant)
            else:
                registrant = get_visible_or_404(request, Registrant.objects, pk=pk)
            if registrant is None:
                form.add_error("registrant", "No registrant with this number.")
                status = 400
            else:
                plan = plan_routing(
                    event_type=form.cleaned_data["event_type"],
                    registrant=registrant,
                    context={"countries": form.cleaned_data["countries"]},
                )
        else:
            status = 400
    context = {"form": form, "plan": plan, "registrant": registrant}
    return render(request, "notifications/routingrule_preview.html", context, status=status)


# --- accounting of disclosures --------------------------------------------------------------------


def _disclosures(request: HttpRequest, pk: int):
    registrant = get_visible_or_404(request, Registrant.objects, pk=pk, log=False)
    filterset = DisclosureFilterSet(
        request.GET or None, queryset=selectors.disclosures_of(user=request.user, registrant=registrant)
    )
    return registrant, filterset


@login_required
def disclosure_list(request: HttpRequest, pk: int) -> HttpResponse:
    registrant, filterset = _disclosures(request, pk)
    table = DisclosureTable(_filtered(filterset))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    log_access(request, AccessAction.LIST, model=Disclosure, object_id=registrant.pk, count=rows)
    context = {"registrant": registrant, "table": table, "filter": filterset}
    return render(request, "notifications/disclosure_list.html", context)


EXPORT_COLUMNS = [
    ("date", lambda d: d.disclosed_at.isoformat()),
    ("nature_and_purpose", lambda d: d.nature_and_purpose),
    ("recipient", lambda d: d.recipient_name),
    ("recipient_address", lambda d: d.recipient_address),
    ("channel", lambda d: d.channel),
    ("destination", lambda d: d.destination),
    ("sent_by", lambda d: d.sender_name),
]


@login_required
def disclosure_export(request: HttpRequest, pk: int) -> HttpResponse:
    import tablib

    registrant, filterset = _disclosures(request, pk)
    rows = list(_filtered(filterset))
    data = tablib.Dataset(headers=[name for name, _ in EXPORT_COLUMNS])
    for disclosure in rows:
        data.append([safe_cell(get(disclosure)) for _, get in EXPORT_COLUMNS])
    log_access(request, AccessAction.EXPORT, model=Disclosure, object_id=registrant.pk, count=len(rows))
    response = HttpResponse(data.export("csv"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="disclosures-{registrant.pk}.csv"'
    return response
