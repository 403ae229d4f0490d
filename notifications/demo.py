"""Demo notifications for ``manage.py seed_demo``: a few events about the demo registrants, so
that the demo users' inboxes are not empty (idempotent through dedupe keys)."""

from __future__ import annotations

from .choices import EventType
from .defaults import install_default_rules
from .models import Notification
from .services import publish_event

DEMO_EVENTS = [
    ("DEMO-VA-001", EventType.PASSPORT_APPLICATION, {}),
    ("DEMO-VA-002", EventType.TRAVEL_NOTICE_SUBMITTED, {"countries": ["FR"]}),
    ("DEMO-VA-003", EventType.VISA_APPLICATION, {}),
    ("DEMO-VA-004", EventType.IMESA_MATCH, {}),
    ("DEMO-MD-001", EventType.PORT_DEPARTURE, {}),
]


def seed_notifications(ctx) -> None:
    from registrants.models import Registrant

    created_rules = install_default_rules()
    written = 0
    for external_id, event_type, context in DEMO_EVENTS:
        registrant = Registrant.objects.filter(external_id=external_id).first()
        if registrant is None:
            continue
        written += len(
            publish_event(
                event_type=event_type,
                registrant=registrant,
                actor=None,
                context=context,
                dedupe_key=f"demo:{external_id}:{event_type}",
            )
        )
    total = Notification.objects.filter(dedupe_key__startswith="demo:").count()
    ctx.say(f"demo notifications: routing rules added {created_rules}, notifications written {written}, total {total}")
