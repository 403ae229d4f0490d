"""What a user is, in RSOITS terms: their agencies and roles, computed once per request.

``principal_for(user)`` is the one source every ``visible_to`` scope reads. It is cached on the
user object, so a request pays for it with a single query at most. With a shared cache (Redis,
``PRINCIPAL_CACHE_SECONDS`` > 0) it is also kept between requests, for at most that many seconds:
saving or deleting a membership makes the user's entry stale, and saving or deleting an agency
or an installation every entry, at once and again on commit (``rsoits.generations``: a
principal read in the transaction that made the change is not kept, lest it roll back).

It also knows for which models the user holds any object permission of django-guardian (directly
or through a group): a ``visible_to`` scope adds the subqueries over guardian's tables only for
those. Granting or revoking one drops the entries of the users concerned, like a membership; an
entry that missed a grant would hide the shared record, never show one (revoked grants are still
checked in the subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .choices import AgencyKind, Role
from .generations import Generation


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    agency_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # agency id -> roles held in it
    roles_by_agency: dict[int, frozenset[str]] = field(default_factory=dict)
    agency_kinds: dict[int, str] = field(default_factory=dict)
    # agency id -> (code, NCIC ORI), for the access log without another query
    agency_refs: dict[int, tuple[str, str]] = field(default_factory=dict)
    # installations whose LEA is one of the user's agencies (DTM 15-003 att. 3, 3.c)
    installation_ids: frozenset[int] = field(default_factory=frozenset)
    # content types of the objects shared with the user through django-guardian (any permission)
    granted_content_type_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def primary_agency(self) -> tuple[int, str, str] | None:
        """(id, code, ORI) of the user's first agency, as the access log records it."""
        if not self.agency_refs:
            return None
        agency_id = min(self.agency_refs)
        return (agency_id, *self.agency_refs[agency_id])

    @property
    def is_system_admin(self) -> bool:
        return Role.SYSTEM_ADMIN in self.roles

    @property
    def is_nsotc(self) -> bool:
        return bool(self.roles & Role.nsotc_roles())

    @property
    def is_usncb(self) -> bool:
        return Role.USNCB_OFFICER in self.roles

    @property
    def is_sora(self) -> bool:
        return bool(self.roles & Role.sora_roles())

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def agencies_with_role(self, *roles: str) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(a for a, r in self.roles_by_agency.items() if r & wanted)

    @property
    def sora_agency_ids(self) -> frozenset[int]:
        return frozenset(
            a
            for a in self.agencies_with_role(*Role.sora_roles())
            if self.agency_kinds.get(a) in AgencyKind.sora_kinds()
        )

    @property
    def admin_agency_ids(self) -> frozenset[int]:
        return self.agencies_with_role(Role.AGENCY_ADMIN)


ANONYMOUS = Principal(user_id=None)


def principal_for(user: Any) -> Principal:
    """The user's memberships as a Principal (one query, cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_rsoits_principal", None)
    if cached is not None and getattr(user, "_rsoits_grants_seen", None) == _grants_changed:
        return cached
    principal, store = _from_shared_cache(user)
    if principal is None:
        principal = _build(user)
        store(principal)
    user._rsoits_principal = principal
    user._rsoits_grants_seen = _grants_changed
    return principal


def _build(user: Any) -> Principal:
    from .models import Installation, Membership

    rows = list(
        Membership.objects.filter(user_id=user.pk, active=True, agency__active=True).values_list(
            "agency_id", "role", "agency__kind", "agency__code", "agency__ori"
        )
    )
    roles_by_agency: dict[int, set[str]] = {}
    kinds: dict[int, str] = {}
    refs: dict[int, tuple[str, str]] = {}
    for agency_id, role, kind, code, ori in rows:
        roles_by_agency.setdefault(agency_id, set()).add(role)
        kinds[agency_id] = kind
        refs[agency_id] = (code, ori)
    lea_agencies = [a for a, r in roles_by_agency.items() if Role.INSTALLATION_LEA in r]
    installation_ids: frozenset[int] = frozenset()
    if lea_agencies:
        installation_ids = frozenset(Installation.objects.filter(lea_id__in=lea_agencies).values_list("pk", flat=True))
    from guardian.models import GroupObjectPermission, UserObjectPermission

    direct = UserObjectPermission.objects.filter(user_id=user.pk).values_list("content_type_id")
    via_groups = GroupObjectPermission.objects.filter(group__user=user.pk).values_list("content_type_id")
    granted = frozenset(content_type_id for (content_type_id,) in direct.union(via_groups))
    principal = Principal(
        user_id=user.pk,
        granted_content_type_ids=granted,
        agency_ids=frozenset(roles_by_agency),
        roles=frozenset(r for rs in roles_by_agency.values() for r in rs),
        roles_by_agency={a: frozenset(r) for a, r in roles_by_agency.items()},
        agency_kinds=kinds,
        agency_refs=refs,
        installation_ids=installation_ids,
    )
    return principal


# --- the shared cache (between requests) ----------------------------------------------------

# Every entry is kept under two generations (``rsoits.generations``): the shared one, moved when
# an agency or an installation changes (what else is kept of the agencies is kept under it too:
# the filters' list of registering agencies), and the user's own, moved when their memberships
# or grants do.
GENERATION = Generation("rsoits:principal:generation")


def _cache_seconds() -> int:
    from django.conf import settings

    return getattr(settings, "PRINCIPAL_CACHE_SECONDS", 0)


def _user_key(user_id: int) -> str:
    return f"rsoits:principal:v3:{user_id}"  # (v3: under the user's generation too)


def _user_generation(user_id: int) -> Generation:
    return Generation(f"rsoits:principal:user-generation:{user_id}")


def _from_shared_cache(user: Any) -> tuple[Principal | None, Any]:
    """The cached principal, if still current, and a function that stores a fresh one.

    An entry holds the generations it was built under and the user's ``date_joined``, so neither
    a changed agency nor a reused user id (a restored database) can serve a stale one."""
    seconds = _cache_seconds()
    if not seconds:
        return None, lambda principal: None
    from django.core.cache import cache

    key = _user_key(user.pk)
    own = _user_generation(user.pk)
    joined = getattr(user, "date_joined", None)
    values = cache.get_many([GENERATION.key, own.key, key])
    generations = (GENERATION.accept(values.get(GENERATION.key)), own.accept(values.get(own.key)))
    if None in generations:
        return None, lambda principal: None  # (changed in this thread's open transaction)
    entry = values.get(key)
    if entry is not None and entry[:3] == (*generations, joined):
        return entry[3], None

    def store(principal: Principal) -> None:
        # Stored under the generations read before the memberships were: a change made meanwhile
        # leaves an entry that no later read accepts.
        cache.set(key, (*generations, joined, principal), seconds)

    return None, store


def forget_principal(user: Any) -> None:
    """Drop the cached principal after memberships change."""
    if hasattr(user, "_rsoits_principal"):
        del user._rsoits_principal
    if _cache_seconds() and getattr(user, "pk", None):
        forget_user_principal(user.pk)


def forget_user_principal(user_id: int) -> None:
    """Make the user's entry in the shared cache stale (now and on commit)."""
    _user_generation(user_id).move()


def forget_all_principals() -> None:
    """Make every cached principal stale (now and on commit)."""
    GENERATION.move()


def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _cache_seconds() and instance.user_id:
        forget_user_principal(instance.user_id)


# Moves whenever a guardian grant or a group's users change in this process: a principal kept on
# a user object built before is built again (a grant and a read in one request, or in a test).
_grants_changed = 0


def _grants_moved() -> None:
    global _grants_changed
    _grants_changed += 1


def _user_grant_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _grants_moved()
    if _cache_seconds() and instance.user_id:
        forget_user_principal(instance.user_id)


def _group_grant_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _grants_moved()
    if _cache_seconds() and instance.group_id:
        from .models import User

        for user_id in User.objects.filter(groups=instance.group_id).values_list("pk", flat=True):
            forget_user_principal(user_id)


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A user joined or left a group (or a group gained or lost users): its grants changed."""
    if not action.startswith("post_"):
        return
    _grants_moved()
    if not _cache_seconds():
        return
    if not reverse:
        forget_user_principal(instance.pk)
    elif pk_set:
        for user_id in pk_set:
            forget_user_principal(user_id)
    else:  # (a group cleared of all its users)
        forget_all_principals()


def _reference_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # (whatever the principal cache's setting: the filters' list of agencies is kept under it too)
    forget_all_principals()


def connect_cache_invalidation() -> None:
    """Connect the receivers that keep the shared principal cache current (called once, from
    the app's ``ready``)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from .models import Agency, Installation, Membership, User

    for signal in (post_save, post_delete):
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"principal-membership-{signal!r}")
        signal.connect(_user_grant_changed, sender=UserObjectPermission, dispatch_uid=f"principal-uop-{signal!r}")
        signal.connect(_group_grant_changed, sender=GroupObjectPermission, dispatch_uid=f"principal-gop-{signal!r}")
        for model in (Agency, Installation):
            signal.connect(_reference_changed, sender=model, dispatch_uid=f"principal-{model.__name__}-{signal!r}")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="principal-user-groups")
