"""The default routing table (DESIGN.md "Who is told what"), seeded by a data migration and by
``install_default_rules`` (tests, a fresh demo). A system admin changes the rules afterwards;
these defaults are never re-applied over an admin's edits."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .choices import Channel, EventType, Priority, RecipientRole

E = EventType
R = RecipientRole
ALL_CHANNELS = [Channel.INBOX.value, Channel.EMAIL.value, Channel.WEBHOOK.value]
INBOX_EMAIL = [Channel.INBOX.value, Channel.EMAIL.value]

# event -> (fugitive recipients, non-fugitive recipients, priority, source). ``None`` for the
# non-fugitive column means "the same as fugitive".
DEFAULT_TABLE: dict[str, tuple[list[str], list[str] | None, str, str]] = {
    # White paper VI.3 (fugitive: warrant agency and NSOTC; USNCB when a border is crossed or a
    # foreign document sought) and VI.4 (non-fugitive: the SORA and NSOTC).
    E.PASSPORT_APPLICATION: ([R.WARRANT_AGENCY, R.NSOTC], [R.REGISTERING_SORA, R.NSOTC], Priority.HIGH, "WP VI.3-4"),
    E.VISA_APPLICATION: (
        [R.WARRANT_AGENCY, R.NSOTC, R.USNCB], [R.REGISTERING_SORA, R.NSOTC], Priority.HIGH, "WP VI.3-4",
    ),
    E.ESTA: ([R.WARRANT_AGENCY, R.NSOTC, R.USNCB], [R.REGISTERING_SORA, R.NSOTC], Priority.HIGH, "WP VI.3-4"),
    E.LPR_APPLICATION: ([R.WARRANT_AGENCY, R.NSOTC], [R.REGISTERING_SORA, R.NSOTC], Priority.HIGH, "WP VI.3-4"),
    E.PORT_ARRIVAL: (
        [R.WARRANT_AGENCY, R.NSOTC, R.USNCB, R.REGISTERING_SORA], [R.REGISTERING_SORA, R.NSOTC], Priority.URGENT,
        "WP V.B, VI.3-4",
    ),
    E.PORT_DEPARTURE: (
        [R.WARRANT_AGENCY, R.NSOTC, R.REGISTERING_SORA], [R.REGISTERING_SORA, R.NSOTC], Priority.URGENT, "WP VI.3-4",
    ),
    # Travel notices go to NSOTC (and the warrant agency); USNCB hears of them once vetted, as
    # a forwarded case (white paper IV.A.2-3; DTM 15-003 att. 3, 4.d).
    E.TRAVEL_NOTICE_SUBMITTED: ([R.NSOTC, R.WARRANT_AGENCY], [R.NSOTC], Priority.HIGH, "WP IV.A.2; DTM att. 3 4"),
    # DTM 15-003 att. 3, 4.d: a DoD component that learns of an affiliated registrant's travel
    # or move overseas tells both the state registry and NSOTC.
    E.TRAVEL_REPORTED_BY_DOD: (
        [R.REGISTERING_SORA, R.NSOTC, R.WARRANT_AGENCY], [R.REGISTERING_SORA, R.NSOTC], Priority.HIGH,
        "DTM att. 3 4.d",
    ),
    E.TRAVEL_NOTICE_AMENDED: ([R.NSOTC, R.WARRANT_AGENCY], [R.NSOTC], Priority.HIGH, "WP IV.A.2"),
    E.TRAVEL_NOTICE_CANCELLED: ([R.NSOTC, R.WARRANT_AGENCY], [R.NSOTC], Priority.ROUTINE, "WP IV.A.2"),
    E.RELOCATION_ABROAD: (
        [R.NSOTC, R.REGISTERING_SORA, R.WARRANT_AGENCY], [R.NSOTC, R.REGISTERING_SORA], Priority.HIGH, "DESIGN.md",
    ),
    E.CASE_FORWARDED: ([R.USNCB, R.REGISTERING_SORA], None, Priority.HIGH, "WP VI.5"),
    E.CASE_REFERRED: ([R.NSOTC, R.REGISTERING_SORA, R.WARRANT_AGENCY], [R.NSOTC, R.REGISTERING_SORA], Priority.HIGH,
                      "18 U.S.C. 2250"),
    # The destination country's NCB is told by USNCB (white paper VI.5; 34 U.S.C. 21503).
    E.FOREIGN_NOTICE_SENT: ([R.DESTINATION_NCB, R.REGISTERING_SORA], None, Priority.HIGH, "WP VI.5"),
    E.FOREIGN_NOTICE_CORRECTED: ([R.DESTINATION_NCB, R.REGISTERING_SORA], None, Priority.URGENT, "34 U.S.C. 21503"),
    E.FOREIGN_INBOUND: ([R.USNCB, R.NSOTC], None, Priority.HIGH, "DESIGN.md"),
    E.PASSPORT_ACTION_REQUESTED: ([R.PASSPORT_SERVICES, R.NSOTC], None, Priority.HIGH, "WP VI.2"),
    # Time rules (DESIGN.md): late notices are top priority; supervisors hear of what is overdue.
    E.TRAVEL_NOTICE_LATE: ([R.NSOTC, R.REGISTERING_SORA], None, Priority.URGENT, "DESIGN.md time rules"),
    E.VETTING_DUE: ([R.NSOTC_SUPERVISORS], None, Priority.URGENT, "DESIGN.md time rules"),
    E.RETURN_OVERDUE: ([R.REGISTERING_SORA, R.NSOTC], None, Priority.HIGH, "DESIGN.md time rules"),
    E.NOTIFICATION_UNACKNOWLEDGED: (
        [R.ESCALATION_SUPERVISORS, R.NSOTC_SUPERVISORS], None, Priority.URGENT, "DESIGN.md time rules",
    ),
    E.HIT_REVIEW_OVERDUE: ([R.NSOTC_SUPERVISORS], None, Priority.URGENT, "DESIGN.md time rules"),
    # DTM 15-003 attachment 3: IMESA matches go to the MCIO of the component, which tells the
    # installation LEA and component HR (name only, 2.d, 2.f-g) and, for Guard members, the NGB
    # Provost Marshal (2.e); a foreign-convicted person goes to USNCB (2.c); a UCMJ separation
    # to the state registry of residence and NSOTC (2.a-b).
    E.IMESA_MATCH: (
        [R.MCIO, R.INSTALLATION_LEA, R.COMPONENT_HR, R.NGB_PROVOST_MARSHAL], None, Priority.HIGH, "DTM att. 3 1.c, 2",
    ),
    E.IMESA_DEP_MATCH: ([R.MEPCOM], None, Priority.HIGH, "DTM att. 3 1.c(4)"),
    E.FOREIGN_CONVICTED_IN_DOD: ([R.USNCB], None, Priority.HIGH, "DTM att. 3 2.c"),
    E.UCMJ_SEPARATION: ([R.RESIDENCE_REGISTRY, R.NSOTC], None, Priority.HIGH, "DTM att. 3 2.a-b"),
    # An installation monitoring check overdue goes back to the installation LEA and up to the MCIO
    # of the person's component, which oversees it (DTM 15-003 att. 3, 1.c(2), 3.d).
    E.MONITORING_CHECK_OVERDUE: ([R.INSTALLATION_LEA, R.MCIO], None, Priority.HIGH, "DTM att. 3 3.d"),
}  # fmt: skip

# Channels by role: name-only and supervisor notices never leave through a webhook.
CHANNELS_BY_ROLE: dict[str, list[str]] = {
    R.COMPONENT_HR: INBOX_EMAIL,
    R.MEPCOM: INBOX_EMAIL,
    R.NSOTC_SUPERVISORS: INBOX_EMAIL,
    R.ESCALATION_SUPERVISORS: INBOX_EMAIL,
}


def default_rows() -> list[dict[str, Any]]:
    """Every default rule as field dicts: one per (event, fugitive, recipient)."""
    rows = []
    for event_type, (fugitive, non_fugitive, priority, source) in DEFAULT_TABLE.items():
        for is_fugitive, roles in ((True, fugitive), (False, non_fugitive if non_fugitive is not None else fugitive)):
            for role in roles:
                rows.append(
                    {
                        "event_type": str(event_type),
                        "fugitive": is_fugitive,
                        "recipient_role": str(role),
                        "channels": list(CHANNELS_BY_ROLE.get(role, ALL_CHANNELS)),
                        "priority": str(priority),
                        "active": True,
                        "note": f"Default ({source})",
                    }
                )
    return rows


def install_default_rules(rule_model: Any = None, history_model: Any = None) -> int:
    """Create the default rules that do not exist yet (an admin's edits are kept). Returns the
    number created. The data migration passes its historical models; otherwise the live ones."""
    live = rule_model is None
    if live:
        from .models import RoutingRule

        rule_model = RoutingRule
        history_model = RoutingRule.history.model
    existing = set(rule_model.objects.values_list("event_type", "fugitive", "recipient_role"))
    new = [
        rule_model(**row)
        for row in default_rows()
        if (row["event_type"], row["fugitive"], row["recipient_role"]) not in existing
    ]
    created = rule_model.objects.bulk_create(new)
    if history_model is not None and created:
        if any(rule.pk is None for rule in created):  # backends that do not return ids
            keys = {(r.event_type, r.fugitive, r.recipient_role) for r in created}
            created = [r for r in rule_model.objects.all() if (r.event_type, r.fugitive, r.recipient_role) in keys]
        now = timezone.now()
        history_model.objects.bulk_create(
            [
                history_model(
                    id=rule.pk,
                    event_type=rule.event_type,
                    fugitive=rule.fugitive,
                    recipient_role=rule.recipient_role,
                    channels=rule.channels,
                    priority=rule.priority,
                    active=rule.active,
                    note=rule.note,
                    updated_at=now,
                    history_date=now,
                    history_type="+",
                    history_change_reason="Default routing table (DESIGN.md)",
                )
                for rule in created
            ]
        )
    if live and created:  # (inserted in bulk, without the signals that tell the router)
        from .routing import routing_changed

        routing_changed()
    return len(created)
