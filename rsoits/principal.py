"""What a user is, in RSOITS terms: their agencies and roles, computed once per request.

``principal_for(user)`` is the one source every ``visible_to`` scope reads. It is cached on the
user object, so a request pays for it with a single query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .choices import AgencyKind, Role


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
    if cached is not None:
        return cached
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
    principal = Principal(
        user_id=user.pk,
        agency_ids=frozenset(roles_by_agency),
        roles=frozenset(r for rs in roles_by_agency.values() for r in rs),
        roles_by_agency={a: frozenset(r) for a, r in roles_by_agency.items()},
        agency_kinds=kinds,
        agency_refs=refs,
        installation_ids=installation_ids,
    )
    user._rsoits_principal = principal
    return principal


def forget_principal(user: Any) -> None:
    """Drop the cached principal after memberships change."""
    if hasattr(user, "_rsoits_principal"):
        del user._rsoits_principal
