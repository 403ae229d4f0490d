"""Travel notice pages: list, detail, the form with its itinerary legs inline (file, edit a draft,
amend), submit, cancel and the return after the trip. Reads are scoped and access-logged; every
write is one service call."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.principal import principal_for

from .. import selectors, services
from ..choices import TravelNoticeStatus
from ..filters import TravelNoticeFilterSet
from ..forms import AmendForm, CancelForm, ItineraryLegFormSet, ReturnForm, TravelNoticeForm
from ..models import Case, TravelNotice
from ..services.dod import dod_filing_agency_id
from ..tables import TravelNoticeTable


def filtered(filterset):
    """The filtered rows; an invalid filter shows its errors and matches nothing."""
    if not filterset.is_bound:
        return filterset.queryset
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


@login_required
def travelnotice_list(request: HttpRequest) -> HttpResponse:
    filterset = TravelNoticeFilterSet(
        request.GET or None, queryset=selectors.travel_notice_list(user=request.user), request=request
    )
    table = TravelNoticeTable(filtered(filterset).order_by("-departure_date", "-id"))
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    log_access(request, AccessAction.LIST, model=TravelNotice, count=rows)
    can_file = bool(principal_for(request.user).sora_agency_ids or dod_filing_agency_id(request.user) is not None)
    return render(request, "cases/travelnotice_list.html", {"table": table, "filter": filterset, "can_file": can_file})


def _detail_context(request: HttpRequest, notice: TravelNotice) -> dict[str, Any]:
    case = notice.cases.all()[0] if notice.cases.all() else None
    if case is not None and not Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
        case = None
    can_change = TravelNotice.objects.visible_to(request.user, "change").filter(pk=notice.pk).exists()
    return {
        "notice": notice,
        "legs": list(notice.legs.all()),
        "case": case,
        "can_change": can_change,
        "history": history_rows(notice, exclude=("updated_at",)),
        "statuses": TravelNoticeStatus,
        "cancel_form": CancelForm(),
        "return_form": ReturnForm(),
    }


@login_required
def travelnotice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, selectors.travel_notice_detail_queryset(user=request.user), pk=pk)
    return render(request, "cases/travelnotice_detail.html", _detail_context(request, notice))


def _leg_rows(formset) -> tuple[list[dict], list]:
    rows, used = [], []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k not in ("id", "DELETE", "notice")})
        used.append(form)
    return rows, used


def _apply_errors(exc: ValidationError, form, formset, used: list) -> None:
    """Put each service error on the field it names (``legs[1].arrival_date`` on the 2nd leg)."""
    for key, errors in exc.message_dict.items():
        match = re.match(r"^legs\[(\d+)\]\.(\w+)$", key)
        if match and int(match.group(1)) < len(used):
            target = used[int(match.group(1))]
            target.add_error(match.group(2) if match.group(2) in target.fields else None, errors)
        elif key == "legs":
            formset._non_form_errors = formset.error_class(errors)
        else:
            form.add_error(key if key in form.fields else None, errors)


def _edit(request: HttpRequest, notice: TravelNotice | None, *, amend: bool = False) -> HttpResponse:
    principal = principal_for(request.user)
    if principal.sora_agency_ids:
        registrants = Registrant.objects.visible_to(request.user, "change")
    else:  # a DoD component reports for the registrants on its installations (DTM 15-003 att. 3, 4.d)
        registrants = Registrant.objects.visible_to(request.user).filter(installation_id__in=principal.installation_ids)
    registrants = registrants.order_by("surname", "given_name", "id")
    # The form writes onto its instance; the service must see the stored values.
    instance = TravelNotice.objects.get(pk=notice.pk) if notice else TravelNotice()
    data = request.POST if request.method == "POST" else None
    initial = {}
    if notice is None and request.GET.get("registrant"):
        initial["registrant"] = request.GET["registrant"]
    form_class = AmendForm if amend else TravelNoticeForm
    form = form_class(data, instance=instance, registrants=registrants, initial=initial)
    formset = ItineraryLegFormSet(data, instance=instance, prefix="legs")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("registrant", "reason")}
        legs, used = _leg_rows(formset)
        submit = "submit" in request.POST
        try:
            if notice is None:
                saved = services.travel_notice_create(
                    actor=request.user, registrant=form.cleaned_data["registrant"], legs=legs, submit=submit, **fields
                )
            elif amend:
                saved = services.travel_notice_amend(
                    actor=request.user, notice=notice, reason=form.cleaned_data["reason"], legs=legs, **fields
                )
            else:
                saved = services.travel_notice_update(actor=request.user, notice=notice, legs=legs, **fields)
                if submit:
                    saved = services.travel_notice_submit(actor=request.user, notice=saved)
        except ValidationError as exc:
            _apply_errors(exc, form, formset, used)
        else:
            if saved.status == TravelNoticeStatus.DRAFT:
                messages.success(request, "Draft saved. Submit it when it is complete.")
            else:
                messages.success(request, "Travel notice sent to NSOTC; a case is open.")
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "formset": formset, "notice": notice, "amend": amend}
    return render(request, "cases/travelnotice_form.html", context, status=status)


@login_required
def travelnotice_create(request: HttpRequest) -> HttpResponse:
    if not (principal_for(request.user).sora_agency_ids or dod_filing_agency_id(request.user) is not None):
        raise PermissionDenied("Only registration agency (SORA) staff or DoD law enforcement file travel notices.")
    return _edit(request, None)


@login_required
def travelnotice_update(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, TravelNotice.objects, "change", pk=pk)
    if notice.status != TravelNoticeStatus.DRAFT:
        return redirect("travelnotice_amend", pk=notice.pk)
    return _edit(request, notice)


@login_required
def travelnotice_amend(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, TravelNotice.objects, "change", pk=pk)
    if notice.status == TravelNoticeStatus.DRAFT:
        return redirect("travelnotice_update", pk=notice.pk)
    return _edit(request, notice, amend=True)


def _refused(request: HttpRequest, notice: TravelNotice, exc: ValidationError, **forms) -> HttpResponse:
    notice = selectors.travel_notice_detail_queryset(user=request.user).get(pk=notice.pk)
    context = _detail_context(request, notice)
    context.update(forms)
    context["action_errors"] = [f"{m}" for messages_ in exc.message_dict.values() for m in messages_]
    return render(request, "cases/travelnotice_detail.html", context, status=400)


@login_required
@require_POST
def travelnotice_submit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, TravelNotice.objects, "change", pk=pk)
    try:
        services.travel_notice_submit(actor=request.user, notice=notice)
    except ValidationError as exc:
        return _refused(request, notice, exc)
    messages.success(request, "Travel notice sent to NSOTC; a case is open.")
    return redirect(notice)


@login_required
def travelnotice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, TravelNotice.objects, "change", pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _refused(request, notice, ValidationError(form.errors), cancel_form=form)
        try:
            services.travel_notice_cancel(actor=request.user, notice=notice, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            return _refused(request, notice, exc, cancel_form=form)
        messages.success(request, "Travel notice cancelled.")
        return redirect(notice)
    return redirect(notice)


@login_required
def travelnotice_return(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_visible_or_404(request, TravelNotice.objects, "change", pk=pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _refused(request, notice, ValidationError(form.errors), return_form=form)
        try:
            services.travel_notice_record_return(
                actor=request.user,
                notice=notice,
                outcome=form.cleaned_data["outcome"],
                actual_return_date=form.cleaned_data["actual_return_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            return _refused(request, notice, exc, return_form=form)
        messages.success(request, "Return recorded; the case is closed.")
    return redirect(notice)
