"""DoD models of the cases app: installation monitoring of RSOs who live or work on an
installation, and notices of UCMJ-convicted members being separated or released
(DTM 15-003, attachment 3, sections 2 and 3)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from rsoits.audit import audit_history
from rsoits.choices import AgencyKind, DodComponent
from rsoits.principal import Principal
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from ..choices_dod import CheckOutcome, MonitoredBy, MonitoringStatus, SeparationKind, SeparationStatus

__all__ = ["InstallationMonitoring", "MonitoringCheck", "SeparationNotice"]


class InstallationMonitoringQuerySet(RestrictedQuerySet):
    """The installation LEA sees and keeps the monitoring of its own installations only
    (DTM 15-003 att. 3, 3.c); NSOTC reads all; the registering SORA, the LEA's partner in the
    coordination, reads those of its registrants."""

    def scope(self, principal: Principal, action: str) -> Q:
        condition = NOTHING
        if principal.installation_ids:
            condition = Q(installation_id__in=principal.installation_ids)
        if action != "view":
            return condition
        if principal.is_nsotc:
            return ALL
        if principal.sora_agency_ids:
            sora = Q(registrant__registering_agency_id__in=principal.sora_agency_ids)
            condition = sora if condition == NOTHING else condition | sora
        return condition

    def overdue(self, today: date) -> InstallationMonitoringQuerySet:
        return self.filter(status=MonitoringStatus.ACTIVE, next_check_due__lt=today)


class InstallationMonitoring(models.Model):
    """The monitoring plan of one RSO on one installation: the coordination with the state
    registry (restrictions found, who monitors) and, when the installation LEA monitors, the
    check schedule (DTM 15-003 att. 3, 3.c-3.d)."""

    registrant = models.ForeignKey("registrants.Registrant", on_delete=models.PROTECT, related_name="monitorings")
    installation = models.ForeignKey("rsoits.Installation", on_delete=models.PROTECT, related_name="monitorings")
    status = models.CharField(max_length=16, choices=MonitoringStatus.choices, default=MonitoringStatus.ACTIVE)
    # Coordination with the state registry (att. 3, 3.c)
    coordinated_with = models.ForeignKey(
        "rsoits.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind__in": sorted(AgencyKind.sora_kinds())},
        help_text="The state, territory or tribal registry consulted.",
    )
    coordinated_on = models.DateField(null=True, blank=True)
    restrictions_found = models.BooleanField(
        null=True, blank=True, help_text="Whether the registry reports restrictions from the conviction."
    )
    restrictions = models.TextField(blank=True, help_text="The restrictions, as the registry reported them.")
    monitored_by = models.CharField(max_length=16, choices=MonitoredBy.choices, default=MonitoredBy.UNDETERMINED)
    # Check schedule, when the installation LEA monitors (att. 3, 3.d)
    check_interval_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(366)], help_text="Days between checks."
    )
    next_check_due = models.DateField(null=True, blank=True, db_index=True, editable=False)
    started_on = models.DateField(default=date.today)
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager.from_queryset(InstallationMonitoringQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["next_check_due", "id"]
        verbose_name = "installation monitoring"
        constraints = [
            models.UniqueConstraint(
                fields=["registrant", "installation"],
                condition=Q(status="active"),
                name="monitoring_one_active_per_registrant_installation",
            ),
        ]

    def __str__(self) -> str:
        return f"Monitoring of {self.registrant} at {self.installation.code}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring_detail", args=[self.pk])

    def clean(self) -> None:
        if self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "The end cannot be before the start."})
        if self.coordinated_on and self.coordinated_on > date.today():  # noqa: DTZ011 - a calendar date
            raise ValidationError({"coordinated_on": "The coordination date cannot be in the future."})

    @property
    def needs_checks(self) -> bool:
        return self.status == MonitoringStatus.ACTIVE and self.monitored_by == MonitoredBy.INSTALLATION

    def schedule_from(self, last_check: date | None) -> date | None:
        """The next check is one interval after the last check (or after the start)."""
        if not self.needs_checks:
            return None
        return (last_check or self.started_on) + timedelta(days=self.check_interval_days)

    def is_overdue(self, today: date) -> bool:
        return self.next_check_due is not None and self.next_check_due < today


class MonitoringCheck(models.Model):
    """One check done under a monitoring plan."""

    monitoring = models.ForeignKey(InstallationMonitoring, on_delete=models.PROTECT, related_name="checks")
    checked_on = models.DateField()
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=CheckOutcome.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        ordering = ["-checked_on", "-id"]

    def __str__(self) -> str:
        return f"Check on {self.checked_on:%Y-%m-%d}: {self.get_outcome_display()}"

    def clean(self) -> None:
        if self.checked_on and self.checked_on > date.today():  # noqa: DTZ011 - a calendar date
            raise ValidationError({"checked_on": "A check cannot be logged for a future date."})
        if self.outcome in (CheckOutcome.VIOLATION, CheckOutcome.OTHER) and not self.notes.strip():
            raise ValidationError({"notes": "Describe what was found."})


class SeparationNoticeQuerySet(RestrictedQuerySet):
    """The filing Service's agency, the state registry of the intended residence and NSOTC see
    a separation notice (DTM 15-003 att. 3, 2.a); nobody else."""

    def scope(self, principal: Principal, action: str) -> Q:
        condition = NOTHING
        if principal.agency_ids and action == "view":
            condition = Q(filed_by_agency_id__in=principal.agency_ids)
        if principal.sora_agency_ids:
            sora = Q(state_registry_id__in=principal.sora_agency_ids)
            condition = sora if condition == NOTHING else condition | sora
        if principal.is_nsotc:
            return ALL
        return condition


class SeparationNotice(models.Model):
    """A Military Service's notice that a member convicted under the UCMJ of an offence
    requiring registration is being separated or released from confinement, sent to the state
    registry of the intended residence and to NSOTC at once, with each one's acknowledgement."""

    kind = models.CharField(max_length=16, choices=SeparationKind.choices)
    component = models.CharField(max_length=32, choices=DodComponent.choices)
    filed_by_agency = models.ForeignKey("rsoits.Agency", on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    registrant = models.ForeignKey(
        "registrants.Registrant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="separation_notices",
        help_text="The registry record, when the person is already registered.",
    )
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    dod_id = models.CharField("DoD ID", max_length=20, blank=True)
    ucmj_article = models.CharField("UCMJ article", max_length=40, help_text="e.g. Art. 120b")
    offense = models.TextField(help_text="The offence requiring registration, as convicted.")
    conviction_date = models.DateField()
    effective_date = models.DateField(help_text="Date of separation or of release.")
    confinement_facility = models.CharField(max_length=200, blank=True)
    residence_street = models.CharField("intended residence: street", max_length=200)
    residence_city = models.CharField("intended residence: city", max_length=100)
    residence_state = models.CharField("intended residence: state", max_length=2, help_text="USPS code.")
    residence_postal_code = models.CharField("intended residence: postal code", max_length=10, blank=True)
    state_registry = models.ForeignKey(
        "rsoits.Agency", on_delete=models.PROTECT, related_name="+", help_text="Registry of the intended residence."
    )
    status = models.CharField(max_length=24, choices=SeparationStatus.choices, default=SeparationStatus.SENT)
    state_acknowledged_at = models.DateTimeField(null=True, blank=True)
    state_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    nsotc_acknowledged_at = models.DateTimeField(null=True, blank=True)
    nsotc_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager.from_queryset(SeparationNoticeQuerySet)()
    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.given_name} {self.surname} ({self.effective_date:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("separation_detail", args=[self.pk])

    def clean(self) -> None:
        if self.conviction_date and self.effective_date and self.effective_date < self.conviction_date:
            raise ValidationError({"effective_date": "Separation or release cannot come before the conviction."})
        if self.date_of_birth and self.conviction_date and self.conviction_date <= self.date_of_birth:
            raise ValidationError({"conviction_date": "The conviction must come after the date of birth."})
