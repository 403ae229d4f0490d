"""Registrant pages: list with search, filters, sorting and pagination; CSV export; detail
with the timeline. Every read goes through the scoped selectors and is access-logged."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from rsoits.access import get_visible_or_404, log_access
from rsoits.audit import history_rows
from rsoits.choices import AccessAction
from rsoits.registry import TimelineEntry, timeline_providers

from . import selectors
from .export import registrants_csv
from .filters import RegistrantFilterSet, blank_form_html
from .models import Registrant
from .tables import RegistrantTable

EXPORT_LIMIT = 50_000

# The list, export and detail pages only read (and append their access-log row), so they run
# outside ATOMIC_REQUESTS: no BEGIN/COMMIT round trips on the busiest pages.


def filtered(filterset: RegistrantFilterSet):
    """The filtered rows; an invalid filter shows its field errors and matches nothing, rather
    than silently listing everything."""
    if not filterset.is_bound:
        return filterset.queryset
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


@transaction.non_atomic_requests
@login_required
def registrant_list(request: HttpRequest) -> HttpResponse:
    filterset = RegistrantFilterSet(request.GET or None, queryset=selectors.registrant_list(user=request.user))
    queryset = filtered(filterset)
    table = RegistrantTable(queryset.order_by("surname", "given_name", "id"))
    # LazyPaginator: no COUNT(*) over the registry on every page.
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    rows = len(table.page.object_list) if table.page else 0
    action = AccessAction.SEARCH if request.GET.get("q") else AccessAction.LIST
    log_access(request, action, model=Registrant, count=rows)
    context = {"table": table, "filter": filterset}
    if not filterset.is_bound:
        context["blank_filter_form"] = blank_form_html(filterset)
    return render(request, "registrants/registrant_list.html", context)


@transaction.non_atomic_requests
@login_required
def registrant_export(request: HttpRequest) -> HttpResponse:
    filterset = RegistrantFilterSet(request.GET or None, queryset=selectors.registrant_list(user=request.user))
    queryset = filtered(filterset)
    rows = list(queryset.order_by("surname", "given_name", "id")[:EXPORT_LIMIT])
    log_access(request, AccessAction.EXPORT, model=Registrant, count=len(rows))
    response = HttpResponse(registrants_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registrants.csv"'
    return response


def history_entries(registrant: Registrant) -> list[TimelineEntry]:
    titles = {"+": "Registered", "~": "Record changed", "-": "Record deleted"}
    return [
        TimelineEntry(
            at=row["when"],
            kind="history",
            title=titles.get(row["history_type"], row["type"]),
            detail=", ".join(row["changes"]),
            actor=row["who"].get_username() if row["who"] else "system",
        )
        for row in history_rows(registrant, exclude=("updated_at",), records=selectors.page_history(registrant))
    ]


@transaction.non_atomic_requests
@login_required
def registrant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registrant = get_visible_or_404(request, selectors.registrant_page_queryset(user=request.user), pk=pk)
    selectors.with_children(registrant)
    timeline = history_entries(registrant)
    for n, entry in enumerate(timeline_providers()):
        # Called only when the page's statement found rows it draws on (TimelineSource).
        if getattr(registrant, f"timeline_{n}", True):
            timeline.extend(entry.provider(registrant, request.user))
    timeline.sort(key=lambda e: e.at, reverse=True)
    from rsoits.principal import principal_for

    # Only the registering SORA changes a record; others are spared the extra query.
    can_change = registrant.registering_agency_id in principal_for(request.user).sora_agency_ids
    context = {"registrant": registrant, "timeline": timeline, "can_change": can_change}
    return render(request, "registrants/registrant_detail.html", context)


# --- create and edit ---------------------------------------------------------------------


def _inline_rows(formset) -> tuple[list[dict], list]:
    """The formset's rows as service dicts (kept rows carry their ``id``), and the form of each."""
    rows, forms_used = [], []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        row = {k: v for k, v in form.cleaned_data.items() if k not in ("id", "DELETE", "registrant")}
        if form.instance.pk:
            row["id"] = form.instance.pk
        rows.append(row)
        forms_used.append(form)
    return rows, forms_used


def _apply_errors(exc, form, used: dict[str, list]) -> None:
    """Put a service's ValidationError on the field it names (``identifiers[0].value`` too)."""
    import re

    for key, messages in exc.message_dict.items():
        match = re.match(r"^(\w+)\[(\d+)\]\.?(\w*)$", key)
        if match and match.group(1) in used and int(match.group(2)) < len(used[match.group(1)]):
            target = used[match.group(1)][int(match.group(2))]
            field = match.group(3) if match.group(3) in target.fields else None
            target.add_error(field, messages)
        else:
            form.add_error(key if key in form.fields else None, messages)


def _edit(request: HttpRequest, registrant: Registrant | None) -> HttpResponse:
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from rsoits.models import Agency
    from rsoits.principal import principal_for

    from . import services
    from .choices import NameKind
    from .forms import INLINES, RegistrantForm

    agencies = Agency.objects.filter(pk__in=principal_for(request.user).sora_agency_ids)
    # The form writes its cleaned data onto its instance; give it a copy so the service still
    # sees the stored values and records exactly what changed.
    instance = Registrant.objects.get(pk=registrant.pk) if registrant else Registrant()
    data = request.POST if request.method == "POST" else None
    form = RegistrantForm(data, instance=instance, agencies=agencies)
    formsets = {}
    for name, formset_class in INLINES.items():
        kwargs = {"instance": instance, "prefix": name}
        if name == "aliases":
            kwargs["queryset"] = (
                instance.names.filter(kind=NameKind.ALIAS) if instance.pk else Registrant.names.rel.model.objects.none()
            )
        formsets[name] = formset_class(data, **kwargs)
    if request.method == "POST" and form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
        fields = {k: v for k, v in form.cleaned_data.items() if k != "registering_agency"}
        used = {}
        for name, formset in formsets.items():
            fields[name], used[name] = _inline_rows(formset)
        try:
            if registrant is None:
                saved = services.registrant_create(
                    actor=request.user, registering_agency=form.cleaned_data["registering_agency"], **fields
                )
            else:
                saved = services.registrant_update(actor=request.user, registrant=registrant, **fields)
        except ValidationError as exc:
            from django.db import transaction

            transaction.set_rollback(True)
            _apply_errors(exc, form, used)
        else:
            messages.success(request, "Registrant saved.")
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "formsets": formsets, "registrant": registrant}
    return render(request, "registrants/registrant_form.html", context, status=status)


@login_required
def registrant_create(request: HttpRequest) -> HttpResponse:
    from django.core.exceptions import PermissionDenied

    from rsoits.principal import principal_for

    if not principal_for(request.user).sora_agency_ids:
        raise PermissionDenied("Only registration agency staff register people.")
    return _edit(request, None)


@login_required
def registrant_update(request: HttpRequest, pk: int) -> HttpResponse:
    registrant = get_visible_or_404(request, Registrant.objects, "change", pk=pk)
    return _edit(request, registrant)


# --- import ------------------------------------------------------------------------------


@login_required
def registrant_import(request: HttpRequest) -> HttpResponse:
    """Upload -> preview (a dry run: counts and row errors) -> confirm -> import."""
    import uuid

    from django.conf import settings
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect

    from rsoits.models import Agency
    from rsoits.principal import principal_for

    from .forms import ImportUploadForm
    from .importer import import_registrants

    agencies = Agency.objects.filter(pk__in=principal_for(request.user).sora_agency_ids)
    if not agencies.exists():
        raise PermissionDenied("Only registration agency staff import registrants.")
    staging = settings.MEDIA_ROOT / "imports"
    staging.mkdir(parents=True, exist_ok=True)
    if request.method == "POST" and request.POST.get("confirm"):
        token = request.POST["confirm"]
        pending = request.session.get("registrant_import", {})
        if pending.get("token") != token:
            messages.error(request, "That preview has expired; upload the file again.")
            return redirect("registrant_import")
        agency = agencies.get(pk=pending["agency"])
        path = staging / f"{token}{pending['suffix']}"
        with open(path, "rb") as stream:
            result = import_registrants(stream, path.name, agency=agency, actor=request.user)
        path.unlink(missing_ok=True)
        del request.session["registrant_import"]
        messages.success(request, f"Import finished: {result.summary()}.")
        return render(request, "registrants/registrant_import.html", {"result": result, "done": True})
    form = ImportUploadForm(request.POST or None, request.FILES or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = uuid.uuid4().hex
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        path = staging / f"{token}{suffix}"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with open(path, "rb") as stream:
            preview = import_registrants(stream, path.name, agency=form.cleaned_data["agency"], dry_run=True)
        request.session["registrant_import"] = {
            "token": token,
            "agency": form.cleaned_data["agency"].pk,
            "suffix": suffix,
        }
        context = {"result": preview, "token": token, "agency": form.cleaned_data["agency"], "filename": upload.name}
        return render(request, "registrants/registrant_import.html", context)
    return render(request, "registrants/registrant_import.html", {"form": form})
