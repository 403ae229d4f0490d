"""Core records: users, agencies with their contacts and endpoints, DoD installations,
memberships (user -> agency -> role) and the read-access log."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .audit import audit_history
from .choices import AccessAction, AccessOutcome, AgencyKind, DodComponent, EndpointKind, JurisdictionType, Role
from .principal import Principal
from .querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

ori_validator = RegexValidator(r"^[A-Z0-9]{9}$", "An NCIC ORI is nine letters or digits, e.g. VA0000000.")


# --- users -------------------------------------------------------------------------------


class UserQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str):
        if principal.is_system_admin:
            return ALL
        admin_of = principal.admin_agency_ids
        own = models.Q(pk=principal.user_id) if action == "view" else NOTHING
        if admin_of:
            return models.Q(memberships__agency_id__in=admin_of) | own
        return own

    def visible_to(self, user, action="view"):
        # A user with memberships in two agencies would otherwise appear twice.
        return super().visible_to(user, action).distinct()


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person (or a system client) who signs in to RSOITS.

    ``locked_at`` is set when sign-in is locked after repeated failures (CJIS Security Policy
    5.5.3) and cleared only by an agency or system admin.
    """

    objects = UserManager()

    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_reason = models.CharField(max_length=200, blank=True)
    system_notice_acknowledged_at = models.DateTimeField(null=True, blank=True)

    history = audit_history(excluded_fields=["password", "last_login", "system_notice_acknowledged_at"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def get_absolute_url(self) -> str:
        return reverse("user_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


# --- agencies ----------------------------------------------------------------------------


class AgencyQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str):
        # The agency directory is reference data every member needs for routing and sharing;
        # only system admins change it.
        if action == "view":
            return ALL
        return ALL if principal.is_system_admin else NOTHING

    def sora(self):
        return self.filter(kind__in=AgencyKind.sora_kinds())


class Agency(models.Model):
    """An organisation that takes part: a SORA, NSOTC, USNCB, a federal partner, a DoD office,
    or a foreign authority. ``code`` is the USPS code for a state SORA (``VA``), ``NSOTC``,
    ``USNCB``, or ``NCB-<ISO alpha-2>`` for a country's INTERPOL NCB."""

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_.-]*$", "Use capital letters, digits, '-', '_' or '.'.")],
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices, db_index=True)
    jurisdiction_type = models.CharField(max_length=16, choices=JurisdictionType.choices)
    jurisdiction = models.CharField(
        max_length=64, help_text="USPS code of a state or territory, a tribe's name, or an ISO 3166 alpha-2 country."
    )
    ori = models.CharField("NCIC ORI", max_length=9, blank=True, validators=[ori_validator])
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    address = models.TextField(blank=True, help_text="Postal address, used in the accounting of disclosures.")
    active = models.BooleanField(default=True)
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.SET_NULL, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager.from_queryset(AgencyQuerySet)()
    history = audit_history(excluded_fields=["group"])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        indexes = [models.Index(fields=["jurisdiction_type", "jurisdiction"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("agency_detail", args=[self.pk])

    @property
    def is_sora(self) -> bool:
        return self.kind in AgencyKind.sora_kinds()


class AgencyOwnedQuerySet(RestrictedQuerySet):
    """Rows that belong to one agency: its own members see them, its admins and system admins
    change them, nobody else sees them."""

    agency_field = "agency"

    def scope(self, principal: Principal, action: str):
        if principal.is_system_admin:
            return ALL
        agencies = principal.agency_ids if action == "view" else principal.admin_agency_ids
        if not agencies:
            return NOTHING
        return models.Q(**{f"{self.agency_field}__in": agencies})


class AgencyContact(models.Model):
    """A person or a 24/7 line at an agency."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_24x7 = models.BooleanField("24/7 line", default=False)
    notes = models.TextField(blank=True)

    objects = RestrictedManager.from_queryset(AgencyOwnedQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["agency__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} — {self.agency.code}"

    def get_absolute_url(self) -> str:
        return reverse("agency_detail", args=[self.agency_id])

    def clean(self) -> None:
        if not self.email and not self.phone:
            raise ValidationError({"email": "Give an e-mail address or a phone number."})


def _new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class AgencyEndpoint(models.Model):
    """Where an agency's notifications are delivered: an e-mail address or a signed webhook.

    A ``secure`` endpoint is one an admin has cleared to carry personal data; every other
    channel gets only a link back into RSOITS (the minimum-necessary rule)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="endpoints")
    kind = models.CharField(max_length=16, choices=EndpointKind.choices)
    address = models.CharField(max_length=500, help_text="E-mail address, or the https URL of the webhook.")
    secret = models.CharField(max_length=128, default=_new_webhook_secret, help_text="HMAC-SHA256 key of a webhook.")
    secure = models.BooleanField(default=False, help_text="Cleared to receive personal data in the message body.")
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    objects = RestrictedManager.from_queryset(AgencyOwnedQuerySet)()
    history = audit_history(excluded_fields=["secret"])

    class Meta:
        ordering = ["agency__name", "kind", "address"]
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "address"], name="endpoint_unique_address")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    def get_absolute_url(self) -> str:
        return reverse("agency_detail", args=[self.agency_id])

    def clean(self) -> None:
        from django.core.validators import EmailValidator, URLValidator

        try:
            if self.kind == EndpointKind.EMAIL:
                EmailValidator()(self.address)
            elif self.kind == EndpointKind.WEBHOOK:
                URLValidator(schemes=["https", "http"])(self.address)
        except ValidationError as exc:
            raise ValidationError({"address": exc.messages}) from exc


class InstallationQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str):
        if action == "view":
            return ALL
        return ALL if principal.is_system_admin else NOTHING


class Installation(models.Model):
    """A DoD installation or facility, its component and the law enforcement agency that
    monitors RSOs living or working on it (DTM 15-003, attachment 3, section 3)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    component = models.CharField(max_length=32, choices=DodComponent.choices)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, help_text="USPS code, when in the United States.")
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 alpha-2.")
    lea = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="installations",
        limit_choices_to={"kind": AgencyKind.INSTALLATION_LEA},
        verbose_name="law enforcement agency",
    )
    active = models.BooleanField(default=True)

    objects = RestrictedManager.from_queryset(InstallationQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("installation_detail", args=[self.pk])


class MembershipQuerySet(AgencyOwnedQuerySet):
    def scope(self, principal: Principal, action: str):
        if principal.is_system_admin:
            return ALL
        if principal.admin_agency_ids:
            own = models.Q(user_id=principal.user_id) if action == "view" else NOTHING
            return models.Q(agency__in=principal.admin_agency_ids) | own
        return models.Q(user_id=principal.user_id) if action == "view" else NOTHING


class Membership(models.Model):
    """A user's role in an agency. A user sees nothing until given one (least privilege)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager.from_queryset(MembershipQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["agency__name", "user__username", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user.username} — {self.get_role_display()} at {self.agency.code}"

    def get_absolute_url(self) -> str:
        return reverse("user_detail", args=[self.user_id])


# --- read-access log ---------------------------------------------------------------------


class AccessLogQuerySet(RestrictedQuerySet):
    def scope(self, principal: Principal, action: str):
        if action != "view":
            return NOTHING  # nobody edits or deletes the access log through the application
        if principal.is_system_admin:
            return ALL
        auditing = principal.agencies_with_role(Role.AUDITOR)
        return models.Q(agency__in=auditing) if auditing else NOTHING


class AccessLog(models.Model):
    """One read of personal data, or one refused attempt (CJIS Security Policy 5.4.1.1).

    Append-only: the application never updates or deletes a row."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # (the user's trail index, below, leads with the user: no index of its own)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    username = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_code = models.CharField(max_length=32, blank=True)
    ori = models.CharField(max_length=9, blank=True)
    # Written on every page, read rarely: only the indexes the audit trail is read by (the time,
    # the user's trail, one object's readers, the agency); an action or an object type alone
    # picks out too many rows to be worth an index updated on every read of the registry.
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    outcome = models.CharField(max_length=8, choices=AccessOutcome.choices, default=AccessOutcome.ALLOWED)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows returned by a list, search or export.")
    path = models.CharField(max_length=500, blank=True)
    query = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = RestrictedManager.from_queryset(AccessLogQuerySet)()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The access log is append-only.")
