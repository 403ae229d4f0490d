"""USNCB's screens: the queue of forwarded cases, foreign notices (prepare, review, send,
acknowledge, correct, decide not to send, PDF), complaints, the International Megan's Law annual
report, and inbound notices from abroad. Reads go through the scoped selectors and are
access-logged; every write is one service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.forms import apply_service_errors
from rsoits.principal import principal_for

from .. import selectors_foreign as selectors
from ..filters_foreign import ForeignNoticeFilterSet, InboundForeignNoticeFilterSet
from ..forms_foreign import (
    AcknowledgeForm,
    ComplaintForm,
    ComplaintTransitionForm,
    CorrectForm,
    InboundNoticeForm,
    NoNoticeForm,
    ReviewForm,
)
from ..models import Case, ForeignNotice, ForeignNoticeComplaint, InboundForeignNotice
from ..services import foreign as services
from ..tables_foreign import ForeignNoticeTable, InboundForeignNoticeTable


def _require_reader(request: HttpRequest) -> None:
    principal = principal_for(request.user)
    if not (principal.is_usncb or principal.is_nsotc):
        raise PermissionDenied("Foreign notices are kept by USNCB.")


def _filtered(filterset: Any) -> Any:
    if not filterset.is_bound:
        return filterset.queryset
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


@login_required
def foreignnotice_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    filterset = ForeignNoticeFilterSet(request.GET or None, queryset=selectors.foreign_notice_list(user=request.user))
    table = ForeignNoticeTable(_filtered(filterset))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    queue = []
    if principal_for(request.user).is_usncb:
        queue = [(case, countries) for case in selectors.usncb_queue(user=request.user)
                 if (countries := selectors.pending_countries(case))]  # fmt: skip
    log_access(request, AccessAction.LIST, model=ForeignNotice, count=len(table.page.object_list) if table.page else 0)
    return render(request, "cases/foreignnotice_list.html", {"table": table, "filter": filterset, "queue": queue})


def _detail(request: HttpRequest, notice: ForeignNotice, status: int = 200, **forms: Any) -> HttpResponse:
    can_work = principal_for(request.user).is_usncb
    context = {
        "notice": notice,
        "content": notice.content,
        "can_work": can_work,
        "corrections": notice.corrections.order_by("sent_at", "id"),
        "complaints": notice.complaints.all(),
        "history": history_rows(notice, exclude=("updated_at", "content")),
        "review_form": forms.get("review_form")
        or ReviewForm(initial={"conviction_summary": notice.conviction_summary, "remarks": notice.remarks}),
        "ack_form": forms.get("ack_form") or AcknowledgeForm(initial={"acknowledged_on": timezone.localdate()}),
        "correct_form": forms.get("correct_form")
        or CorrectForm(initial={"conviction_summary": notice.conviction_summary, "remarks": notice.remarks}),
        "complaint_form": forms.get("complaint_form") or ComplaintForm(initial={"received_on": timezone.localdate()}),
        "complaint_transition_form": ComplaintTransitionForm(),
    }
    return render(request, "cases/foreignnotice_detail.html", context, status=status)


@login_required
def foreignnotice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, selectors.foreign_notice_detail_queryset(user=request.user), pk=pk)
    return _detail(request, notice)


def _act(
    request: HttpRequest,
    pk: int,
    form_class: Any,
    form_name: str,
    call: Callable[[ForeignNotice, dict], Any],
    done: str,
) -> HttpResponse:
    notice = get_visible_or_404(request, selectors.foreign_notice_detail_queryset(user=request.user), "change", pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            result = call(notice, form.cleaned_data if form else {})
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect(notice)
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(result if isinstance(result, ForeignNotice) else notice)
    return _detail(request, notice, status=400, **{form_name: form})


@login_required
@require_POST
def foreignnotice_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ReviewForm,
        "review_form",
        lambda n, d: services.foreign_notice_review(actor=request.user, notice=n, **d),
        "Notice reviewed.",
    )


@login_required
@require_POST
def foreignnotice_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        None,
        "",
        lambda n, d: services.foreign_notice_reopen(actor=request.user, notice=n),
        "Notice returned to draft.",
    )


@login_required
@require_POST
def foreignnotice_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        None,
        "",
        lambda n, d: services.foreign_notice_send(actor=request.user, notice=n),
        "Notice sent.",
    )


@login_required
@require_POST
def foreignnotice_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        AcknowledgeForm,
        "ack_form",
        lambda n, d: services.foreign_notice_acknowledge(actor=request.user, notice=n, **d),
        "Acknowledgement recorded.",
    )


@login_required
@require_POST
def foreignnotice_correct(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        CorrectForm,
        "correct_form",
        lambda n, d: services.foreign_notice_correct(actor=request.user, notice=n, **d),
        "Correction sent.",
    )


@login_required
@require_POST
def complaint_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ComplaintForm,
        "complaint_form",
        lambda n, d: services.complaint_log(actor=request.user, notice=n, **d),
        "Complaint logged.",
    )


@login_required
@require_POST
def complaint_transition(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_visible_or_404(request, ForeignNoticeComplaint.objects, "change", pk=pk)
    form = ComplaintTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_transition(actor=request.user, complaint=complaint, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Complaint updated.")
    else:
        messages.error(request, "Choose a valid status.")
    return redirect("foreignnotice_detail", complaint.notice_id)


@login_required
def foreignnotice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from ..pdf import foreign_notice_pdf

    notice = get_visible_or_404(request, selectors.foreign_notice_detail_queryset(user=request.user), log=False, pk=pk)
    log_access(request, AccessAction.EXPORT, obj=notice, count=1)
    response = HttpResponse(foreign_notice_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="foreign-notice-{notice.pk}-{notice.country}.pdf"'
    return response


# --- per case: prepare, decide not to send -------------------------------------------------


def _forwarded_case(request: HttpRequest, case_pk: int) -> Case:
    if not principal_for(request.user).is_usncb:
        raise PermissionDenied("Only USNCB officers prepare foreign notices.")
    return get_visible_or_404(request, Case.objects.select_related("registrant", "travel_notice"), pk=case_pk)


@login_required
def foreignnotice_prepare(request: HttpRequest, case_pk: int) -> HttpResponse:
    """GET: the case's destinations with what has been done for each; POST: prepare drafts for
    one country (``country``) or for all pending ones."""
    case = _forwarded_case(request, case_pk)
    queued = selectors.usncb_queue(user=request.user).filter(pk=case.pk).first()
    pending = selectors.pending_countries(queued) if queued else []
    decline_form = NoNoticeForm(countries=pending)
    status = 200
    if request.method == "POST":
        try:
            if country := request.POST.get("country"):
                created = [services.foreign_notice_prepare(actor=request.user, case=case, country=country)]
            else:
                created = services.foreign_notices_prepare_all(actor=request.user, case=case)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, f"{len(created)} draft notice{'s' if len(created) != 1 else ''} prepared.")
            return redirect(created[0] if len(created) == 1 else "foreignnotice_list")
    context = {
        "case": case,
        "pending": pending,
        "notices": ForeignNotice.objects.visible_to(request.user).filter(case=case).select_related("ncb"),
        "decisions": case.no_notice_decisions.all(),
        "decline_form": decline_form,
    }
    return render(request, "cases/foreignnotice_prepare.html", context, status=status)


@login_required
@require_POST
def foreignnotice_decline(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _forwarded_case(request, case_pk)
    countries = case.travel_notice.countries() if case.travel_notice_id else []
    form = NoNoticeForm(request.POST, countries=countries)
    if form.is_valid():
        try:
            services.no_notice_decide(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Decision not to send recorded.")
            return redirect("foreignnotice_prepare", case.pk)
    context = {
        "case": case,
        "pending": countries,
        "notices": ForeignNotice.objects.visible_to(request.user).filter(case=case).select_related("ncb"),
        "decisions": case.no_notice_decisions.all(),
        "decline_form": form,
    }
    return render(request, "cases/foreignnotice_prepare.html", context, status=400)


# --- International Megan's Law annual report ----------------------------------------------


@login_required
def iml_report(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    rows = selectors.iml_report(user=request.user, year=year)
    totals = selectors.iml_totals(rows)
    if request.GET.get("format") == "csv":
        from ..export_foreign import iml_report_csv

        log_access(request, AccessAction.EXPORT, model=ForeignNotice, count=len(rows))
        response = HttpResponse(iml_report_csv(rows, totals), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="iml-report-{year}.csv"'
        return response
    log_access(request, AccessAction.LIST, model=ForeignNotice, count=len(rows))
    this_year = timezone.localdate().year
    return render(
        request,
        "cases/iml_report.html",
        {"rows": rows, "totals": totals, "year": year, "years": range(this_year, this_year - 6, -1)},
    )


# --- inbound notices -----------------------------------------------------------------------


@login_required
def inboundnotice_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    filterset = InboundForeignNoticeFilterSet(
        request.GET or None, queryset=selectors.inbound_notice_list(user=request.user)
    )
    table = InboundForeignNoticeTable(_filtered(filterset))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    log_access(
        request, AccessAction.LIST, model=InboundForeignNotice, count=len(table.page.object_list) if table.page else 0
    )
    can_log = principal_for(request.user).is_usncb
    return render(request, "cases/iml_inbound_list.html", {"table": table, "filter": filterset, "can_log": can_log})


@login_required
def inboundnotice_create(request: HttpRequest) -> HttpResponse:
    if not principal_for(request.user).is_usncb:
        raise PermissionDenied("Only USNCB officers log inbound notices.")
    form = InboundNoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            inbound = services.inbound_notice_log(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Inbound notice logged.")
            return redirect(inbound)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": "Log an inbound foreign notice", "cancel_url": "/cases/inbound-notices/"}
    return render(request, "rsoits/form.html", context, status=status)


@login_required
def inboundnotice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = get_visible_or_404(request, selectors.inbound_notice_list(user=request.user), pk=pk)
    return render(request, "cases/iml_inbound_detail.html", {"inbound": inbound, "history": history_rows(inbound)})
