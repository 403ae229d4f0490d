"""What USNCB and State exchange about a case: foreign notices to destination countries with the
International Megan's Law records kept about them (decisions not to send, corrections,
complaints), inbound notices from foreign countries, and passport actions.

White paper IV.A.3.b (notice to INTERPOL-USNCB), VI.1 (passport issuance); 34 U.S.C. 21503/21504;
DESIGN.md "Core records" and "Time rules"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from registrants.choices import Sex
from rsoits.audit import audit_history
from rsoits.choices import AgencyKind, Role
from rsoits.principal import Principal
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from ..choices_foreign import (
    ComplaintStatus,
    ForeignNoticeStatus,
    NoNoticeReason,
    PassportActionKind,
    PassportActionStatus,
    PassportLegalBasis,
)
from .hits import validate_document_number

__all__ = [
    "ForeignNotice",
    "ForeignNoticeComplaint",
    "ForeignNoticeQuerySet",
    "InboundForeignNotice",
    "NoNoticeDecision",
    "PassportAction",
    "PassportActionDocument",
    "PassportActionQuerySet",
]

# Angel Watch screens travellers no later than 48 hours before departure (34 U.S.C. 21503(b)).
ANGEL_WATCH_HOURS = 48


class UsncbQuerySet(RestrictedQuerySet):
    """USNCB works these records; NSOTC reads them (national scope); nobody else sees them."""

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_usncb:
            return ALL
        if principal.is_nsotc and action == "view":
            return ALL
        return NOTHING


class ForeignNoticeQuerySet(UsncbQuerySet):
    pass


def _ncb_choices() -> dict[str, Any]:
    return {"kind": AgencyKind.FOREIGN_NCB}


class ForeignNotice(models.Model):
    """USNCB's notice to one destination country's INTERPOL NCB about a forwarded case.

    ``content`` is the snapshot of what the country is told, taken when the notice is prepared
    and frozen once it is sent; the page, the PDF and the API show only this snapshot, never
    the registry record, so domestic-only identifiers cannot leak into it. A correction is a new
    notice to the same NCB pointing at the one it corrects. Status changes only through the
    transition table in ``cases.services.foreign``."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="foreign_notices")
    registrant = models.ForeignKey(
        "registrants.Registrant", on_delete=models.PROTECT, related_name="foreign_notices", editable=False
    )
    country = models.CharField("destination country", max_length=2, help_text="ISO 3166 alpha-2.")
    ncb = models.ForeignKey(
        "rsoits.Agency",
        on_delete=models.PROTECT,
        related_name="foreign_notices_received",
        limit_choices_to=_ncb_choices,
        verbose_name="destination NCB",
    )
    status = models.CharField(
        max_length=16, choices=ForeignNoticeStatus.choices, default=ForeignNoticeStatus.DRAFT, db_index=True
    )
    content = models.JSONField(default=dict, editable=False)
    conviction_summary = models.TextField(blank=True)
    remarks = models.TextField("remarks to the destination country", blank=True)
    departure_date = models.DateField(null=True, blank=True, editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # International Megan's Law record-keeping: was the country told before travel began, and in
    # time for Angel Watch (48 hours before departure)?
    sent_before_travel = models.BooleanField(null=True, editable=False)
    sent_48h_ahead = models.BooleanField("sent 48 hours ahead", null=True, editable=False)
    acknowledged_on = models.DateField(null=True, blank=True, editable=False)
    acknowledgement_text = models.TextField("country's response", blank=True, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", editable=False
    )
    correction_reason = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(ForeignNoticeQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-prepared_at", "-id"]
        indexes = [models.Index(fields=["country", "sent_at"])]
        constraints = [
            # One original notice per destination country of a case; corrections are extra rows.
            models.UniqueConstraint(
                fields=["case", "country"], condition=Q(corrects__isnull=True), name="foreignnotice_one_per_country"
            ),
        ]

    def __str__(self) -> str:
        kind = "Correction" if self.corrects_id else "Foreign notice"
        return f"{kind} #{self.pk} to {self.country}"

    def get_absolute_url(self) -> str:
        return reverse("foreignnotice_detail", args=[self.pk])

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None

    @property
    def country_name(self) -> str:
        import pycountry

        found = pycountry.countries.get(alpha_2=self.country) if self.country else None
        return found.name if found else self.country


class NoNoticeDecision(models.Model):
    """A decision not to notify a destination country of a forwarded case, with its reason
    (34 U.S.C. 21504: every decision not to send is recorded and reported)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="no_notice_decisions")
    registrant = models.ForeignKey("registrants.Registrant", on_delete=models.PROTECT, related_name="+", editable=False)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2.")
    reason = models.CharField(max_length=24, choices=NoNoticeReason.choices)
    detail = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = RestrictedManager.from_queryset(UsncbQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "country"], name="nonotice_one_per_country")]

    def __str__(self) -> str:
        return f"No notice to {self.country} for case #{self.case_id}"

    def clean(self) -> None:
        if self.reason == NoNoticeReason.OTHER and not (self.detail or "").strip():
            raise ValidationError({"detail": "Explain why no notice is sent."})


class ForeignNoticeComplaint(models.Model):
    """A complaint that a foreign notice was wrong (34 U.S.C. 21504): logged, worked, answered."""

    notice = models.ForeignKey(ForeignNotice, on_delete=models.PROTECT, related_name="complaints")
    complainant = models.CharField(max_length=200, help_text="Who complains: the person, counsel, or an agency.")
    received_on = models.DateField()
    description = models.TextField()
    status = models.CharField(
        max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED, db_index=True
    )
    answer = models.TextField(blank=True, editable=False)
    answered_on = models.DateField(null=True, blank=True, editable=False)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedManager.from_queryset(UsncbQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Complaint #{self.pk} about notice #{self.notice_id}"

    def get_absolute_url(self) -> str:
        return reverse("foreignnotice_detail", args=[self.notice_id])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not (self.complainant or "").strip():
            errors["complainant"] = "Name who complains."
        if not (self.description or "").strip():
            errors["description"] = "Describe the complaint."
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = "The date received cannot be in the future."
        if errors:
            raise ValidationError(errors)


class InboundForeignNotice(models.Model):
    """A foreign country's notice that one of its convicted sex offenders is travelling to the
    United States (white paper IV.A.3.b, inbound direction). The identity is kept in separate
    fields (names, date of birth, sex, nationality, passport) so it can be matched against the
    registry like any other hit."""

    country = models.CharField("notifying country", max_length=2, help_text="ISO 3166 alpha-2.")
    ncb = models.ForeignKey(
        "rsoits.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_notices_sent",
        limit_choices_to=_ncb_choices,
        verbose_name="notifying NCB",
    )
    foreign_reference = models.CharField("NCB's reference", max_length=64)
    received_on = models.DateField()
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names, as a list of full names.")
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    # the same check as a hit's: the notice becomes a hit (DESIGN.md "Hit")
    passport_number = models.CharField(max_length=32, blank=True, validators=[validate_document_number])
    passport_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2.")
    arrival_date = models.DateField()
    departure_date = models.DateField(null=True, blank=True, help_text="Planned departure from the United States.")
    port_of_entry = models.CharField(max_length=100, blank=True)
    flight = models.CharField(max_length=100, blank=True)
    destination_address = models.TextField("where the person stays in the United States", blank=True)
    conviction_summary = models.TextField(blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = RestrictedManager.from_queryset(UsncbQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            # A notice received twice is the same notice.
            models.UniqueConstraint(fields=["country", "foreign_reference"], name="inbound_unique_reference"),
        ]

    def __str__(self) -> str:
        return f"Inbound notice {self.country}/{self.foreign_reference} — {self.surname}, {self.given_name}"

    def get_absolute_url(self) -> str:
        return reverse("inboundnotice_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.surname) if p)

    def clean(self) -> None:
        from ..validators import country_error

        errors: dict[str, str] = {}
        for field in ("country", "nationality", "passport_country"):
            value = (getattr(self, field) or "").strip().upper()
            setattr(self, field, value)
            if (value or field == "country") and (message := country_error(value)):
                errors[field] = message
        if self.passport_number and not self.passport_country:
            errors["passport_country"] = "Give the country that issued the passport."
        if self.departure_date and self.arrival_date and self.departure_date < self.arrival_date:
            errors["departure_date"] = "The departure is before the arrival."
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            errors["aliases"] = "Give the other names as a list of full names."
        if errors:
            raise ValidationError(errors)


class PassportActionQuerySet(RestrictedQuerySet):
    """Who sees a passport action: NSOTC (all, read); a SORA the actions it requested or that
    concern its registrants; the requesting agency changes it (records State's answer)."""

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_nsotc and action == "view":
            return ALL
        requesters = principal.sora_agency_ids | principal.agencies_with_role(*Role.nsotc_roles())
        condition = Q(requesting_agency_id__in=requesters) if requesters else NOTHING
        if action == "view" and principal.sora_agency_ids:
            own = Q(registrant__registering_agency_id__in=principal.sora_agency_ids)
            condition = own if condition == NOTHING else condition | own
        return condition


class PassportAction(models.Model):
    """A law-enforcement request to State CA/PPT to deny a registrant's passport (on a probation,
    parole or court condition, or a warrant) or to be told before one is issued (a CLASS lookout),
    tracked to State's answer (white paper VI.1.a). Status changes only through the transition
    table in ``cases.services.passport``."""

    registrant = models.ForeignKey("registrants.Registrant", on_delete=models.PROTECT, related_name="passport_actions")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="passport_actions"
    )
    requesting_agency = models.ForeignKey(
        "rsoits.Agency", on_delete=models.PROTECT, related_name="passport_actions", editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    kind = models.CharField(max_length=16, choices=PassportActionKind.choices)
    legal_basis = models.CharField(max_length=16, choices=PassportLegalBasis.choices, blank=True)
    basis_reference = models.CharField(
        "court, case or warrant number", max_length=200, blank=True, help_text="Which order or warrant it rests on."
    )
    justification = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=PassportActionStatus.choices, default=PassportActionStatus.REQUESTED, db_index=True
    )
    state_reference = models.CharField("State CA/PPT reference", max_length=64, blank=True, editable=False)
    state_response = models.TextField("State's answer", blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(PassportActionQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} — {self.registrant}"

    def get_absolute_url(self) -> str:
        return reverse("passportaction_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == PassportActionKind.DENIAL:
            if not self.legal_basis:
                errors["legal_basis"] = "A denial needs its legal basis (probation, parole, court order or warrant)."
            if not (self.basis_reference or "").strip():
                errors["basis_reference"] = "Name the order or warrant the denial rests on."
        if errors:
            raise ValidationError(errors)


def passport_document_path(instance: PassportActionDocument, filename: str) -> str:
    # The stored name never carries the uploaded name (kept in ``original_name``).
    import uuid

    return f"passport-actions/{instance.action_id}/{uuid.uuid4().hex}"


class PassportActionDocumentQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        return self.filter(action__in=PassportAction.objects.visible_to(user, action).values("pk"))


class PassportActionDocument(models.Model):
    """A supporting document of a passport action (court order, warrant, supervision terms); its
    size and type are checked like case attachments and it is served only to who sees the action."""

    action = models.ForeignKey(PassportAction, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=passport_document_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedManager.from_queryset(PassportActionDocumentQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("passportaction_document", args=[self.action_id, self.pk])

    def clean(self) -> None:
        from ..validators import attachment_errors

        errors = attachment_errors(self.file, self.content_type, self.size)
        if errors:
            raise ValidationError({"file": errors})
