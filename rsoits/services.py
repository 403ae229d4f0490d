"""Every write to core records. Each service takes the acting user, validates, writes inside a
transaction, and leaves a history row naming the actor."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .access import log_access
from .audit import acting_as, audited_service
from .choices import AccessAction, AgencyKind, Role
from .models import Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User
from .principal import forget_principal, principal_for

# --- helpers -----------------------------------------------------------------------------


def _save(obj: Any, *, actor: Any, reason: str = "") -> Any:
    obj.full_clean()
    obj._change_reason = reason or None
    with acting_as(actor):
        obj.save()
    return obj


def _apply(obj: Any, fields: dict[str, Any]) -> Any:
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def require_change(actor: Any, obj: Any) -> None:
    """Refuse a write the actor's scope does not allow (the visible_to chokepoint, 'change')."""
    if not type(obj).objects.visible_to(actor, "change").filter(pk=obj.pk).exists():
        raise PermissionDenied(f"You may not change this {obj._meta.verbose_name}.")


def _require_system_admin(actor: Any) -> None:
    if not principal_for(actor).is_system_admin:
        raise PermissionDenied("Only a system administrator may do this.")


# --- agencies ----------------------------------------------------------------------------


@transaction.atomic
@audited_service
def agency_create(*, actor: Any, **fields: Any) -> Agency:
    if actor is not None:
        _require_system_admin(actor)
    agency = Agency(**fields)
    agency.full_clean()
    agency.group = Group.objects.get_or_create(name=f"agency:{agency.code}")[0]
    return _save(agency, actor=actor)


@transaction.atomic
@audited_service
def agency_update(*, actor: Any, agency: Agency, **fields: Any) -> Agency:
    if actor is not None:
        _require_system_admin(actor)
    if "code" in fields and fields["code"] != agency.code and agency.group_id:
        Group.objects.filter(pk=agency.group_id).update(name=f"agency:{fields['code']}")
    return _save(_apply(agency, fields), actor=actor)


def agency_group(agency: Agency) -> Group:
    """The auth group that stands for the agency in django-guardian object shares."""
    if agency.group_id is None:
        agency.group = Group.objects.get_or_create(name=f"agency:{agency.code}")[0]
        Agency.objects.filter(pk=agency.pk).update(group=agency.group)  # group is not audited data
    return agency.group


@transaction.atomic
@audited_service
def contact_save(*, actor: Any, contact: AgencyContact | None = None, **fields: Any) -> AgencyContact:
    contact = _apply(contact or AgencyContact(), fields)
    _check_agency_admin(actor, contact.agency)
    return _save(contact, actor=actor)


@transaction.atomic
@audited_service
def contact_delete(*, actor: Any, contact: AgencyContact) -> None:
    _check_agency_admin(actor, contact.agency)
    contact.delete()


@transaction.atomic
@audited_service
def endpoint_save(*, actor: Any, endpoint: AgencyEndpoint | None = None, **fields: Any) -> AgencyEndpoint:
    endpoint = _apply(endpoint or AgencyEndpoint(), fields)
    _check_agency_admin(actor, endpoint.agency)
    return _save(endpoint, actor=actor)


@transaction.atomic
@audited_service
def endpoint_delete(*, actor: Any, endpoint: AgencyEndpoint) -> None:
    _check_agency_admin(actor, endpoint.agency)
    endpoint.delete()


def _check_agency_admin(actor: Any, agency: Agency | None) -> None:
    if actor is None:
        return  # management commands and seeding act as the system
    principal = principal_for(actor)
    if principal.is_system_admin:
        return
    if agency is None or agency.pk not in principal.admin_agency_ids:
        raise PermissionDenied("You may manage only your own agency.")


# --- installations -----------------------------------------------------------------------


@transaction.atomic
@audited_service
def installation_save(*, actor: Any, installation: Installation | None = None, **fields: Any) -> Installation:
    if actor is not None:
        _require_system_admin(actor)
    installation = _apply(installation or Installation(), fields)
    if installation.lea_id and installation.lea.kind != AgencyKind.INSTALLATION_LEA:
        raise ValidationError({"lea": "The law enforcement agency must be of the installation LEA kind."})
    return _save(installation, actor=actor)


# --- users and memberships ----------------------------------------------------------------


@transaction.atomic
@audited_service
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    agency: Agency | None = None,
    roles: list[str] | None = None,
    **fields: Any,
) -> User:
    if agency is not None or roles:
        _check_agency_admin(actor, agency)
    user = User(username=username, **fields)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    _save(user, actor=actor)
    for role in roles or []:
        membership_grant(actor=actor, user=user, agency=agency, role=role)
    return user


@transaction.atomic
@audited_service
def user_update(*, actor: Any, user: User, **fields: Any) -> User:
    if actor is not None and actor.pk != user.pk:
        require_change(actor, user)
    return _save(_apply(user, fields), actor=actor)


@transaction.atomic
@audited_service
def membership_grant(*, actor: Any, user: User, agency: Agency, role: str) -> Membership:
    _check_agency_admin(actor, agency)
    if role == Role.SYSTEM_ADMIN and actor is not None and not principal_for(actor).is_system_admin:
        raise PermissionDenied("Only a system administrator may grant the system administrator role.")
    membership, created = Membership.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"active": True}
    )
    if not created and not membership.active:
        membership.active = True
        membership.save()
    if agency.group_id or agency.pk:
        user.groups.add(agency_group(agency))
    forget_principal(user)
    return membership


@transaction.atomic
@audited_service
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    _check_agency_admin(actor, membership.agency)
    user, agency = membership.user, membership.agency
    membership.delete()
    if not Membership.objects.filter(user=user, agency=agency).exists() and agency.group_id:
        user.groups.remove(agency.group)
    forget_principal(user)


@transaction.atomic
def user_lock(*, username: str, reason: str, request: Any = None) -> User | None:
    """Lock an account after repeated failures; it stays locked until an admin releases it."""
    user = User.objects.select_for_update().filter(username__iexact=username).first()
    if user is None or user.locked_at is not None:
        return user
    user.locked_at = timezone.now()
    user.locked_reason = reason
    with acting_as(None):
        user.save(update_fields=["locked_at", "locked_reason"])
    if request is not None:
        log_access(request, AccessAction.LOCKED, obj=user, outcome="denied", user=user)
    return user


@transaction.atomic
@audited_service
def user_unlock(*, actor: Any, user: User, request: Any = None) -> User:
    """An agency admin (of the user's agency) or a system admin releases a locked account."""
    require_change(actor, user)
    from axes.utils import reset

    from .auth import lockout_username

    reset(username=lockout_username(None, {"username": user.username}))
    user.locked_at = None
    user.locked_reason = ""
    user.save(update_fields=["locked_at", "locked_reason"])
    if request is not None:
        log_access(request, AccessAction.UNLOCKED, obj=user)
    return user


@transaction.atomic
@audited_service
def user_reset_mfa(*, actor: Any, user: User, request: Any = None) -> User:
    """Remove a user's authenticators; with REQUIRE_MFA on they must enrol again at next sign-in."""
    require_change(actor, user)
    from importlib import import_module

    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.sessions.models import Session

    Authenticator.objects.filter(user=user).delete()
    # End the user's open sessions so the reset cannot be sidestepped by a live session. The
    # session engine deletes them, so a copy in the session cache (cached_db) goes too.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            store.delete(session.session_key)
    if request is not None:
        log_access(request, AccessAction.MFA_RESET, obj=user)
    return user


def user_acknowledge_notice(*, user: User, request: Any = None) -> None:
    """Record that the user acknowledged the system-use notice at sign-in."""
    User.objects.filter(pk=user.pk).update(system_notice_acknowledged_at=timezone.now())  # not audited data
    if request is not None:
        log_access(request, AccessAction.NOTICE_ACK, obj=user, user=user)


# --- API tokens ------------------------------------------------------------------------------

_security_log = logging.getLogger("rsoits.security")


def _require_token_admin(actor: Any, user: User) -> None:
    """A system admin may issue or revoke tokens for anyone; an agency admin for users they may
    change (their own agency's). ``actor=None`` is the system (the issue_token command)."""
    if actor is None:
        return
    principal = principal_for(actor)
    if not (principal.is_system_admin or principal.admin_agency_ids):
        raise PermissionDenied("Only an agency or system administrator may manage API tokens.")
    require_change(actor, user)


@transaction.atomic
def token_issue(*, actor: Any, user: User, days: int | None = None, request: Any = None) -> tuple[Any, str]:
    """Issue a knox API token for ``user``; only its hash is stored. Returns (record, token): the
    token itself exists only in this return value and must be shown once."""
    from datetime import timedelta

    from knox.models import get_token_model
    from knox.settings import knox_settings

    _require_token_admin(actor, user)
    if not user.is_active or user.locked_at is not None:
        raise ValidationError({"user": "Tokens cannot be issued to an inactive or locked account."})
    if days is not None and not 1 <= days <= 366:
        raise ValidationError({"days": "A token lasts between 1 and 366 days."})
    expiry = timedelta(days=days) if days else knox_settings.TOKEN_TTL
    if expiry is None:
        raise ValidationError({"days": "API tokens must expire."})
    instance, token = get_token_model().objects.create(user=user, expiry=expiry)
    # AccessAction has no token actions yet; the security log records who issued what.
    _security_log.info(
        "API token %s issued for %s by %s, expires %s",
        instance.token_key,
        user.username,
        actor.username if actor else "system",
        instance.expiry,
    )
    return instance, token


@transaction.atomic
def token_revoke(*, actor: Any, token: Any, request: Any = None) -> None:
    """Revoke (delete) one API token."""
    _require_token_admin(actor, token.user)
    _security_log.info(
        "API token %s of %s revoked by %s", token.token_key, token.user.username, actor.username if actor else "system"
    )
    token.delete()
