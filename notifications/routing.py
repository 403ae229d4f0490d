"""The router: which agencies an event goes to, over which channels, and why.

``plan_routing`` reads the active rules for (event type, fugitive or not), resolves each
recipient role to agencies from the registrant and the event's context, and lists what could
not be resolved (reported on the event and in the routing preview, never silently dropped).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rsoits.choices import AgencyKind, DodComponent, EndpointKind, Role
from rsoits.generations import Generation
from rsoits.models import Agency, AgencyEndpoint, Installation

from .choices import Channel, ContentLevel, Priority, RecipientRole
from .models import RoutingRule

R = RecipientRole

# DTM 15-003 att. 3, 1.c(2): NSOR matches go to the MCIO of the person's Military Service.
MCIO_BY_COMPONENT = {
    DodComponent.ARMY: "ARMY-CID",
    DodComponent.NAVY: "NCIS",
    DodComponent.MARINE_CORPS: "NCIS",
    DodComponent.AIR_FORCE: "AFOSI",
    DodComponent.SPACE_FORCE: "AFOSI",
    DodComponent.COAST_GUARD: "CGIS",
}

DOD_CONTEXT_ROLES = {R.INSTALLATION_LEA, R.MCIO, R.COMPONENT_HR, R.NGB_PROVOST_MARSHAL}


def _resolve_dod_from_context(role, context, found, missing, single) -> None:
    component = context.get("component") or ""
    if role == R.INSTALLATION_LEA:
        installation = Installation.objects.filter(pk=context.get("installation_id")).select_related("lea").first()
        if installation is None:
            missing.append(Skipped(role, "The event names no installation.", True))
        elif installation.lea_id is None or not installation.lea.active:
            missing.append(Skipped(role, f"{installation} has no active law enforcement agency.", True))
        else:
            found.append(Recipient(installation.lea, role, f"Monitors RSOs on {installation} (DTM att. 3 2.d, 3.c)."))
    elif role == R.MCIO:
        code = MCIO_BY_COMPONENT.get(component)
        agency = Agency.objects.filter(code=code, active=True).first() if code else None
        if agency is None:
            missing.append(Skipped(role, f"No MCIO is registered for the component '{component or 'none'}'.", True))
        else:
            found.append(Recipient(agency, role, f"MCIO of the {DodComponent(component).label} (DTM att. 3 1.c(2))."))
    elif role == R.COMPONENT_HR:
        code = "HR-" + component.upper().replace("_", "-") if component else ""
        agency = Agency.objects.filter(code=code, kind=AgencyKind.COMPONENT_HR, active=True).first() if code else None
        if agency is None:
            missing.append(Skipped(role, f"No component HR agency {code or '(no component)'} is registered.", True))
        else:
            found.append(Recipient(agency, role, "Component HR, name only (DTM att. 3 2.d, 2.f)."))
    elif role == R.NGB_PROVOST_MARSHAL:
        if not context.get("national_guard"):
            missing.append(Skipped(role, "Not a National Guard member.", False))
        else:
            single(AgencyKind.NGB_PM, "NGB Provost Marshal", "National Guard member (DTM att. 3 2.e).")


# Management information only (DTM 15-003 att. 3, 1.c(4), 2.f-g): the name, nothing more.
NAME_ONLY_ROLES = {R.COMPONENT_HR, R.MEPCOM}

SUPERVISOR_ROLE_BY_KIND = {
    AgencyKind.NSOTC: Role.NSOTC_SUPERVISOR,
    **{kind: Role.SORA_SUPERVISOR for kind in AgencyKind.sora_kinds()},
}


@dataclass
class Recipient:
    agency: Agency
    role: str
    reason: str
    audience_role: str = ""


@dataclass
class Skipped:
    role: str
    reason: str
    unresolved: bool  # True: should have been told but could not be; False: does not apply

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "role_label": RecipientRole(self.role).label, "reason": self.reason}


@dataclass
class Delivery:
    """One planned notification: an agency over one channel (one endpoint for e-mail/webhook)."""

    agency: Agency
    channel: str
    endpoint: AgencyEndpoint | None
    address: str
    priority: str
    recipient_role: str
    reason: str
    audience_role: str
    content_level: str


@dataclass
class RoutingPlan:
    event_type: str
    fugitive: bool
    rules: list[RoutingRule] = field(default_factory=list)
    recipients: list[tuple[RoutingRule, Recipient]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    channel_notes: list[str] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Skipped]:
        return [s for s in self.skipped if s.unresolved]


# --- the configuration, kept per process ---------------------------------------------------------
#
# The rules, the national agencies (one of a kind: NSOTC, USNCB, MEPCOM, Passport Services) and
# the agencies' endpoints change seldom and are read for every event. Each process keeps what it
# has read under the shared generation (``rsoits.generations``): saving or deleting a rule, an
# agency or an endpoint moves it at once and again on commit (``routing_changed``), and the
# transaction that moved it keeps nothing meanwhile, lest it roll back.

GENERATION = Generation("notifications:routing-generation")
_local = threading.local()


def _configuration() -> dict | None:
    """This process's copy of the routing configuration for the current generation, or None
    when nothing may be kept (no cache, or a change in this thread's open transaction)."""
    generation = GENERATION.current()
    if generation is None:
        return None
    kept = getattr(_local, "configuration", None)
    if kept is None or kept["generation"] != generation:
        kept = _local.configuration = {"generation": generation, "rules": {}, "kinds": {}, "endpoints": {}}
    return kept


def routing_changed() -> None:
    """A rule, an agency or an endpoint changed: every process reads the configuration again."""
    GENERATION.move()


def _routing_changed_signal(sender: Any, **kwargs: Any) -> None:
    routing_changed()


def connect_routing_invalidation() -> None:
    """Connect the receivers that keep the kept configurations current (from the app's ``ready``)."""
    from django.db.models.signals import post_delete, post_save

    for model in (RoutingRule, Agency, AgencyEndpoint):
        for signal in (post_save, post_delete):
            signal.connect(_routing_changed_signal, sender=model, dispatch_uid=f"routing-{model.__name__}-{signal!r}")


def _rules_for(event_type: str, fugitive: bool, kept: dict | None) -> list[RoutingRule]:
    if kept is not None and (event_type, fugitive) in kept["rules"]:
        return kept["rules"][(event_type, fugitive)]
    rules = list(RoutingRule.objects.for_event(event_type, fugitive).order_by("recipient_role"))
    if kept is not None:
        kept["rules"][(event_type, fugitive)] = rules
    return rules


# --- resolving one role -----------------------------------------------------------------------


def _one_of_kind(kind: str, kept: dict | None = None) -> Agency | None:
    if kept is not None and kind in kept["kinds"]:
        return kept["kinds"][kind]
    agency = Agency.objects.filter(kind=kind, active=True).order_by("pk").first()
    if kept is not None:
        kept["kinds"][kind] = agency
    return agency


def _resolve(
    role: str, registrant: Any, context: dict, kept: dict | None = None
) -> tuple[list[Recipient], list[Skipped]]:
    found: list[Recipient] = []
    missing: list[Skipped] = []

    def single(kind: str, label: str, reason: str, audience: str = "") -> None:
        agency = _one_of_kind(kind, kept)
        if agency is None:
            missing.append(Skipped(role, f"No active {label} agency is registered.", True))
        else:
            found.append(Recipient(agency, role, reason, audience))

    if role == R.NSOTC:
        single(AgencyKind.NSOTC, "NSOTC", "NSOTC tracks every registrant who travels (WP VI.1).")
    elif role == R.NSOTC_SUPERVISORS:
        single(AgencyKind.NSOTC, "NSOTC", "Escalated to the NSOTC supervisors.", Role.NSOTC_SUPERVISOR)
    elif role == R.USNCB:
        single(AgencyKind.USNCB, "USNCB", "USNCB liaises with foreign countries (WP VI.3, VI.5).")
    elif role == R.MEPCOM:
        single(AgencyKind.MEPCOM, "MEPCOM", "Name-only red flag for MEPCOM (DTM att. 3 1.c(4)).")
    elif role == R.PASSPORT_SERVICES:
        single(AgencyKind.STATE_CA_PPT, "Passport Services", "Passport Services acts on passport requests.")
    elif role == R.ESCALATION_SUPERVISORS:
        agency = Agency.objects.filter(pk=context.get("agency_id"), active=True).first()
        if agency is None:
            missing.append(Skipped(role, "The event names no agency to escalate within.", True))
        else:
            audience = SUPERVISOR_ROLE_BY_KIND.get(agency.kind, Role.AGENCY_ADMIN)
            found.append(Recipient(agency, role, f"Not acknowledged in time by {agency.code}.", audience))
    elif role == R.DESTINATION_NCB:
        countries = [str(c).upper() for c in (context.get("countries") or [])]
        if not countries:
            missing.append(Skipped(role, "The event names no destination country.", True))
        ncbs = {
            a.jurisdiction: a
            for a in Agency.objects.filter(kind=AgencyKind.FOREIGN_NCB, jurisdiction__in=countries, active=True)
        }
        for country in dict.fromkeys(countries):
            if country in ncbs:
                found.append(Recipient(ncbs[country], role, f"NCB of the destination country {country} (WP VI.5)."))
            else:
                missing.append(Skipped(role, f"No active NCB is registered for {country}.", True))
    elif role in DOD_CONTEXT_ROLES and (context.get("installation_id") or context.get("component")):
        # An IMESA result names the person's component and installation as DoD knows them, which
        # may be newer than the registry record (DTM 15-003 att. 3, 1.c, 2.d-2.e).
        _resolve_dod_from_context(role, context, found, missing, single)
    elif role == R.RESIDENCE_REGISTRY and context.get("state_registry_id"):
        # The event names the registry itself, e.g. a UCMJ separation notice for a member who is
        # not registered yet, resolved from the intended residence (DTM 15-003 att. 3, 2.a).
        agency = Agency.objects.filter(pk=context["state_registry_id"], active=True).first()
        if agency is None:
            missing.append(Skipped(role, "The named state registry is not an active agency.", True))
        else:
            found.append(Recipient(agency, role, f"Registry of the intended residence ({agency.jurisdiction})."))
    elif registrant is None:
        missing.append(Skipped(role, "The event names no registrant.", True))
    elif role == R.REGISTERING_SORA:
        agency = registrant.registering_agency
        found.append(Recipient(agency, role, f"{agency.code} registers this person."))
    elif role == R.WARRANT_AGENCY:
        warrants = [w for w in registrant.warrants.select_related("issuing_agency") if w.active]
        if not warrants:
            missing.append(Skipped(role, "No active warrant is on file.", False))
        for warrant in warrants:
            if warrant.issuing_agency_id and warrant.issuing_agency.active:
                found.append(Recipient(warrant.issuing_agency, role, f"Issued active warrant {warrant.number}."))
            else:
                name = warrant.issuing_agency_name or (warrant.issuing_agency and warrant.issuing_agency.name)
                missing.append(
                    Skipped(role, f"Warrant {warrant.number} was issued by {name}, not an active RSOITS agency.", True)
                )
    elif role == R.RESIDENCE_REGISTRY:
        residence = registrant.addresses.filter(kind="residence", current=True, country="US").exclude(state="").first()
        agency = None
        if residence is not None:
            agency = (
                Agency.objects.filter(kind__in=AgencyKind.sora_kinds(), jurisdiction=residence.state, active=True)
                .exclude(kind=AgencyKind.LOCAL_SORA)
                .order_by("pk")
                .first()
            )
        if agency is not None:
            found.append(Recipient(agency, role, f"Registry of the state of residence ({residence.state})."))
        else:
            # No current US residence on file: the registering jurisdiction is the registry that knows.
            sora = registrant.registering_agency
            found.append(Recipient(sora, role, f"No current US residence on file; registering SORA {sora.code}."))
    elif role == R.INSTALLATION_LEA:
        installation = registrant.installation
        if installation is None:
            missing.append(Skipped(role, "The registrant is not affiliated with an installation.", True))
        elif installation.lea_id is None or not installation.lea.active:
            missing.append(Skipped(role, f"{installation} has no active law enforcement agency.", True))
        else:
            found.append(Recipient(installation.lea, role, f"Monitors RSOs on {installation} (DTM att. 3 2.d, 3.c)."))
    elif role == R.MCIO:
        component = registrant.dod_component
        code = MCIO_BY_COMPONENT.get(component)
        agency = Agency.objects.filter(code=code, active=True).first() if code else None
        if agency is None:
            label = DodComponent(component).label if component else "no component"
            missing.append(Skipped(role, f"No MCIO is registered for the person's component ({label}).", True))
        else:
            found.append(Recipient(agency, role, f"MCIO of the {DodComponent(component).label} (DTM att. 3 1.c(2))."))
    elif role == R.COMPONENT_HR:
        component = registrant.dod_component
        code = "HR-" + component.upper().replace("_", "-") if component else ""
        agency = Agency.objects.filter(code=code, kind=AgencyKind.COMPONENT_HR, active=True).first() if code else None
        if agency is None:
            missing.append(Skipped(role, f"No component HR agency {code or '(no component)'} is registered.", True))
        else:
            found.append(Recipient(agency, role, "Component HR, name only (DTM att. 3 2.d, 2.f)."))
    elif role == R.NGB_PROVOST_MARSHAL:
        if not registrant.national_guard:
            missing.append(Skipped(role, "Not a National Guard member.", False))
        else:
            single(AgencyKind.NGB_PM, "NGB Provost Marshal", "National Guard member (DTM att. 3 2.e).")
    else:  # pragma: no cover - every RecipientRole is handled above
        missing.append(Skipped(role, "Unknown recipient role.", True))
    return found, missing


# --- the plan -------------------------------------------------------------------------------


def _endpoints(agency_ids: Iterable[int], kept: dict | None = None) -> dict[tuple[int, str], list[AgencyEndpoint]]:
    wanted = set(agency_ids)
    by_agency: dict[int, list[AgencyEndpoint]] = {}
    if kept is not None:
        by_agency = {a: kept["endpoints"][a] for a in wanted if a in kept["endpoints"]}
    missing = wanted - set(by_agency)
    if missing:
        read: dict[int, list[AgencyEndpoint]] = {a: [] for a in missing}
        for endpoint in AgencyEndpoint.objects.filter(agency_id__in=missing, active=True).order_by("pk"):
            read[endpoint.agency_id].append(endpoint)
        by_agency.update(read)
        if kept is not None:
            kept["endpoints"].update(read)
    result: dict[tuple[int, str], list[AgencyEndpoint]] = {}
    for agency_id in sorted(by_agency):
        for endpoint in by_agency[agency_id]:
            result.setdefault((endpoint.agency_id, endpoint.kind), []).append(endpoint)
    return result


def plan_routing(*, event_type: str, registrant: Any, context: dict | None = None) -> RoutingPlan:
    """Who would be told of ``event_type`` about ``registrant``, over which channels, and why."""
    context = context or {}
    fugitive = bool(registrant is not None and registrant.is_fugitive)
    plan = RoutingPlan(event_type=event_type, fugitive=fugitive)
    kept = _configuration()  # (one look at the generation for the whole plan)
    plan.rules = list(_rules_for(event_type, fugitive, kept))
    if not plan.rules:
        plan.skipped.append(Skipped(R.NSOTC, "No active routing rule for this event.", True))
    for rule in plan.rules:
        found, missing = _resolve(rule.recipient_role, registrant, context, kept)
        plan.recipients.extend((rule, r) for r in found)
        plan.skipped.extend(missing)

    endpoints = _endpoints((r.agency.pk for _, r in plan.recipients), kept)
    merged: dict[tuple[int, str, str], Delivery] = {}
    for rule, recipient in plan.recipients:
        level = ContentLevel.NAME_ONLY if recipient.role in NAME_ONLY_ROLES else ContentLevel.LINK
        targets: list[tuple[str, AgencyEndpoint | None]] = []
        for channel in rule.channels:
            if channel == Channel.INBOX:
                targets.append((channel, None))
                continue
            kind = EndpointKind.EMAIL if channel == Channel.EMAIL else EndpointKind.WEBHOOK
            found_endpoints = endpoints.get((recipient.agency.pk, kind), [])
            if not found_endpoints:
                plan.channel_notes.append(f"{recipient.agency.code} has no active {Channel(channel).label} endpoint.")
            targets.extend((channel, e) for e in found_endpoints)
        for channel, endpoint in targets:
            address = endpoint.address if endpoint else ""
            content = level
            if endpoint is not None and endpoint.secure and level == ContentLevel.LINK:
                content = ContentLevel.FULL  # an admin cleared this endpoint for personal data
            key = (recipient.agency.pk, channel, address)
            current = merged.get(key)
            if current is None:
                merged[key] = Delivery(
                    agency=recipient.agency,
                    channel=channel,
                    endpoint=endpoint,
                    address=address,
                    priority=rule.priority,
                    recipient_role=recipient.role,
                    reason=recipient.reason,
                    audience_role=recipient.audience_role,
                    content_level=content,
                )
                continue
            # The same agency reached twice (e.g. registering SORA and warrant agency): one
            # message, the higher priority, every reason, the wider audience, the least content.
            if Priority.rank(rule.priority) < Priority.rank(current.priority):
                current.priority = rule.priority
            if recipient.reason not in current.reason:
                current.reason = f"{current.reason} {recipient.reason}"[:500]
            if current.audience_role != recipient.audience_role:
                current.audience_role = ""
            if ContentLevel.NAME_ONLY in (current.content_level, content):
                current.content_level = ContentLevel.NAME_ONLY
            elif ContentLevel.LINK in (current.content_level, content):
                current.content_level = ContentLevel.LINK
    plan.deliveries = list(merged.values())
    return plan
