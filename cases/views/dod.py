"""DoD pages: the installation LEA's monitoring queue, plans and checks; UCMJ separation
notices filed by a Service and acknowledged by the state registry and NSOTC. Every read goes
through the scoped querysets; records holding a registrant are access-logged."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.forms import apply_service_errors
from rsoits.principal import principal_for

from .. import services
from ..choices_dod import MonitoringStatus
from ..forms_dod import MonitoringCheckForm, MonitoringEndForm, MonitoringPlanForm, SeparationNoticeForm
from ..models.dod import InstallationMonitoring, SeparationNotice
from ..tables_dod import MonitoringTable, SeparationTable

# --- installation monitoring ------------------------------------------------------------------


def _unmonitored(request: HttpRequest):
    """RSOs who live or work on the user's installations with no active plan yet."""
    installation_ids = principal_for(request.user).installation_ids
    if not installation_ids:
        return Registrant.objects.none()
    return (
        Registrant.objects.visible_to(request.user)
        .filter(installation_id__in=installation_ids)
        .exclude(monitorings__status=MonitoringStatus.ACTIVE)
        .select_related("installation")
        .order_by("surname", "given_name", "id")[:100]
    )


@login_required
def monitoring_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    queryset = InstallationMonitoring.objects.visible_to(request.user).select_related("registrant", "installation")
    queue = request.GET.get("queue", "active")
    if queue == "overdue":
        queryset = queryset.overdue(today)
    elif queue == "active":
        queryset = queryset.filter(status=MonitoringStatus.ACTIVE)
    table = MonitoringTable(queryset.order_by("next_check_due", "id"))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    log_access(request, AccessAction.LIST, model=InstallationMonitoring, count=len(table.page.object_list))
    context = {
        "table": table,
        "queue": queue,
        "overdue_count": InstallationMonitoring.objects.visible_to(request.user).overdue(today).count(),
        "unmonitored": list(_unmonitored(request)),
    }
    return render(request, "cases/monitoring_list.html", context)


@login_required
@require_POST
def monitoring_create(request: HttpRequest) -> HttpResponse:
    registrant = get_visible_or_404(
        request, Registrant.objects.select_related("installation"), pk=request.POST.get("registrant") or 0
    )
    if registrant.installation is None:
        messages.error(request, "registrant: this registrant is not affiliated with an installation.")
        return redirect("monitoring_list")
    try:
        monitoring = services.monitoring_start(
            actor=request.user, registrant=registrant, installation=registrant.installation
        )
    except ValidationError as exc:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        return redirect("monitoring_list")
    messages.success(request, "Monitoring opened: record the coordination with the state registry.")
    return redirect(monitoring)


def _monitoring_page(request, monitoring, *, plan_form=None, check_form=None, end_form=None, status=200):
    can_keep = monitoring.installation_id in principal_for(request.user).installation_ids
    context = {
        "monitoring": monitoring,
        "checks": monitoring.checks.select_related("checked_by"),
        "overdue": monitoring.is_overdue(timezone.localdate()),
        "can_keep": can_keep and monitoring.status == MonitoringStatus.ACTIVE,
        "plan_form": plan_form or MonitoringPlanForm(instance=monitoring, prefix="plan"),
        "check_form": check_form or MonitoringCheckForm(prefix="check", initial={"checked_on": timezone.localdate()}),
        "end_form": end_form or MonitoringEndForm(prefix="end", initial={"ended_on": timezone.localdate()}),
        "history": history_rows(monitoring),
    }
    return render(request, "cases/monitoring_detail.html", context, status=status)


def _monitoring(request: HttpRequest, pk: int, action: str = "view") -> InstallationMonitoring:
    queryset = InstallationMonitoring.objects.select_related(
        "registrant", "registrant__registering_agency", "installation", "coordinated_with"
    )
    return get_visible_or_404(request, queryset, action, pk=pk)


@login_required
def monitoring_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _monitoring_page(request, _monitoring(request, pk))


@login_required
@require_POST
def monitoring_update(request: HttpRequest, pk: int) -> HttpResponse:
    monitoring = _monitoring(request, pk, "change")
    form = MonitoringPlanForm(request.POST, instance=InstallationMonitoring.objects.get(pk=pk), prefix="plan")
    if form.is_valid():
        try:
            services.monitoring_update(
                actor=request.user, monitoring=monitoring, **{f: form.cleaned_data[f] for f in form.fields}
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Monitoring plan saved.")
            return redirect(monitoring)
    return _monitoring_page(request, monitoring, plan_form=form, status=400)


@login_required
@require_POST
def monitoring_check(request: HttpRequest, pk: int) -> HttpResponse:
    monitoring = _monitoring(request, pk, "change")
    form = MonitoringCheckForm(request.POST, prefix="check")
    if form.is_valid():
        try:
            services.monitoring_check_log(actor=request.user, monitoring=monitoring, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Check logged.")
            return redirect(monitoring)
    return _monitoring_page(request, monitoring, check_form=form, status=400)


@login_required
@require_POST
def monitoring_end(request: HttpRequest, pk: int) -> HttpResponse:
    monitoring = _monitoring(request, pk, "change")
    form = MonitoringEndForm(request.POST, prefix="end")
    if form.is_valid():
        try:
            services.monitoring_end(actor=request.user, monitoring=monitoring, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Monitoring ended.")
            return redirect(monitoring)
    return _monitoring_page(request, monitoring, end_form=form, status=400)


# --- UCMJ separation notices ------------------------------------------------------------------


def _can_file(request: HttpRequest) -> bool:
    return services.dod_filing_agency_id(request.user) is not None


@login_required
def separation_list(request: HttpRequest) -> HttpResponse:
    queryset = SeparationNotice.objects.visible_to(request.user).select_related("state_registry")
    table = SeparationTable(queryset)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    log_access(request, AccessAction.LIST, model=SeparationNotice, count=len(table.page.object_list))
    return render(request, "cases/separation_list.html", {"table": table, "can_file": _can_file(request)})


@login_required
def separation_create(request: HttpRequest) -> HttpResponse:
    if not _can_file(request):
        raise PermissionDenied("Separation notices are filed by a Service's installation LEA or MCIO.")
    form = SeparationNoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.separation_file(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Notice sent to the state registry and NSOTC.")
            return redirect(notice)
    return render(request, "cases/separation_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def separation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = SeparationNotice.objects.select_related(
        "state_registry", "filed_by_agency", "filed_by", "state_acknowledged_by", "nsotc_acknowledged_by"
    )
    notice = get_visible_or_404(request, queryset, pk=pk)
    principal = principal_for(request.user)
    can_acknowledge = (principal.is_nsotc and not notice.nsotc_acknowledged_at) or (
        notice.state_registry_id in principal.sora_agency_ids and not notice.state_acknowledged_at
    )
    context = {"notice": notice, "can_acknowledge": can_acknowledge, "history": history_rows(notice)}
    return render(request, "cases/separation_detail.html", context)


@login_required
@require_POST
def separation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, SeparationNotice.objects.all(), "change", pk=pk)
    try:
        services.separation_acknowledge(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Acknowledged.")
    return redirect(notice)
