"""Case pages: the NSOTC queues (tabs with counts, filters, bulk assignment) and the case with its
timeline of events, checklist, notes, attachments and the transitions it may take. Reads are
scoped and access-logged; every write is one service call; a refused change answers 400 with
the reason on the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction, Role
from rsoits.principal import principal_for

from .. import selectors, services
from ..choices import CaseStatus
from ..filters import CaseFilterSet
from ..forms import AssignForm, AttachmentForm, BulkAssignForm, ChecklistForm, NoteForm, TransitionForm
from ..models import Case
from ..tables import CaseTable
from .travel import filtered


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request.user)
    data = request.GET.copy()
    data.setdefault("queue", "all")
    filterset = CaseFilterSet(data, queryset=selectors.case_list(user=request.user), request=request)
    table = CaseTable(filtered(filterset).order_by("-priority", "due_date", "id"), selectable=principal.is_nsotc)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    log_access(request, AccessAction.LIST, model=Case, count=rows)
    counts = selectors.case_queue_counts(user=request.user)
    queues = [
        {"name": name, "label": label, "count": counts.get(name, 0), "current": data.get("queue") == name}
        for name, label in selectors.QUEUES.items()
    ]
    context: dict[str, Any] = {"table": table, "filter": filterset, "queues": queues, "queue": data.get("queue")}
    if principal.is_nsotc:
        context["assign_form"] = AssignForm(assignees=services.nsotc_assignees())
    return render(request, "cases/case_list.html", context)


@login_required
@require_POST
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    form = BulkAssignForm(
        request.POST, assignees=services.nsotc_assignees(), cases=Case.objects.visible_to(request.user, "change")
    )
    back = request.POST.get("next") or "/cases/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/cases/"
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect(back)
    try:
        done = services.case_bulk_assign(
            actor=request.user, cases=list(form.cleaned_data["cases"]), assignee=form.cleaned_data["assignee"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(back)
    who = form.cleaned_data["assignee"] or "nobody"
    messages.success(request, f"{len(done)} case(s) assigned to {who}.")
    return redirect(back)


def _detail_context(request: HttpRequest, case: Case, **overrides: Any) -> dict[str, Any]:
    principal = principal_for(request.user)
    can_work = principal.is_nsotc
    transitions = []
    if can_work:
        is_supervisor = Role.NSOTC_SUPERVISOR in principal.roles
        transitions = [t for t in services.transitions_from(case.status) if is_supervisor or not t.supervisor_only]
    contributor = principal.is_nsotc or bool(principal.sora_agency_ids) or principal.is_usncb
    context = {
        "case": case,
        "notice": case.travel_notice,
        "events": list(case.events.all()),
        "notes": list(case.notes.all()),
        "attachments": list(case.attachments.all()),
        "history": history_rows(case, exclude=("updated_at",)),
        "can_work": can_work,
        "can_contribute": contributor,
        "transitions": transitions,
        "statuses": CaseStatus,
        "checklist_form": ChecklistForm(instance=case),
        "checklist_open": case.status in CaseStatus.active(),
        "assign_form": AssignForm(assignees=services.nsotc_assignees(), initial={"assignee": case.assignee_id})
        if can_work
        else None,
        "note_form": NoteForm(),
        "attachment_form": AttachmentForm(),
        "transition_form": TransitionForm(),
    }
    context.update(overrides)
    return context


def _case(request: HttpRequest, pk: int, *, log: bool = True) -> Case:
    return get_visible_or_404(request, selectors.case_detail_queryset(user=request.user), pk=pk, log=log)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


def _refused(request: HttpRequest, pk: int, errors: dict[str, list[str]], **overrides: Any) -> HttpResponse:
    """Re-show the case with the reason the change was refused (nothing of it was written)."""
    case = selectors.case_detail_queryset(user=request.user).get(pk=pk)
    context = _detail_context(request, case, **overrides)
    context["action_errors"] = [m for ms in errors.values() for m in ms]
    return render(request, "cases/case_detail.html", context, status=400)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, log=False)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, form.errors, transition_form=form)
    target = form.cleaned_data["to_status"]
    try:
        services.case_transition(actor=request.user, case=case, to_status=target, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _refused(request, pk, _errors(exc), transition_form=form)
    label = CaseStatus(target).label if target in CaseStatus.values else target
    messages.success(request, f"Case is now: {label}.")
    return redirect(case)


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, log=False)
    form = AssignForm(request.POST, assignees=services.nsotc_assignees())
    if not form.is_valid():
        return _refused(request, pk, form.errors, assign_form=form)
    try:
        services.case_assign(actor=request.user, case=case, assignee=form.cleaned_data["assignee"])
    except ValidationError as exc:
        return _refused(request, pk, _errors(exc), assign_form=form)
    messages.success(request, "Assignment saved.")
    return redirect(case)


@login_required
@require_POST
def case_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, log=False)
    form = ChecklistForm(request.POST, instance=Case.objects.get(pk=case.pk))
    if not form.is_valid():
        return _refused(request, pk, form.errors, checklist_form=form)
    try:
        services.case_update_checklist(actor=request.user, case=case, **form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, pk, _errors(exc), checklist_form=form)
    messages.success(request, "Checklist saved.")
    return redirect(case)


@login_required
@require_POST
def case_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, log=False)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, form.errors, note_form=form)
    try:
        services.case_add_note(actor=request.user, case=case, body=form.cleaned_data["body"])
    except ValidationError as exc:
        return _refused(request, pk, _errors(exc), note_form=form)
    messages.success(request, "Note added.")
    return redirect(case)


@login_required
@require_POST
def case_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, log=False)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, pk, form.errors, attachment_form=form)
    try:
        services.case_add_attachment(
            actor=request.user, case=case, file=form.cleaned_data["file"], description=form.cleaned_data["description"]
        )
    except ValidationError as exc:
        form.add_error("file" if "file" in _errors(exc) else None, _errors(exc).get("file") or exc.messages)
        return _refused(request, pk, _errors(exc), attachment_form=form)
    messages.success(request, "Attachment added.")
    return redirect(case)


@login_required
def case_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Serve an attachment only to users who may see its case (a hidden case is 404)."""
    case = _case(request, pk, log=False)
    attachment = get_visible_or_404(request, case.attachments.model.objects, pk=attachment_pk, case=case)
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
        content_type=attachment.content_type,
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response
