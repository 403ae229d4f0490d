"""Hit pages: the list, the NSOTC review queue, the detail with the hit and each candidate side
by side and the decision form, manual entry and the file upload. Reads go through the scoped
selectors and are access-logged; writes go through the services."""

from __future__ import annotations

import uuid

from django.conf import settings
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

from .. import selectors_hits as selectors
from ..choices_hits import HitStatus
from ..filters_hits import HitFilterSet
from ..forms_hits import HitDecisionForm, HitForm, HitImportForm
from ..hits_import import COLUMNS, import_hits
from ..models import Hit
from ..services import hits as services
from ..tables_hits import HitQueueTable, HitTable

__all__ = ["hit_create", "hit_decide", "hit_detail", "hit_import", "hit_list", "hit_queue", "hit_rematch"]


def _require_nsotc(request: HttpRequest, what: str) -> None:
    if not principal_for(request.user).is_nsotc:
        raise PermissionDenied(f"Only NSOTC analysts {what}.")


def _filtered(filterset: HitFilterSet):
    """An invalid filter shows its field errors and matches nothing, rather than listing everything."""
    if not filterset.is_bound:
        return filterset.queryset
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def _table_page(request: HttpRequest, table) -> int:
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    return len(table.page.object_list) if table.page else 0


@login_required
def hit_list(request: HttpRequest) -> HttpResponse:
    filterset = HitFilterSet(request.GET or None, queryset=selectors.hit_list(user=request.user))
    table = HitTable(_filtered(filterset).order_by("-received_at", "-id"))
    rows = _table_page(request, table)
    action = AccessAction.SEARCH if request.GET.get("q") else AccessAction.LIST
    log_access(request, action, model=Hit, count=rows)
    return render(request, "cases/hit_list.html", {"table": table, "filter": filterset, "queue": False})


@login_required
def hit_queue(request: HttpRequest) -> HttpResponse:
    _require_nsotc(request, "work the review queue")
    filterset = HitFilterSet(request.GET or None, queryset=selectors.hit_queue(user=request.user))
    table = HitQueueTable(_filtered(filterset))
    rows = _table_page(request, table)
    log_access(request, AccessAction.LIST, model=Hit, count=rows)
    return render(request, "cases/hit_list.html", {"table": table, "filter": filterset, "queue": True})


def _subject_rows(hit: Hit, registrant: Registrant, explanations: dict) -> list[dict]:
    """The side-by-side rows: what the source reported, what the registry holds, and why."""
    names = "; ".join(str(n) for n in registrant.names.all()) or registrant.full_name
    dobs = ", ".join(b.date.isoformat() for b in registrant.birth_dates.all())
    idents = {}
    for ident in registrant.identifiers.all():
        idents.setdefault(ident.kind, []).append(
            f"{ident.value} ({ident.issuing_country})" if ident.issuing_country else ident.value
        )
    documents = [
        ("Passport", f"{hit.passport_number} ({hit.passport_country})" if hit.passport_number else "", "passport"),
        ("Visa", hit.visa_number, "visa"),
        ("Alien number", hit.alien_number, "alien_number"),
    ]

    def why(*keys: str, named: bool = False) -> str:
        """The explanation of the fields ``keys`` (the engine's names for them), each after its
        name when one row shows several."""
        return "; ".join(
            f"{k}: {explanations[k]}" if named else str(explanations[k]) for k in keys if explanations.get(k)
        )

    rows = [
        {"label": "Names", "hit": hit.subject_name, "registrant": names,
         "why": why("names", "name used", "surname", "given name", "middle name", named=True)},
        {"label": "Date of birth", "hit": hit.date_of_birth.isoformat() if hit.date_of_birth else "",
         "registrant": dobs, "why": why("DOB")},
        {"label": "Sex", "hit": hit.get_sex_display(), "registrant": registrant.get_sex_display(), "why": why("sex")},
        {"label": "Nationality", "hit": hit.nationality, "registrant": ", ".join(registrant.citizenships),
         "why": why("nationality", "citizenship")},
    ]  # fmt: skip
    for label, value, kind in documents:
        if value or idents.get(kind):
            rows.append({"label": label, "hit": value, "registrant": ", ".join(idents.get(kind, [])), "why": why(kind)})
    return rows


def _detail(request: HttpRequest, hit: Hit, form: HitDecisionForm | None = None, status: int = 200) -> HttpResponse:
    principal = principal_for(request.user)
    candidates = hit.visible_candidates
    for candidate in candidates:
        # The candidate's registry data is on the page: each is a read of that registrant.
        log_access(request, AccessAction.VIEW, obj=candidate.registrant)
        candidate.rows = _subject_rows(hit, candidate.registrant, candidate.fields or {})
    can_decide = principal.is_nsotc and hit.status in HitStatus.open_statuses()
    if can_decide and form is None:
        form = HitDecisionForm(candidates=candidates)
    context = {
        "hit": hit,
        "candidates": candidates,
        "form": form if can_decide else None,
        "can_rematch": principal.is_nsotc
        and hit.status in {HitStatus.AWAITING_REVIEW, HitStatus.NEEDS_INFORMATION, HitStatus.NO_MATCH,
                           HitStatus.FALSE_MATCH},
        "decisions": hit.decisions.all(),
        "history": history_rows(hit),
        "show_registrant": hit.registrant_id and hit.registrant_visible,
    }  # fmt: skip
    return render(request, "cases/hit_detail.html", context, status=status)


@login_required
def hit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hit = get_visible_or_404(request, selectors.hit_detail_queryset(user=request.user), pk=pk)
    return _detail(request, hit)


@login_required
@require_POST
def hit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    get_visible_or_404(request, Hit.objects, "change", log=False, pk=pk)
    hit = selectors.hit_detail_queryset(user=request.user).get(pk=pk)
    form = HitDecisionForm(request.POST, candidates=hit.visible_candidates)
    if form.is_valid():
        duplicate_of = None
        if form.cleaned_data["duplicate_of"]:
            duplicate_of = Hit.objects.visible_to(request.user).filter(pk=form.cleaned_data["duplicate_of"]).first()
            if duplicate_of is None:
                form.add_error("duplicate_of", "No such hit.")
        if form.is_valid():
            try:
                record = services.hit_decide(
                    actor=request.user,
                    hit=hit,
                    decision=form.cleaned_data["decision"],
                    candidate=form.cleaned_data["candidate"],
                    duplicate_of=duplicate_of,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Decision recorded: {record.get_decision_display()}.")
                return redirect(hit)
    return _detail(request, hit, form=form, status=400)


@login_required
@require_POST
def hit_rematch(request: HttpRequest, pk: int) -> HttpResponse:
    hit = get_visible_or_404(request, Hit.objects, "change", log=False, pk=pk)
    try:
        hit = services.hit_rematch(actor=request.user, hit=hit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Matched again: {hit.get_status_display().lower()}.")
    return redirect("hit_detail", pk=pk)


@login_required
def hit_create(request: HttpRequest) -> HttpResponse:
    _require_nsotc(request, "enter hits by hand")
    form = HitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            hit, created = services.hit_ingest(actor=request.user, **fields)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if created:
                messages.success(request, f"Hit recorded: {hit.get_status_display().lower()}.")
            else:
                messages.info(request, "That source record was already stored; here it is.")
            return redirect(hit)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/hit_form.html", {"form": form}, status=status)


@login_required
def hit_import(request: HttpRequest) -> HttpResponse:
    """Upload -> preview (a dry run: counts, matching outcome and row errors) -> confirm -> import."""
    _require_nsotc(request, "import hit files")
    agency = services.submitting_agency_for(request.user)
    staging = settings.MEDIA_ROOT / "imports"
    staging.mkdir(parents=True, exist_ok=True)
    if request.method == "POST" and request.POST.get("confirm"):
        token = request.POST["confirm"]
        pending = request.session.get("hit_import", {})
        if pending.get("token") != token:
            messages.error(request, "That preview has expired; upload the file again.")
            return redirect("hit_import")
        path = staging / f"{token}{pending['suffix']}"
        with open(path, "rb") as stream:
            result = import_hits(stream, path.name, agency=agency, actor=request.user)
        path.unlink(missing_ok=True)
        del request.session["hit_import"]
        messages.success(request, f"Import finished: {result.summary()}.")
        return render(request, "cases/hit_import.html", {"result": result, "done": True, "columns": COLUMNS})
    form = HitImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = uuid.uuid4().hex
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        path = staging / f"{token}{suffix}"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with open(path, "rb") as stream:
            preview = import_hits(stream, path.name, agency=agency, actor=request.user, dry_run=True)
        request.session["hit_import"] = {"token": token, "suffix": suffix}
        context = {"result": preview, "token": token, "filename": upload.name, "columns": COLUMNS}
        return render(request, "cases/hit_import.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/hit_import.html", {"form": form, "columns": COLUMNS}, status=status)
