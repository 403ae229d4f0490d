"""Writes of the notifications app. ``publish_event`` is the one entry point every other app uses.

The outbox: ``publish_event`` writes one notification per recipient and channel in the caller's
transaction and asks for a relay once it commits. The relay (also run by beat) claims due rows
with ``SELECT ... FOR UPDATE SKIP LOCKED`` and enqueues one task per row id; the task delivers
under a row lock after checking the row is still being sent, so a repeated or late task never
sends twice. Failures are retried from the database (``next_attempt_at``), never with a broker
countdown, with exponential backoff and jitter, up to a maximum, then ``failed``.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rsoits.audit import acting_as, audited_service
from rsoits.principal import principal_for

from . import content
from .badge import inbox_changed
from .choices import Channel, EventType, NotificationStatus, Priority, RecipientRole
from .models import Disclosure, Notification, NotificationEvent, RoutingRule
from .routing import plan_routing

logger = logging.getLogger(__name__)

S = NotificationStatus

# The only state changes a notification may make (services refuse anything else).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PENDING, "claim"): S.SENDING,
    (S.SENDING, "deliver"): S.DELIVERED,
    (S.SENDING, "retry_later"): S.PENDING,
    (S.SENDING, "fail"): S.FAILED,
    (S.SENDING, "reclaim"): S.SENDING,
    (S.FAILED, "retry"): S.PENDING,
}


ACTION_LABELS = {
    "claim": "claimed",
    "deliver": "marked delivered",
    "retry_later": "rescheduled",
    "fail": "marked failed",
    "reclaim": "claimed again",
    "retry": "sent again",
}


def _transition(notification: Notification, action: str) -> None:
    target = TRANSITIONS.get((notification.status, action))
    if target is None:
        state = notification.get_status_display().lower()
        raise ValidationError({"status": f"A notification that is {state} cannot be {ACTION_LABELS[action]}."})
    notification.status = target


# --- publishing ---------------------------------------------------------------------------


def _event_for(
    *,
    event_type: str,
    registrant: Any,
    actor: Any,
    source: Any,
    context: dict,
    dedupe_key: str,
    unresolved: list[dict] | None = None,
    key_is_new: bool = False,
) -> tuple[NotificationEvent, bool]:
    """The event row, or the one already published under the same dedupe key (found when the
    insert meets the (event type, dedupe key) constraint: a new event costs no look-up first;
    the deadline sweeps leave out the keys they have published in one query beforehand)."""
    event = NotificationEvent(
        event_type=event_type,
        registrant=registrant,
        actor=actor if getattr(actor, "pk", None) else None,
        context=context,
        dedupe_key=dedupe_key,
        unresolved=list(unresolved or []),
    )
    if source is not None:
        event.source_type = ContentType.objects.get_for_model(source)
        event.source_id = str(source.pk)
    # Field checks only: the (event type, dedupe key) constraint is left to the insert below,
    # where a repeat or a concurrent twin is caught.
    event.full_clean(exclude=["registrant", "actor", "source_type"], validate_unique=False, validate_constraints=False)
    if not dedupe_key or key_is_new:
        event.save()
        return event, True
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin with the same key wins
            event.save()
    except IntegrityError:
        return NotificationEvent.objects.get(event_type=event_type, dedupe_key=dedupe_key), False
    return event, True


def publish_event(
    *,
    event_type: str,
    registrant: Any,
    actor: Any,
    source: Any = None,
    context: dict | None = None,
    dedupe_key: str = "",
    key_is_new: bool = False,
) -> list:
    """Route an event to its recipients and write one outbox notification per recipient.

    Call it inside the transaction that records the event, so that both commit or neither does.
    ``source`` is the record the event is about (travel notice, hit, case, foreign notice);
    ``context`` carries what routing needs beyond the registrant (e.g. ``{"countries": ["FR"]}``).
    ``dedupe_key`` makes a repeated call (a deadline check run twice) write nothing new.
    ``key_is_new``: the caller vouches that nothing can have been published under the key before
    (it names a row created in the caller's transaction), so the event and its notifications are
    inserted without the savepoints that catch a concurrent twin; were it wrong, the unique
    constraints would still refuse the duplicate, failing the transaction.
    Returns the notifications written.
    """
    if event_type not in EventType.values:
        raise ValidationError({"event_type": f"Unknown event type {event_type!r}."})
    context = dict(context or {})
    dedupe_key = (dedupe_key or "")[:200]
    # Atomic on its own, and no savepoint inside the caller's transaction (whose failure it shares).
    with transaction.atomic(savepoint=False), acting_as(actor):
        # Routed first, so that a new event is inserted with its unresolved recipients.
        plan = plan_routing(event_type=event_type, registrant=registrant, context=context)
        unresolved = [s.as_dict() for s in plan.unresolved]
        event, created = _event_for(
            event_type=event_type,
            registrant=registrant,
            actor=actor,
            source=source,
            context=context,
            dedupe_key=dedupe_key,
            unresolved=unresolved,
            key_is_new=key_is_new,
        )
        if unresolved:
            logger.warning("Event %s (%s): unresolved recipients %s", event.pk, event_type, unresolved)
            known = {(u["role"], u["reason"]) for u in event.unresolved}
            additions = [u for u in unresolved if (u["role"], u["reason"]) not in known]
            if additions:  # (an event published before, under the same dedupe key)
                event.unresolved = [*event.unresolved, *additions]
                event.save(update_fields=["unresolved"])
        now = timezone.now()
        deliveries = plan.deliveries
        if dedupe_key and not created:
            # A repeated call (a deadline check run twice) writes nothing a recipient already has.
            # (An event just created has no notifications yet; the unique constraint on the
            # dedupe key and recipient still guards the insert below.)
            already = set(
                Notification.objects.filter(dedupe_key=dedupe_key).values_list("agency_id", "channel", "address")
            )
            deliveries = [d for d in deliveries if (d.agency.pk, d.channel, d.address) not in already]
        notifications = [
            _notification_for(event, delivery, registrant=registrant, dedupe_key=dedupe_key, now=now)
            for delivery in deliveries
        ]
        written = _write_notifications(notifications, dedupe_key="" if key_is_new else dedupe_key)
        inbox_changed(n.agency_id for n in written if n.channel == Channel.INBOX)
        # Inbox notifications are delivered with the event: their disclosures are recorded now.
        disclosures = [
            _disclosure_for(n, at=now) for n in written if n.status == S.DELIVERED and n.registrant_id is not None
        ]
        Disclosure.objects.bulk_create(disclosures)
    if any(n.status == S.PENDING for n in written):
        request_relay()
    return written


def _notification_for(event: NotificationEvent, delivery, *, registrant: Any, dedupe_key: str, now) -> Notification:
    notification = Notification(
        event=event,
        registrant=registrant,
        event_type=event.event_type,
        agency=delivery.agency,
        audience_role=delivery.audience_role,
        recipient_role=delivery.recipient_role,
        reason=delivery.reason,
        channel=delivery.channel,
        endpoint=delivery.endpoint,
        address=delivery.address,
        priority=delivery.priority,
        priority_rank=Priority.rank(delivery.priority),  # (save() sets it; bulk_create does not call save)
        content_level=delivery.content_level,
        subject=content.subject_for(event.event_type, delivery.priority),
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )
    if delivery.channel == Channel.INBOX:
        # The inbox is in this database: it is delivered when the event commits.
        notification.status = S.DELIVERED
        notification.delivered_at = now
    return notification


def _write_notifications(notifications: list[Notification], *, dedupe_key: str) -> list[Notification]:
    """Insert the event's notifications and their history rows in one statement each. Under a
    dedupe key a concurrent twin may have reached a recipient meanwhile: then each row is
    inserted on its own and the ones the twin wrote are left out."""
    if not notifications:
        return []
    if not dedupe_key:
        return bulk_create_with_history(notifications, Notification)
    try:
        with transaction.atomic():  # a savepoint: the batch fails whole on a duplicate
            return bulk_create_with_history(notifications, Notification)
    except IntegrityError:
        pass
    written = []
    for notification in notifications:
        notification.pk = None
        notification._state.adding = True
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            continue  # the same dedupe key reached this recipient concurrently
        written.append(notification)
    return written


def request_relay() -> None:
    """Ask for a relay once the current transaction commits (once per transaction). If the
    broker is down the rows stay pending; beat's relay picks them up later."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Already asked in this block or an enclosing one: that request runs after the same commit.
        alive = set(connection.savepoint_ids)
        for savepoints, callback, _ in connection.run_on_commit:
            if callback is _kick_relay and set(savepoints) <= alive:
                return
    transaction.on_commit(_kick_relay, robust=True)


def _kick_relay() -> None:
    from .tasks import relay_notifications_task

    try:
        relay_notifications_task.apply_async()
    except Exception as exc:  # the broker is down: beat's periodic relay delivers later
        logger.warning("Could not enqueue the notification relay (%s); beat will retry.", exc)


# --- the relay ------------------------------------------------------------------------------


def notification_relay(*, batch_size: int | None = None, now=None) -> list[int]:
    """Claim due notifications (skipping rows another relay holds) and enqueue their delivery
    after the claim commits. Returns the claimed ids."""
    batch_size = batch_size or settings.NOTIFICATIONS_RELAY_BATCH
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.due(now)
            .order_by("priority_rank", "next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            # (pending, claim) -> sending, for the whole batch at once
            Notification.objects.filter(pk__in=ids, status=S.PENDING).update(status=S.SENDING, claimed_at=now)
            transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)
    return ids


def enqueue_deliveries(ids: list[int]) -> None:
    """One task per id, on one broker connection; ids that could not be enqueued go back to
    pending at once (the next relay takes them)."""
    from .tasks import app, deliver_notification_task

    failed: list[int] = []
    try:
        with app.producer_or_acquire() as producer:
            for index, pk in enumerate(ids):
                try:
                    deliver_notification_task.apply_async((pk,), producer=producer)
                except Exception as exc:
                    logger.warning("Could not enqueue notification %s: %s", pk, exc)
                    failed.extend(ids[index:])
                    break
    except Exception as exc:
        logger.warning("No broker connection for the notification relay: %s", exc)
        failed = list(ids)
    if failed:
        Notification.objects.filter(pk__in=failed, status=S.SENDING).update(status=S.PENDING, claimed_at=None)


def notification_sweep(*, stalled_after: timedelta | None = None, now=None) -> list[int]:
    """Re-enqueue deliveries claimed long ago and never finished (a lost task, a killed worker).
    Safe to repeat: the task only sends a row still being sent, under its lock."""
    now = now or timezone.now()
    stalled_after = (
        stalled_after if stalled_after is not None else timedelta(seconds=settings.NOTIFICATIONS_STALL_SECONDS)
    )
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(status=S.SENDING, claimed_at__lte=now - stalled_after)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_RELAY_BATCH]
        )
        if ids:
            # (sending, reclaim) -> sending, with a fresh claim time
            Notification.objects.filter(pk__in=ids, status=S.SENDING).update(claimed_at=now)
            transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)
    if ids:
        logger.warning("Re-enqueued %d stalled notification deliveries.", len(ids))
    return ids


# --- delivery -------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base * 2^(n-1), capped, then between half and all of it."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    ceiling = min(base, settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not security


# What a delivery reads, in its one locking query: the whole row, and of its relations only
# the columns the message and the disclosure use (content.py, channels.py, _record_disclosure).
DELIVERY_RELATED = ("agency", "endpoint", "event__actor", "registrant__registering_agency")
DELIVERY_COLUMNS = (
    *(field.name for field in Notification._meta.concrete_fields),
    "agency__code", "agency__name", "agency__address",
    "endpoint__active", "endpoint__secret",
    "event__context", "event__actor__username",
    "registrant__given_name", "registrant__middle_name", "registrant__surname", "registrant__suffix",
    "registrant__date_of_birth", "registrant__sex", "registrant__status", "registrant__is_fugitive",
    "registrant__registering_agency__code",
)  # fmt: skip
# What a successful delivery changes on the row (the rest was read under the same lock).
DELIVERED_FIELDS = ["status", "attempts", "delivered_at", "last_error"]


def notification_deliver(*, notification_id: int) -> str:
    """Send one notification if it is still being sent; returns its status afterwards."""
    from . import channels

    with transaction.atomic():
        try:
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related(*DELIVERY_RELATED)
                .only(*DELIVERY_COLUMNS)
                .get(pk=notification_id)
            )
        except Notification.DoesNotExist:
            return "missing"
        if notification.status != S.SENDING:
            # Delivered already, or given back to the relay: never sent twice.
            return notification.status
        notification.attempts += 1
        try:
            if notification.channel == Channel.EMAIL:
                channels.send_email(notification)
            elif notification.channel == Channel.WEBHOOK:
                channels.send_webhook(notification)
        except Exception as exc:
            error = str(exc)[:2000] or exc.__class__.__name__
            notification.last_error = error
            if notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                _transition(notification, "fail")
                logger.error(
                    "Notification %s failed after %d attempts: %s", notification.pk, notification.attempts, error
                )
            else:
                _transition(notification, "retry_later")
                notification.next_attempt_at = timezone.now() + retry_delay(notification.attempts)
            notification.claimed_at = None
            notification.save()
            return notification.status
        now = timezone.now()
        _transition(notification, "deliver")
        notification.delivered_at = now
        notification.last_error = ""
        # The disclosure below is the record of this delivery; a history row would repeat it.
        notification.save_without_historical_record(update_fields=DELIVERED_FIELDS)
        _record_disclosure(notification, at=now)
        return notification.status


def _record_disclosure(notification: Notification, *, at) -> Disclosure | None:
    """The accounting of disclosures (5 U.S.C. 552a(c)(1)): date, nature and purpose, the
    recipient's name and address, and the sender."""
    if notification.registrant_id is None:
        return None
    disclosure = _disclosure_for(notification, at=at)
    disclosure.save(force_insert=True)
    return disclosure


def _disclosure_for(notification: Notification, *, at) -> Disclosure:
    """The disclosure row recording the delivery of ``notification`` (a registrant's)."""
    event = notification.event
    actor = event.actor
    agency = notification.agency
    disclosure = Disclosure(
        registrant_id=notification.registrant_id,
        notification=notification,
        disclosed_at=at,
        event_type=notification.event_type,
        nature_and_purpose=(
            f"{EventType(notification.event_type).label}: notice for law-enforcement follow-up "
            f"({RecipientRole(notification.recipient_role).label}; {notification.get_content_level_display()})."
        )[:500],
        recipient_agency=agency,
        recipient_name=agency.name,
        recipient_address=agency.address,
        channel=notification.channel,
        destination=notification.address,
        sender=actor,
        sender_name=(actor.get_username() if actor is not None else "RSOITS (automatic)"),
    )
    return disclosure


# --- actions of people ----------------------------------------------------------------------


@transaction.atomic
@audited_service
def notification_acknowledge(*, actor: Any, notification: Notification) -> Notification:
    """A recipient confirms the inbox notification was seen and is being acted on."""
    if not Notification.objects.visible_to(actor, "acknowledge").filter(pk=notification.pk).exists():
        raise PermissionDenied("You may not acknowledge this notification.")
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.channel != Channel.INBOX:
        raise ValidationError({"channel": "Only inbox notifications are acknowledged."})
    if notification.acknowledged_at is not None:
        raise ValidationError({"acknowledged_at": "This notification was already acknowledged."})
    notification.acknowledged_at = timezone.now()
    notification.acknowledged_by = actor
    notification.save()
    inbox_changed([notification.agency_id])
    return notification


@transaction.atomic
@audited_service
def notification_retry(*, actor: Any, notification: Notification) -> Notification:
    """A system admin sends a failed notification again (attempts start over)."""
    if not Notification.objects.visible_to(actor, "retry").filter(pk=notification.pk).exists():
        raise PermissionDenied("Only a system administrator may retry a delivery.")
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    _transition(notification, "retry")
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.claimed_at = None
    notification._change_reason = f"Retried by {actor.get_username()}; last error: {notification.last_error}"[:500]
    notification.save()
    request_relay()
    return notification


# --- routing rules --------------------------------------------------------------------------


def _require_system_admin(actor: Any) -> None:
    if not principal_for(actor).is_system_admin:
        raise PermissionDenied("Only a system administrator may change routing rules.")


@transaction.atomic
@audited_service
def routingrule_save(*, actor: Any, rule: RoutingRule | None = None, **fields: Any) -> RoutingRule:
    """Create or change one routing rule (versioned by its history)."""
    _require_system_admin(actor)
    allowed = {"event_type", "fugitive", "recipient_role", "channels", "priority", "active", "note"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    rule = rule if rule is not None else RoutingRule()
    changed = rule.pk is None
    for name, value in fields.items():
        if getattr(rule, name) != value:
            setattr(rule, name, value)
            changed = True
    if changed:
        rule.full_clean()
        rule.save()
    return rule


@transaction.atomic
@audited_service
def routing_cell_update(*, actor: Any, event_type: str, fugitive: bool, rows: dict[str, dict]) -> list[RoutingRule]:
    """Set the recipients of one matrix cell (event x fugitive): ``rows`` maps each recipient
    role to ``{"active", "channels", "priority"}``. Rules are deactivated, never deleted, so
    their history stays; unchanged rules get no new version."""
    _require_system_admin(actor)
    if event_type not in EventType.values:
        raise ValidationError({"event_type": f"Unknown event type {event_type!r}."})
    existing = {r.recipient_role: r for r in RoutingRule.objects.filter(event_type=event_type, fugitive=fugitive)}
    saved = []
    for role, values in rows.items():
        if role not in RecipientRole.values:
            raise ValidationError({"recipient_role": f"Unknown recipient role {role!r}."})
        rule = existing.get(role)
        if not values.get("active"):
            # Switching a recipient off keeps the rest of its rule as it was.
            if rule is not None and rule.active:
                saved.append(routingrule_save(actor=actor, rule=rule, active=False))
            continue
        fields = {
            "active": bool(values.get("active")),
            "channels": list(values.get("channels") or [Channel.INBOX]),
            "priority": values.get("priority") or Priority.ROUTINE,
        }
        if rule is None:
            fields.update(event_type=event_type, fugitive=fugitive, recipient_role=role)
        try:
            saved.append(routingrule_save(actor=actor, rule=rule, **fields))
        except ValidationError as exc:
            raise ValidationError({f"{role}.{k}": v for k, v in exc.message_dict.items()}) from exc
    return saved
