"""Routing rules, the outbox of notifications, published events and the accounting of
disclosures (DESIGN.md "Who is told what"; 5 U.S.C. 552a(c))."""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from rsoits.audit import audit_history
from rsoits.models import Agency, AgencyEndpoint
from rsoits.principal import Principal, principal_for
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from .choices import Channel, ContentLevel, EventType, NotificationStatus, Priority, RecipientRole

# --- routing rules -------------------------------------------------------------------------


class RoutingRuleQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str) -> Q:
        # Who is told what is not personal data: every member may read the rules (the routing
        # preview explains them); only a system admin changes them.
        if action == "view":
            return ALL
        return ALL if principal.is_system_admin else NOTHING

    def for_event(self, event_type: str, fugitive: bool) -> RoutingRuleQuerySet:
        return self.filter(event_type=event_type, fugitive=fugitive, active=True)


def _default_channels() -> list[str]:
    return [Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK]


class RoutingRule(models.Model):
    """One recipient of one event: (event type, fugitive or not) -> recipient role, over which
    channels and with what priority. The defaults come from DESIGN.md's routing table (white
    paper VI.3-VI.5, DTM 15-003 attachment 3); a system admin edits them, each change versioned."""

    event_type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    fugitive = models.BooleanField(help_text="Applies when the registrant has an active warrant.")
    recipient_role = models.CharField(max_length=32, choices=RecipientRole.choices)
    channels = models.JSONField(default=_default_channels, help_text="In-app inbox is always included.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, help_text="Where the rule comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(RoutingRuleQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["event_type", "-fugitive", "recipient_role"]
        constraints = [
            models.UniqueConstraint(fields=["event_type", "fugitive", "recipient_role"], name="routingrule_unique_cell")
        ]

    def __str__(self) -> str:
        who = "fugitive" if self.fugitive else "non-fugitive"
        return f"{self.get_event_type_display()} ({who}) → {self.get_recipient_role_display()}"

    def get_absolute_url(self) -> str:
        return reverse("routingrule_edit", args=[self.event_type, "fugitive" if self.fugitive else "non-fugitive"])

    def clean(self) -> None:
        channels = self.channels
        if not isinstance(channels, list) or any(c not in Channel.values for c in channels):
            raise ValidationError({"channels": f"Choose among {', '.join(Channel.values)}."})
        if Channel.INBOX not in channels:
            # The inbox copy is the one that is acknowledged and escalated; it is never left out.
            raise ValidationError({"channels": "The in-app inbox is always one of the channels."})
        self.channels = [c for c in Channel.values if c in channels]


# --- published events ----------------------------------------------------------------------


class NotificationEventQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str) -> Q:
        return ALL if principal.is_system_admin and action == "view" else NOTHING


class NotificationEvent(models.Model):
    """An event some part of RSOITS published: what happened, to whom, raised by whom, about
    which record, and any recipients the router could not resolve (reported, never dropped)."""

    event_type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    registrant = models.ForeignKey(
        "registrants.Registrant", null=True, blank=True, on_delete=models.PROTECT, related_name="notification_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    context = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    unresolved = models.JSONField(default=list, blank=True, help_text="Recipients the router could not resolve.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = RestrictedManager.from_queryset(NotificationEventQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_type", "dedupe_key"], condition=~Q(dedupe_key=""), name="notificationevent_dedupe"
            )
        ]
        indexes = [models.Index(fields=["source_type", "source_id"])]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} at {self.created_at:%Y-%m-%d %H:%M}"


# --- the outbox ----------------------------------------------------------------------------


def membership_condition(principal: Principal) -> Q:
    """Notifications addressed to one of the principal's agencies, to the whole agency or to a
    role the principal holds in it."""
    parts = [
        Q(agency_id=agency_id) & (Q(audience_role="") | Q(audience_role__in=sorted(roles)))
        for agency_id, roles in principal.roles_by_agency.items()
    ]
    return reduce(or_, parts) if parts else NOTHING


class NotificationQuerySet(RestrictedQuerySet):
    """Who sees a notification: members of the recipient agency (those of the audience role
    when it names one); a system admin also sees every delivery to manage failures. Only the
    recipients acknowledge; only a system admin retries."""

    def scope(self, principal: Principal, action: str) -> Q:
        own = membership_condition(principal)
        if action == "view":
            return ALL if principal.is_system_admin else own
        if action == "retry":
            return ALL if principal.is_system_admin else NOTHING
        if action == "acknowledge":
            return own
        return NOTHING

    def inbox_of(self, user: Any) -> NotificationQuerySet:
        """The user's own inbox (never the whole outbox, even for a system admin)."""
        condition = membership_condition(principal_for(user))
        if condition == NOTHING:
            return self.none()
        return self.filter(condition, channel=Channel.INBOX)

    def due(self, now=None) -> NotificationQuerySet:
        return self.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now or timezone.now())


class Notification(models.Model):
    """One message to one recipient agency over one channel: the outbox row, written in the
    same transaction as the event it tells of. Its idempotency key travels with every delivery
    (e-mail Message-ID, webhook header), so a receiver can recognise a repeated attempt."""

    event = models.ForeignKey(NotificationEvent, on_delete=models.PROTECT, related_name="notifications")
    registrant = models.ForeignKey(
        "registrants.Registrant", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    # Not indexed alone: every change of an outbox row's status rewrites an entry in each of its
    # indexes, so the table keeps only the ones its queries read (Meta.indexes below).
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    # agency_id leads notification_inbox, which serves its lookups
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="notifications", db_index=False)
    audience_role = models.CharField(max_length=32, blank=True, help_text="Only members with this role, if set.")
    recipient_role = models.CharField(max_length=32, choices=RecipientRole.choices)
    reason = models.CharField(max_length=500, blank=True, help_text="Why this agency is told.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    endpoint = models.ForeignKey(AgencyEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.CharField(max_length=500, blank=True, help_text="E-mail address or webhook URL at publish time.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    content_level = models.CharField(max_length=10, choices=ContentLevel.choices, default=ContentLevel.LINK)
    subject = models.CharField(max_length=200)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dedupe_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )  # status leads notification_due and notification_stalled
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedManager.from_queryset(NotificationQuerySet)()
    history = audit_history(excluded_fields=["claimed_at", "next_attempt_at", "priority_rank"], indexed=[])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "agency", "channel", "address"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_per_recipient_channel",
            )
        ]
        indexes = [
            models.Index(fields=["status", "priority_rank", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["agency", "channel", "acknowledged_at"], name="notification_inbox"),
            models.Index(fields=["status", "claimed_at"], name="notification_stalled"),
            # the escalation check: inbox notifications still waiting for an acknowledgement
            models.Index(
                fields=["created_at"],
                condition=Q(channel="inbox", acknowledged_at__isnull=True, escalated_at__isnull=True),
                name="notification_unacknowledged",
            ),
            # a partial index: only acknowledged inbox rows have an entry
            models.Index(
                fields=["acknowledged_by"],
                condition=Q(acknowledged_by__isnull=False),
                name="notification_acknowledged_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.agency.code} ({self.get_channel_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.priority_rank = Priority.rank(self.priority)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notification_detail", args=[self.pk])

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


# --- the accounting of disclosures (5 U.S.C. 552a(c)) ---------------------------------------


class DisclosureQuerySet(RestrictedQuerySet):
    """A registrant's accounting of disclosures is seen by those who may see the registrant."""

    def scope(self, principal: Principal, action: str) -> Q:  # pragma: no cover - visible_to decides
        return NOTHING

    def visible_to(self, user: Any, action: str = "view") -> DisclosureQuerySet:
        if action != "view":
            return self.none()  # append-only: nobody changes or deletes a disclosure
        from registrants.models import Registrant

        return self.filter(registrant__in=Registrant.objects.visible_to(user).values("pk"))


class Disclosure(models.Model):
    """One disclosure of a registrant's record to another agency: date, nature and purpose,
    the recipient's name and address, and who sent it (5 U.S.C. 552a(c)(1)). Append-only and
    never pruned: kept at least five years or the life of the record (552a(c)(2))."""

    # registrant_id leads the (registrant, -disclosed_at) index below
    registrant = models.ForeignKey(
        "registrants.Registrant", on_delete=models.PROTECT, related_name="disclosures", db_index=False
    )
    notification = models.OneToOneField(Notification, on_delete=models.PROTECT, related_name="disclosure")
    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    nature_and_purpose = models.CharField(max_length=500)
    recipient_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    destination = models.CharField(max_length=500, blank=True, help_text="E-mail address or webhook URL.")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sender_name = models.CharField(max_length=200)

    objects = RestrictedManager.from_queryset(DisclosureQuerySet)()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [
            models.Index(fields=["registrant", "-disclosed_at"]),
            # automatic deliveries have no sender: only the others have an entry
            models.Index(fields=["sender"], condition=Q(sender__isnull=False), name="disclosure_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.disclosed_at:%Y-%m-%d} to {self.recipient_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("The accounting of disclosures is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise ValidationError("The accounting of disclosures is append-only.")
