"""API token screen: admins issue knox tokens for users they may change, list them (never the
secret or its digest) and revoke them. A new token is shown once, on the page answering the POST."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from knox.models import get_token_model

from . import services
from .access import get_visible_or_404
from .forms import ApiTokenForm
from .models import User
from .principal import principal_for


def _manageable_users(request: HttpRequest):
    principal = principal_for(request.user)
    if not (principal.is_system_admin or principal.admin_agency_ids):
        raise PermissionDenied("Only an agency or system administrator may manage API tokens.")
    return User.objects.visible_to(request.user, "change")


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    users = _manageable_users(request)
    tokens = (
        get_token_model()
        .objects.filter(user__in=users.values("pk"))
        .select_related("user")
        .only("token_key", "created", "expiry", "user__username", "user__first_name", "user__last_name")
        .order_by("-created")
    )
    return render(request, "rsoits/apitoken_list.html", {"tokens": tokens, "now": timezone.now()})


@never_cache
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    users = _manageable_users(request)
    if request.method != "POST":
        initial = {}
        if request.GET.get("user", "").isdigit():
            initial["user"] = get_visible_or_404(request, User.objects, "change", log=False, pk=request.GET["user"]).pk
        form = ApiTokenForm(users=users, initial=initial)
        return render(request, "rsoits/apitoken_form.html", {"form": form})
    # A user outside the admin's scope answers 404, as every other record does.
    user_id = request.POST.get("user", "")
    if user_id.isdigit():
        get_visible_or_404(request, User.objects, "change", log=False, pk=user_id)
    form = ApiTokenForm(request.POST, users=users)
    if form.is_valid():
        try:
            instance, token = services.token_issue(
                actor=request.user, user=form.cleaned_data["user"], days=form.cleaned_data["days"], request=request
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(request, "rsoits/apitoken_created.html", {"instance": instance, "token": token})
    return render(request, "rsoits/apitoken_form.html", {"form": form}, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    users = _manageable_users(request)
    tokens = get_token_model().objects.filter(token_key=token_key, user__in=users.values("pk")).select_related("user")
    token = tokens.first()
    if token is None:
        raise Http404("No API token found.")
    services.token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, f"API token {token_key[:8]}… of {token.user.username} revoked.")
    return redirect("apitoken_list")
