"""System-admin and agency-admin screens: agencies (contacts, endpoints), installations, users
and memberships, and the read-only access log.

Reads go through ``Model.objects.visible_to(user, action)`` (one object: ``get_visible_or_404``);
writes go through ``rsoits.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from . import services
from .access import get_visible_or_404, log_access
from .admin_forms import (
    AgencyForm,
    ContactForm,
    EndpointForm,
    InstallationForm,
    MembershipGrantForm,
    UserCreateForm,
    UserUpdateForm,
    apply_service_errors,
)
from .audit import history_rows
from .choices import AccessAction, Role
from .filters import AccessLogFilter, AgencyFilter, InstallationFilter, UserFilter
from .models import AccessLog, Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User
from .principal import Principal, principal_for
from .tables import AccessLogTable, AgencyTable, InstallationTable, UserTable

PER_PAGE = 50

# --- helpers -----------------------------------------------------------------------------


def _principal(request: HttpRequest) -> Principal:
    return principal_for(request.user)


def _require_admin(request: HttpRequest) -> Principal:
    """System or agency admin, or 403."""
    principal = _principal(request)
    if not (principal.is_system_admin or principal.admin_agency_ids):
        raise PermissionDenied("Only an agency or system administrator may use this screen.")
    return principal


def _require_system_admin(request: HttpRequest) -> Principal:
    principal = _principal(request)
    if not principal.is_system_admin:
        raise PermissionDenied("Only a system administrator may do this.")
    return principal


def _managed_agencies(request: HttpRequest) -> models.QuerySet:
    """Agencies the user sees on the admin screens: all for a system admin, otherwise the ones
    they administer."""
    principal = _require_admin(request)
    qs = Agency.objects.all()
    return qs if principal.is_system_admin else qs.filter(pk__in=principal.admin_agency_ids)


def _list_page(
    request: HttpRequest,
    *,
    title: str,
    queryset: models.QuerySet,
    filterset_class: type,
    table_class: type,
    create_url: str | None = None,
    log_model: type[models.Model] | None = None,
) -> HttpResponse:
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    qs = filterset.qs if filterset.is_bound else queryset
    table = table_class(qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    if log_model is not None:
        log_access(request, AccessAction.LIST, model=log_model, count=table.paginator.count)
    return render(
        request,
        "rsoits/list.html",
        {"title": title, "filter": filterset, "table": table, "create_url": create_url},
    )


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    save: Callable[[dict[str, Any]], Any],
    cancel_url: str,
    success: str,
    next_url: Callable[[Any], str] | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(next_url(obj) if next_url else obj.get_absolute_url())
    return render(request, "rsoits/form.html", {"title": title, "form": form, "cancel_url": cancel_url})


def _delete_page(
    request: HttpRequest, obj: models.Model, *, delete: Callable[[], None], back: str, title: str
) -> HttpResponse:
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, f"Deleted {obj}.")
        return redirect(back)
    return render(request, "rsoits/confirm_delete.html", {"title": title, "object": obj, "cancel_url": back})


# --- agencies ----------------------------------------------------------------------------


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    principal = _require_admin(request)
    queryset = _managed_agencies(request).visible_to(request.user)
    return _list_page(
        request,
        title="Agencies",
        queryset=queryset,
        filterset_class=AgencyFilter,
        table_class=AgencyTable,
        create_url=reverse("agency_create") if principal.is_system_admin else None,
    )


@login_required
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = _require_admin(request)
    agency = get_visible_or_404(request, _managed_agencies(request), "view", pk=pk)
    can_manage = principal.is_system_admin or agency.pk in principal.admin_agency_ids
    context = {
        "agency": agency,
        "contacts": AgencyContact.objects.visible_to(request.user).filter(agency=agency),
        "endpoints": AgencyEndpoint.objects.visible_to(request.user).filter(agency=agency),
        "can_edit_agency": principal.is_system_admin,
        "can_manage": can_manage,
        "history": history_rows(agency),
    }
    return render(request, "rsoits/agency_detail.html", context)


@login_required
def agency_create(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    form = AgencyForm(request.POST or None)
    return _form_page(
        request,
        form,
        title="New agency",
        save=lambda data: services.agency_create(actor=request.user, **data),
        cancel_url=reverse("agency_list"),
        success="Agency created.",
    )


@login_required
def agency_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_system_admin(request)
    agency = get_visible_or_404(request, Agency.objects, "change", pk=pk)
    form = AgencyForm(request.POST or None, instance=agency)
    return _form_page(
        request,
        form,
        title=f"Edit {agency}",
        save=lambda data: services.agency_update(actor=request.user, agency=agency, **data),
        cancel_url=agency.get_absolute_url(),
        success="Agency saved.",
    )


def _agency_for_change(request: HttpRequest, agency_pk: int) -> Agency:
    return get_visible_or_404(request, _managed_agencies(request), "view", log=False, pk=agency_pk)


@login_required
def contact_create(request: HttpRequest, agency_pk: int) -> HttpResponse:
    agency = _agency_for_change(request, agency_pk)
    form = ContactForm(request.POST or None)
    return _form_page(
        request,
        form,
        title=f"New contact at {agency}",
        save=lambda data: services.contact_save(actor=request.user, agency=agency, **data),
        cancel_url=agency.get_absolute_url(),
        success="Contact added.",
    )


@login_required
def contact_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    contact = get_visible_or_404(request, AgencyContact.objects.select_related("agency"), "change", pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    return _form_page(
        request,
        form,
        title=f"Edit contact {contact.name}",
        save=lambda data: services.contact_save(actor=request.user, contact=contact, **data),
        cancel_url=contact.get_absolute_url(),
        success="Contact saved.",
    )


@login_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    contact = get_visible_or_404(request, AgencyContact.objects.select_related("agency"), "delete", pk=pk)
    back = contact.get_absolute_url()
    return _delete_page(
        request,
        contact,
        delete=lambda: services.contact_delete(actor=request.user, contact=contact),
        back=back,
        title="Delete contact",
    )


@login_required
def endpoint_create(request: HttpRequest, agency_pk: int) -> HttpResponse:
    agency = _agency_for_change(request, agency_pk)
    form = EndpointForm(request.POST or None)
    return _form_page(
        request,
        form,
        title=f"New endpoint for {agency}",
        save=lambda data: services.endpoint_save(actor=request.user, agency=agency, **data),
        cancel_url=agency.get_absolute_url(),
        success="Endpoint added.",
    )


@login_required
def endpoint_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    endpoint = get_visible_or_404(request, AgencyEndpoint.objects.select_related("agency"), "change", pk=pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    return _form_page(
        request,
        form,
        title=f"Edit endpoint {endpoint.address}",
        save=lambda data: services.endpoint_save(actor=request.user, endpoint=endpoint, **data),
        cancel_url=endpoint.get_absolute_url(),
        success="Endpoint saved.",
    )


@login_required
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    endpoint = get_visible_or_404(request, AgencyEndpoint.objects.select_related("agency"), "delete", pk=pk)
    return _delete_page(
        request,
        endpoint,
        delete=lambda: services.endpoint_delete(actor=request.user, endpoint=endpoint),
        back=endpoint.get_absolute_url(),
        title="Delete endpoint",
    )


# --- installations -----------------------------------------------------------------------


def _require_member(request: HttpRequest) -> Principal:
    principal = _principal(request)
    if not principal.roles:
        raise PermissionDenied("Your account has no role in any agency.")
    return principal


@login_required
def installation_list(request: HttpRequest) -> HttpResponse:
    principal = _require_member(request)
    return _list_page(
        request,
        title="Installations",
        queryset=Installation.objects.visible_to(request.user).select_related("lea"),
        filterset_class=InstallationFilter,
        table_class=InstallationTable,
        create_url=reverse("installation_create") if principal.is_system_admin else None,
    )


@login_required
def installation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = _require_member(request)
    installation = get_visible_or_404(request, Installation.objects.select_related("lea"), "view", pk=pk)
    return render(
        request,
        "rsoits/installation_detail.html",
        {"installation": installation, "can_edit": principal.is_system_admin, "history": history_rows(installation)},
    )


@login_required
def installation_create(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    form = InstallationForm(request.POST or None)
    return _form_page(
        request,
        form,
        title="New installation",
        save=lambda data: services.installation_save(actor=request.user, **data),
        cancel_url=reverse("installation_list"),
        success="Installation created.",
    )


@login_required
def installation_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_system_admin(request)
    installation = get_visible_or_404(request, Installation.objects, "change", pk=pk)
    form = InstallationForm(request.POST or None, instance=installation)
    return _form_page(
        request,
        form,
        title=f"Edit {installation}",
        save=lambda data: services.installation_save(actor=request.user, installation=installation, **data),
        cancel_url=installation.get_absolute_url(),
        success="Installation saved.",
    )


# --- users and memberships ----------------------------------------------------------------


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    principal = _require_admin(request)
    queryset = User.objects.visible_to(request.user).prefetch_related(
        models.Prefetch("memberships", queryset=Membership.objects.select_related("agency"))
    )
    return _list_page(
        request,
        title="Users",
        queryset=queryset,
        filterset_class=UserFilter,
        table_class=UserTable,
        create_url=reverse("user_create") if (principal.is_system_admin or principal.admin_agency_ids) else None,
        log_model=User,
    )


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = _principal(request)
    subject = get_visible_or_404(request, User.objects, "view", pk=pk)  # logs AccessAction.VIEW
    can_change = User.objects.visible_to(request.user, "change").filter(pk=subject.pk).exists()
    memberships = Membership.objects.visible_to(request.user).filter(user=subject).select_related("agency")
    changeable = set(
        Membership.objects.visible_to(request.user, "change").filter(user=subject).values_list("pk", flat=True)
    )
    context = {
        "subject": subject,
        "memberships": [(m, m.pk in changeable) for m in memberships],
        "can_change": can_change,
        "grant_form": MembershipGrantForm(principal=principal) if can_change else None,
        "history": history_rows(subject),
    }
    return render(request, "rsoits/user_detail.html", context)


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    principal = _require_admin(request)
    form = UserCreateForm(request.POST or None, principal=principal)

    def save(data: dict[str, Any]) -> User:
        return services.user_create(
            actor=request.user,
            username=data["username"],
            password=data["password"] or None,
            agency=data["agency"],
            roles=[data["role"]],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
        )

    return _form_page(
        request, form, title="New user", save=save, cancel_url=reverse("user_list"), success="User created."
    )


@login_required
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    subject = get_visible_or_404(request, User.objects, "change", pk=pk)
    form = UserUpdateForm(request.POST or None, instance=subject)
    return _form_page(
        request,
        form,
        title=f"Edit {subject}",
        save=lambda data: services.user_update(actor=request.user, user=subject, **data),
        cancel_url=subject.get_absolute_url(),
        success="User saved.",
    )


@login_required
@require_POST
def membership_grant(request: HttpRequest, pk: int) -> HttpResponse:
    principal = _require_admin(request)
    subject = get_visible_or_404(request, User.objects, "change", pk=pk)
    form = MembershipGrantForm(request.POST, principal=principal)
    if form.is_valid():
        try:
            services.membership_grant(
                actor=request.user, user=subject, agency=form.cleaned_data["agency"], role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, "Role granted.")
    else:
        messages.error(request, "Choose an agency and a role you may grant.")
    return redirect(subject.get_absolute_url())


@login_required
@require_POST
def membership_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    membership = get_visible_or_404(
        request, Membership.objects.select_related("user", "agency"), "delete", log=False, pk=pk
    )
    user_url = membership.user.get_absolute_url()
    services.membership_revoke(actor=request.user, membership=membership)
    messages.success(request, "Role revoked.")
    return redirect(user_url)


@login_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    subject = get_visible_or_404(request, User.objects, "change", pk=pk)
    services.user_unlock(actor=request.user, user=subject, request=request)
    messages.success(request, f"{subject} may sign in again.")
    return redirect(subject.get_absolute_url())


@login_required
@require_POST
def user_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    subject = get_visible_or_404(request, User.objects, "change", pk=pk)
    services.user_reset_mfa(actor=request.user, user=subject, request=request)
    messages.success(request, f"{subject} must set up multi-factor sign-in again.")
    return redirect(subject.get_absolute_url())


# --- access log --------------------------------------------------------------------------


@login_required
def accesslog_list(request: HttpRequest) -> HttpResponse:
    principal = _principal(request)
    if not (principal.is_system_admin or principal.has_role(Role.AUDITOR)):
        raise PermissionDenied("Only auditors and system administrators may read the access log.")
    return _list_page(
        request,
        title="Access log",
        queryset=AccessLog.objects.visible_to(request.user),
        filterset_class=AccessLogFilter,
        table_class=AccessLogTable,
        log_model=AccessLog,
    )
