"""Travel notices (the registrant's 21-day advance notice of international travel, taken by the
SORA) and cases (NSOTC's unit of work), with their itinerary legs, events, notes and attachments.

White paper IV.A.2 and IV.A.3.b; DTM 15-003 attachment 3 section 4; DESIGN.md "Core records"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from registrants.models import Registrant
from rsoits.audit import audit_history
from rsoits.choices import Role
from rsoits.models import Agency
from rsoits.principal import Principal
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from ..choices import (
    CaseDisposition,
    CaseOrigin,
    CasePriority,
    CaseStatus,
    LateReason,
    ReturnOutcome,
    TravelMeans,
    TravelNoticeStatus,
    TravelPurpose,
)

__all__ = [
    "CHECKLIST_FIELDS",
    "NOTICE_DAYS_REQUIRED",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "CaseNote",
    "CaseQuerySet",
    "ItineraryLeg",
    "TravelNotice",
    "TravelNoticeQuerySet",
]

# 34 U.S.C. 20914(a)(7) and the SORNA Supplemental Guidelines: notice at least 21 days ahead.
NOTICE_DAYS_REQUIRED = 21


class TravelNoticeQuerySet(RestrictedQuerySet):
    """Who sees a travel notice: NSOTC (all, read-only); the SORA that filed it or that registers
    the person (and changes it); an installation LEA for registrants affiliated with its
    installation (read-only, DTM 15-003 att. 3, 3.c); USNCB once the case is forwarded to it
    (a django-guardian share given by the forwarding service)."""

    guardian_shared = True

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_nsotc and action == "view":
            return ALL
        condition = NOTHING
        if principal.sora_agency_ids:
            condition = Q(agency_id__in=principal.sora_agency_ids) | Q(
                registrant__registering_agency_id__in=principal.sora_agency_ids
            )
        if action == "view" and principal.installation_ids:
            lea = Q(registrant__installation_id__in=principal.installation_ids)
            condition = lea if condition == NOTHING else condition | lea
        dod = principal.agencies_with_role(Role.INSTALLATION_LEA)
        if dod:
            # A DoD component keeps the reports it filed (DTM 15-003 att. 3, 4.d).
            filed = Q(agency_id__in=dod)
            condition = filed if condition == NOTHING else condition | filed
        return condition


class TravelNotice(models.Model):
    """A registrant's advance notice of international travel (34 U.S.C. 20914(a)(7); SMART's
    "Notification of International Travel of Sex Offender"). ``days_of_notice`` and ``is_late``
    are derived from the dates by the services; the flags are set when the notice is submitted."""

    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="travel_notices")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="travel_notices", verbose_name="filing agency"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=TravelNoticeStatus.choices, default=TravelNoticeStatus.DRAFT, db_index=True
    )
    date_given = models.DateField("date notice given", help_text="The day the registrant told the SORA.")
    departure_date = models.DateField(db_index=True)
    return_date = models.DateField(null=True, blank=True, help_text="Leave empty only for a relocation abroad.")
    purpose = models.CharField(max_length=24, choices=TravelPurpose.choices)
    purpose_detail = models.CharField(max_length=300, blank=True)
    passport_number = models.CharField("passport number", max_length=32, blank=True)
    passport_country = models.CharField(
        "passport country", max_length=2, blank=True, help_text="ISO 3166 alpha-2 of the issuing country."
    )
    companions = models.TextField(blank=True, help_text="Who travels with the registrant.")
    means_of_travel = models.CharField(max_length=8, choices=TravelMeans.choices, default=TravelMeans.AIR)
    late_reason = models.CharField(max_length=24, choices=LateReason.choices, blank=True)
    late_reason_detail = models.TextField("late reason (details)", blank=True)
    days_of_notice = models.IntegerField(null=True, editable=False)
    is_late = models.BooleanField(default=False, editable=False, db_index=True)
    # Flags taken at submission: they stay on the notice even if the record changes later.
    travel_prohibited_flag = models.BooleanField("international travel prohibited", default=False, editable=False)
    fugitive_flag = models.BooleanField("fugitive at submission", default=False, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    amended_at = models.DateTimeField(null=True, blank=True, editable=False)
    amendment_reason = models.TextField(blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(blank=True, editable=False)
    return_outcome = models.CharField(max_length=16, choices=ReturnOutcome.choices, blank=True, editable=False)
    actual_return_date = models.DateField(null=True, blank=True, editable=False)
    return_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(TravelNoticeQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-departure_date", "-id"]
        indexes = [models.Index(fields=["status", "departure_date"]), models.Index(fields=["status", "return_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(return_date__isnull=True) | Q(return_date__gte=models.F("departure_date")),
                name="travelnotice_return_after_departure",
            ),
        ]

    def __str__(self) -> str:
        return f"Travel notice #{self.pk} — {self.registrant} departing {self.departure_date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("travelnotice_detail", args=[self.pk])

    @property
    def is_flagged(self) -> bool:
        return self.travel_prohibited_flag or self.fugitive_flag

    @property
    def is_editable(self) -> bool:
        return self.status in (TravelNoticeStatus.DRAFT, *TravelNoticeStatus.live())

    def compute_days_of_notice(self) -> None:
        """Days of notice = departure minus date given; under 21 days the notice is late (DESIGN.md
        "Time rules"): exactly 21 days is on time, 20 is late."""
        if self.departure_date and self.date_given:
            self.days_of_notice = (self.departure_date - self.date_given).days
            self.is_late = self.days_of_notice < NOTICE_DAYS_REQUIRED
        else:
            self.days_of_notice, self.is_late = None, False

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.departure_date and self.return_date and self.return_date < self.departure_date:
            errors["return_date"] = "The return date is before the departure date."
        if self.departure_date and self.date_given and self.date_given > self.departure_date:
            errors["date_given"] = "Notice cannot be given after the departure date."
        if not self.return_date and self.purpose != TravelPurpose.RELOCATION_ABROAD:
            errors["return_date"] = "Give the return date (it may be left empty only for a relocation abroad)."
        if self.passport_country:
            from ..validators import country_error

            message = country_error(self.passport_country)
            if message:
                errors["passport_country"] = message
        if self.passport_country and not self.passport_number:
            errors["passport_number"] = "Give the passport number with its country."
        self.compute_days_of_notice()
        if self.is_late and not self.late_reason:
            errors["late_reason"] = (
                f"The notice is late ({self.days_of_notice} days before departure, {NOTICE_DAYS_REQUIRED} required): "
                "give the reason."
            )
        if self.late_reason == LateReason.OTHER and not self.late_reason_detail.strip():
            errors["late_reason_detail"] = "Explain the reason for the late notice."
        if self.purpose == TravelPurpose.OTHER and not self.purpose_detail.strip():
            errors["purpose_detail"] = "Describe the purpose of the trip."
        if errors:
            raise ValidationError(errors)

    def countries(self) -> list[str]:
        """Destination countries in itinerary order, each once."""
        legs = self.legs.all()
        return list(dict.fromkeys(leg.country for leg in sorted(legs, key=lambda leg: leg.order)))


class ChildOfRestricted(RestrictedQuerySet):
    """Rows seen through their parent: visible when the parent is."""

    parent_field: str = ""
    parent_model: type[models.Model]

    def visible_to(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        parents = self.parent_model.objects.visible_to(user, action).values("pk")  # type: ignore[attr-defined]
        return self.filter(**{f"{self.parent_field}__in": parents})


class ItineraryLegQuerySet(ChildOfRestricted):
    parent_field = "notice"
    parent_model = TravelNotice


class ItineraryLeg(models.Model):
    """One stop of the trip: country, city, dates, where the registrant stays, how they get there."""

    notice = models.ForeignKey(TravelNotice, on_delete=models.CASCADE, related_name="legs")
    order = models.PositiveSmallIntegerField(default=1)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2.")
    city = models.CharField(max_length=100, blank=True)
    arrival_date = models.DateField()
    departure_date = models.DateField(null=True, blank=True, help_text="Empty for the last stop of a relocation.")
    address = models.TextField("address or contact at the destination", blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    flight_numbers = models.CharField(max_length=100, blank=True)
    port_of_departure = models.CharField(max_length=100, blank=True)
    port_of_entry = models.CharField(max_length=100, blank=True)

    objects = RestrictedManager.from_queryset(ItineraryLegQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["notice_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.city + ', ' if self.city else ''}{self.country} from {self.arrival_date}"

    @property
    def country_name(self) -> str:
        import pycountry

        found = pycountry.countries.get(alpha_2=self.country) if self.country else None
        return found.name if found else self.country

    def clean(self) -> None:
        from ..validators import country_error

        errors: dict[str, Any] = {}
        self.country = (self.country or "").strip().upper()
        message = country_error(self.country)
        if message:
            errors["country"] = message
        if self.departure_date and self.arrival_date and self.departure_date < self.arrival_date:
            errors["departure_date"] = "The departure from this stop is before the arrival."
        if errors:
            raise ValidationError(errors)


class CaseQuerySet(RestrictedQuerySet):
    """Who sees a case: NSOTC (all, and works them); a SORA the cases of its registrants and of
    the notices it filed; an installation LEA those of registrants affiliated with its
    installation (read-only); USNCB the cases forwarded to it (django-guardian share)."""

    guardian_shared = True

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_nsotc:
            return ALL
        if action != "view":
            return NOTHING
        condition = NOTHING
        if principal.sora_agency_ids:
            condition = Q(registrant__registering_agency_id__in=principal.sora_agency_ids) | Q(
                travel_notice__agency_id__in=principal.sora_agency_ids
            )
        if principal.installation_ids:
            lea = Q(registrant__installation_id__in=principal.installation_ids)
            condition = lea if condition == NOTHING else condition | lea
        return condition

    def active(self) -> CaseQuerySet:
        return self.filter(status__in=CaseStatus.active())


class Case(models.Model):
    """NSOTC's unit of work, opened by a submitted travel notice or a confirmed hit: prioritised,
    assigned, vetted against a checklist and ended with a disposition (DESIGN.md "Core records").
    The status changes only through the transition table in ``cases.services.cases``."""

    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="cases")
    origin = models.CharField(max_length=16, choices=CaseOrigin.choices, default=CaseOrigin.TRAVEL_NOTICE)
    travel_notice = models.ForeignKey(
        TravelNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The confirmed hit that opened the case (a foreign key once hits are stored in this app).
    source_hit_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    priority = models.PositiveSmallIntegerField(choices=CasePriority.choices, default=CasePriority.NORMAL)
    priority_reasons = models.JSONField(default=list, blank=True, editable=False)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True)
    # Vetting checklist (white paper IV.A.3.b)
    ncic_wanted_checked = models.BooleanField("NCIC Wanted checked", default=False)
    nsor_verified = models.BooleanField("NSOR record verified", default=False)
    registration_compliant = models.BooleanField("registration compliant", default=False)
    court_conditions_reviewed = models.BooleanField("court conditions reviewed", default=False)
    disposition = models.CharField(max_length=24, choices=CaseDisposition.choices, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(CaseQuerySet)()
    history = audit_history(indexed=[])  # (the trail is read one case at a time)

    class Meta:
        ordering = ["-priority", "due_date", "id"]
        indexes = [models.Index(fields=["status", "-priority", "due_date"])]
        constraints = [
            # One case per notice and per hit: submitting twice never opens a second case.
            models.UniqueConstraint(
                fields=["travel_notice"], condition=Q(travel_notice__isnull=False), name="case_one_per_notice"
            ),
            models.UniqueConstraint(
                fields=["source_hit_id"], condition=Q(source_hit_id__isnull=False), name="case_one_per_hit"
            ),
        ]

    def __str__(self) -> str:
        return f"Case #{self.pk} — {self.registrant}"

    def get_absolute_url(self) -> str:
        return reverse("case_detail", args=[self.pk])

    @property
    def checklist_complete(self) -> bool:
        return all(getattr(self, name) for name in CHECKLIST_FIELDS)

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_date and self.status in CaseStatus.active() and self.due_date < timezone.localdate())


CHECKLIST_FIELDS = ("ncic_wanted_checked", "nsor_verified", "registration_compliant", "court_conditions_reviewed")


class CaseChildQuerySet(ChildOfRestricted):
    parent_field = "case"
    parent_model = Case


class CaseEvent(models.Model):
    """One state change of a case: who, when, from which status to which, and why. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=32, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True)

    objects = RestrictedManager.from_queryset(CaseChildQuerySet)()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class CaseNote(models.Model):
    """A working note on a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedManager.from_queryset(CaseChildQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on case #{self.case_id}"

    def clean(self) -> None:
        if not (self.body or "").strip():
            raise ValidationError({"body": "Write the note."})


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    # The stored name never carries the uploaded name (which is kept in ``original_name``).
    import uuid

    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class CaseAttachment(models.Model):
    """A document on a case (court order, NCIC printout, itinerary). Its size and content type
    are checked by the service against ``CASE_ATTACHMENT_MAX_BYTES`` and
    ``CASE_ATTACHMENT_CONTENT_TYPES``; it is served only to users who may see the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedManager.from_queryset(CaseChildQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("case_attachment", args=[self.case_id, self.pk])

    def clean(self) -> None:
        from ..validators import attachment_errors

        errors = attachment_errors(self.file, self.content_type, self.size)
        if errors:
            raise ValidationError({"file": errors})
