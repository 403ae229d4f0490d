"""What a message says. Minimum necessary (DTM 15-003 att. 3, 2.g; the PII policy): a link into
RSOITS and no personal data, except the name for management-information recipients and the
event's details for an endpoint an admin marked secure."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import timezone

from .choices import ContentLevel, EventType, Priority
from .models import Notification


def subject_for(event_type: str, priority: str) -> str:
    label = EventType(event_type).label
    prefix = "URGENT: " if priority == Priority.URGENT else ""
    return f"[RSOITS] {prefix}{label}"[:200]


def link_for(notification: Notification) -> str:
    return settings.SITE_URL.rstrip("/") + notification.get_absolute_url()


def _registrant_details(notification: Notification) -> dict[str, Any]:
    registrant = notification.registrant
    if registrant is None:
        return {}
    return {
        "name": registrant.full_name,
        "date_of_birth": registrant.date_of_birth.isoformat() if registrant.date_of_birth else None,
        "sex": registrant.sex,
        "registering_agency": registrant.registering_agency.code,
        "fugitive": registrant.is_fugitive,
        "status": registrant.status,
    }


def payload_for(notification: Notification) -> dict[str, Any]:
    """The webhook body (and the facts of the e-mail), cut to the notification's content level."""
    data: dict[str, Any] = {
        "id": notification.pk,
        "idempotency_key": str(notification.idempotency_key),
        "event_type": notification.event_type,
        "event": EventType(notification.event_type).label,
        "priority": notification.priority,
        "recipient_agency": notification.agency.code,
        "created_at": notification.created_at.isoformat(),
        "link": link_for(notification),
        "content_level": notification.content_level,
    }
    if notification.content_level == ContentLevel.NAME_ONLY:
        # The name and nothing else (DTM 15-003 att. 3, 1.c(4), 2.f-g): from the registry record,
        # or as the event reported it when the registry holds no record yet.
        name = notification.registrant.full_name if notification.registrant is not None else ""
        name = name or str((notification.event.context or {}).get("subject_name") or "")
        if name:
            data["name"] = name
    elif notification.content_level == ContentLevel.FULL:
        data["registrant"] = _registrant_details(notification)
        data["reason"] = notification.reason
        data["context"] = notification.event.context
    return data


def body_bytes(notification: Notification) -> bytes:
    return json.dumps(payload_for(notification), separators=(",", ":"), sort_keys=True).encode()


def email_text(notification: Notification) -> str:
    data = payload_for(notification)
    lines = [
        f"{data['event']} — priority {Priority(notification.priority).label.lower()}.",
        f"For: {notification.agency.name}.",
    ]
    if "name" in data:
        lines.append(f"Name: {data['name']} (management information only; not for public release).")
    if "registrant" in data:
        details = data["registrant"]
        lines.append(f"Registrant: {details.get('name')}, born {details.get('date_of_birth') or 'unknown'}.")
        lines.append(f"Registering agency: {details.get('registering_agency')}; fugitive: {details.get('fugitive')}.")
        lines.append(f"Why you are told: {notification.reason}")
    lines += [
        "",
        f"Open it in RSOITS (sign-in required): {data['link']}",
        "",
        f"Reference: {notification.idempotency_key}",
        f"Sent {timezone.now():%Y-%m-%d %H:%M} UTC. Criminal justice information: authorised use only.",
    ]
    return "\n".join(lines)
