"""Passport-action screens: list, request (with a supporting document), detail with State's
answer, documents. Reads go through ``visible_to`` and are access-logged; writes are services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from registrants.models import Registrant
from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.models import Agency

from .. import selectors_foreign as selectors
from ..filters_foreign import PassportActionFilterSet
from ..forms_foreign import DocumentForm, PassportActionForm, PassportTransitionForm
from ..models import PassportAction, PassportActionDocument
from ..services import passport as services
from ..tables_foreign import PassportActionTable


def _require_requester(request: HttpRequest) -> list[Agency]:
    agencies = services.requesting_agencies(request.user)
    if not agencies:
        raise PermissionDenied("Only SORA staff and NSOTC work passport actions.")
    return agencies


@login_required
def passportaction_list(request: HttpRequest) -> HttpResponse:
    _require_requester(request)
    filterset = PassportActionFilterSet(request.GET or None, queryset=selectors.passport_action_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        queryset = queryset.none()
    table = PassportActionTable(queryset)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    log_access(request, AccessAction.LIST, model=PassportAction, count=len(table.page.object_list) if table.page else 0)
    return render(request, "cases/passportaction_list.html", {"table": table, "filter": filterset})


@login_required
def passportaction_create(request: HttpRequest) -> HttpResponse:
    agencies = _require_requester(request)
    registrants = Registrant.objects.visible_to(request.user).order_by("surname", "given_name", "id")
    initial = {"registrant": request.GET.get("registrant")} if request.GET.get("registrant") else None
    form = PassportActionForm(
        request.POST or None,
        request.FILES or None,
        registrants=registrants,
        agencies=Agency.objects.filter(pk__in=[a.pk for a in agencies]),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        document = data.pop("document", None)
        try:
            action = services.passport_action_request(
                actor=request.user, documents=[document] if document else [], **data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = "document" if field.startswith("documents") else field
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, "Passport action requested.")
            return redirect(action)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/passportaction_form.html", {"form": form}, status=status)


def _detail(request: HttpRequest, action: PassportAction, status: int = 200, **forms) -> HttpResponse:
    can_change = PassportAction.objects.visible_to(request.user, "change").filter(pk=action.pk).exists()
    context = {
        "action": action,
        "can_change": can_change,
        "documents": action.documents.all(),
        "history": history_rows(action, exclude=("updated_at",)),
        "transition_form": forms.get("transition_form") or PassportTransitionForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
    }
    return render(request, "cases/passportaction_detail.html", context, status=status)


@login_required
def passportaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request, selectors.passport_action_list(user=request.user), pk=pk)
    return _detail(request, action)


@login_required
@require_POST
def passportaction_transition(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request, selectors.passport_action_list(user=request.user), "change", pk=pk)
    form = PassportTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.passport_action_transition(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Status updated.")
            return redirect(action)
    return _detail(request, action, status=400, transition_form=form)


@login_required
@require_POST
def passportaction_document_add(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request, selectors.passport_action_list(user=request.user), "change", pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.passport_action_add_document(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Document attached.")
            return redirect(action)
    return _detail(request, action, status=400, document_form=form)


@login_required
def passportaction_document(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    document = get_visible_or_404(
        request, PassportActionDocument.objects.filter(action_id=pk), log=False, pk=document_pk
    )
    log_access(request, AccessAction.VIEW, obj=document)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
