"""Each role's navigation: only what it may use. Domain apps add their entries here by name."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .choices import Role
from .principal import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]  # any of these roles shows the item

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


_ALL_WORK = frozenset(
    {
        Role.SORA_STAFF,
        Role.SORA_SUPERVISOR,
        Role.NSOTC_ANALYST,
        Role.NSOTC_SUPERVISOR,
        Role.USNCB_OFFICER,
        Role.INSTALLATION_LEA,
    }
)

NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "home", frozenset(Role.values)),
    NavItem("Registrants", "registrant_list", _ALL_WORK | {Role.COMPONENT_HR}),
    NavItem(
        "Travel notices",
        "travelnotice_list",
        frozenset({*Role.sora_roles(), *Role.nsotc_roles(), Role.USNCB_OFFICER, Role.INSTALLATION_LEA}),
    ),
    # NSOTC vets every hit; a SORA, USNCB and an installation see the hits of theirs (HitQuerySet).
    NavItem(
        "Hits",
        "hit_list",
        frozenset({*Role.nsotc_roles(), *Role.sora_roles(), Role.USNCB_OFFICER, Role.INSTALLATION_LEA}),
    ),
    NavItem(
        "Cases",
        "case_list",
        frozenset({*Role.nsotc_roles(), Role.USNCB_OFFICER, *Role.sora_roles(), Role.INSTALLATION_LEA}),
    ),
    NavItem("Foreign notices", "foreignnotice_list", frozenset({Role.USNCB_OFFICER, *Role.nsotc_roles()})),
    NavItem("Inbound notices", "inboundnotice_list", frozenset({Role.USNCB_OFFICER, *Role.nsotc_roles()})),
    NavItem("Passport actions", "passportaction_list", frozenset({*Role.sora_roles(), *Role.nsotc_roles()})),
    NavItem("Monitoring", "monitoring_list", frozenset({Role.INSTALLATION_LEA})),
    NavItem(
        "Separations", "separation_list", frozenset({Role.INSTALLATION_LEA, *Role.sora_roles(), *Role.nsotc_roles()})
    ),
    NavItem("Inbox", "notification_inbox", _ALL_WORK | {Role.COMPONENT_HR, Role.AGENCY_ADMIN}),
    NavItem("Agencies", "agency_list", frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN})),
    NavItem("Installations", "installation_list", frozenset({Role.SYSTEM_ADMIN, Role.INSTALLATION_LEA})),
    NavItem("Users", "user_list", frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN})),
    NavItem("Routing rules", "routingrule_matrix", frozenset({Role.SYSTEM_ADMIN})),
    NavItem("API tokens", "apitoken_list", frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN})),
    NavItem("Access log", "accesslog_list", frozenset({Role.SYSTEM_ADMIN, Role.AUDITOR})),
]


def nav_for(principal: Principal) -> list[dict[str, str]]:
    items = []
    for item in NAV_ITEMS:
        if principal.roles & item.roles:
            url = item.url()
            if url:
                items.append({"label": item.label, "url": url, "name": item.url_name})
    return items
