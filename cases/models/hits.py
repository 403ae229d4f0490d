"""Hits: identity events reported by screening systems, the candidates matching found for each,
the analysts' decisions, and the false matches remembered per source record (DESIGN.md "Hit")."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from registrants.choices import Sex
from registrants.keys import normalise_identifier
from registrants.models import Registrant, validate_past_date
from rsoits.audit import audit_history
from rsoits.choices import DodComponent, Role
from rsoits.models import Agency, Installation
from rsoits.principal import Principal
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from ..choices_hits import (
    DodAffiliation,
    DodPopulation,
    HitEventType,
    HitSource,
    HitStatus,
    MatchDecision,
    ReviewDecision,
)

__all__ = ["FalseMatch", "Hit", "HitCandidate", "HitDecision", "validate_country"]

_PORT_CODE = re.compile(r"^[A-Z0-9]{3,5}$")
_ALIEN_NUMBER = re.compile(r"^A?\d{8,9}$")
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def validate_country(value: str) -> None:
    """An ISO 3166-1 alpha-2 country code."""
    if value and (len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None):
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (e.g. US, FR).")


def validate_port_code(value: str) -> None:
    if value and not _PORT_CODE.match(value.upper()):
        raise ValidationError(f"'{value}' is not a port code (three to five capital letters or digits, e.g. IAD).")


def score_text(score: float) -> str:
    """A candidate's score to three decimals, rounded down: one sent to review under an
    automatic-match threshold of 0.999 shows 0.998, never 1.00."""
    return f"{math.floor(score * 1000 + 1e-9) / 1000:.3f}"


def validate_past_event(value) -> None:
    """When an event happened: not later than a day from now (sources report in their own
    clocks and time zones)."""
    if value and value > timezone.now() + timedelta(hours=24):
        raise ValidationError("The event cannot be in the future.")


def validate_document_number(value: str) -> None:
    if value and not _DOCUMENT.match(normalise_identifier(value)):
        raise ValidationError(f"'{value}' is not a document number (5 to 20 letters or digits).")


def validate_alien_number(value: str) -> None:
    if value and not _ALIEN_NUMBER.match(normalise_identifier(value)):
        raise ValidationError(f"'{value}' is not an alien number (A followed by 8 or 9 digits).")


class HitQuerySet(RestrictedQuerySet):
    """Who sees a hit (DESIGN.md "Who uses it"): NSOTC everything (it vets every hit); a system
    client only what its agency submitted; a SORA the hits confirmed against its registrants;
    USNCB inbound foreign notices; an installation LEA the IMESA matches at its installation and
    the hits confirmed against registrants affiliated with it (DTM 15-003 att. 3, 3.c). Only NSOTC
    decides."""

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_nsotc:
            return ALL
        if action != "view":
            return NOTHING
        conditions: list[Q] = []
        clients = principal.agencies_with_role(Role.SYSTEM_CLIENT)
        if clients:
            conditions.append(Q(submitting_agency_id__in=clients))
        if principal.sora_agency_ids:
            conditions.append(
                Q(status=HitStatus.CONFIRMED, registrant__registering_agency_id__in=principal.sora_agency_ids)
            )
        if principal.is_usncb:
            conditions.append(Q(event_type=HitEventType.FOREIGN_INBOUND))
        if principal.installation_ids:
            conditions.append(Q(event_type=HitEventType.IMESA_MATCH, installation_id__in=principal.installation_ids))
            conditions.append(Q(status=HitStatus.CONFIRMED, registrant__installation_id__in=principal.installation_ids))
        if not conditions:
            return NOTHING
        condition = conditions[0]
        for more in conditions[1:]:
            condition |= more
        return condition

    def open(self) -> HitQuerySet:
        return self.filter(status__in=HitStatus.open_statuses())


class Hit(models.Model):
    """An identity event from a screening system: a passport or visa application, an ESTA, an
    LPR application, an arrival or departure, an IMESA match or an inbound foreign notice.

    It carries the subject as the source reported it and the source's own id: a resend of the
    same (source, source id) is the same hit, never a second one. Matching adds ranked
    candidates; an analyst (or an automatic match) confirms the registrant behind it."""

    event_type = models.CharField(max_length=32, choices=HitEventType.choices)
    source = models.CharField("source system", max_length=16, choices=HitSource.choices)
    source_id = models.CharField("source record id", max_length=100)
    occurred_at = models.DateTimeField(
        help_text="When the event happened, as the source reports it.", validators=[validate_past_event]
    )
    received_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # where
    port_code = models.CharField(
        max_length=5, blank=True, validators=[validate_port_code], help_text="Port of entry or departure, e.g. IAD."
    )
    consular_post = models.CharField(max_length=100, blank=True, help_text="Consular post or passport agency.")
    installation = models.ForeignKey(Installation, null=True, blank=True, on_delete=models.PROTECT, related_name="hits")
    # the subject as reported
    given_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True, validators=[validate_past_date])
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = models.CharField(max_length=2, blank=True, validators=[validate_country])
    passport_number = models.CharField(max_length=32, blank=True, validators=[validate_document_number])
    passport_country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    visa_number = models.CharField(max_length=32, blank=True, validators=[validate_document_number])
    alien_number = models.CharField(max_length=16, blank=True, validators=[validate_alien_number])
    # document numbers as matching and search compare them (no case, spaces or punctuation)
    passport_norm = models.CharField(max_length=32, blank=True, editable=False)
    visa_norm = models.CharField(max_length=32, blank=True, editable=False)
    alien_norm = models.CharField(max_length=16, blank=True, editable=False)
    # IMESA continuous vetting (DTM 15-003 att. 3, 1.c): who the person is to DoD
    dod_component = models.CharField("DoD component", max_length=32, choices=DodComponent.choices, blank=True)
    dod_affiliation = models.CharField("DoD affiliation", max_length=16, choices=DodAffiliation.choices, blank=True)
    dod_population = models.CharField("DoD population source", max_length=16, choices=DodPopulation.choices, blank=True)
    national_guard = models.BooleanField(default=False, help_text="A National Guard member (DTM att. 3, 2.e).")
    foreign_record = models.BooleanField(
        default=False, help_text="The record is a foreign sex-offender record (INTERPOL Green Notice), DTM att. 3, 2.c."
    )
    flight = models.CharField("flight or carrier", max_length=32, blank=True, help_text="e.g. UA 0917")
    origin_country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    destination_country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    # who submitted it
    submitting_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="submitted_hits")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="submitted_hits"
    )
    # the matching result and its review
    decision = models.CharField("matching decision", max_length=16, choices=MatchDecision.choices, blank=True)
    status = models.CharField(max_length=20, choices=HitStatus.choices, default=HitStatus.NEW)
    registrant = models.ForeignKey(
        Registrant, null=True, blank=True, on_delete=models.PROTECT, related_name="hits", help_text="Confirmed match."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")

    objects = RestrictedManager.from_queryset(HitQuerySet)()
    # (the trail is read one hit at a time: no copy of the hit's own indexes)
    history = audit_history(excluded_fields=["passport_norm", "visa_norm", "alien_norm"], indexed=[])

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="hit_unique_source_record"),
            models.CheckConstraint(
                condition=Q(status=HitStatus.CONFIRMED, registrant__isnull=False) | ~Q(status=HitStatus.CONFIRMED),
                name="hit_confirmed_has_registrant",
            ),
        ]
        # Plain indexes for the exact filters and look-ups (a field's db_index would add a LIKE
        # twin on PostgreSQL that no query uses); the status is led by the queue's index.
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["event_type"], name="cases_hit_event_type_idx"),
            models.Index(fields=["decision"], name="cases_hit_decision_idx"),
            models.Index(fields=["passport_norm"], name="cases_hit_passport_norm_idx"),
            models.Index(fields=["visa_norm"], name="cases_hit_visa_norm_idx"),
            models.Index(fields=["alien_norm"], name="cases_hit_alien_norm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.source}:{self.source_id}"

    def save(self, *args, **kwargs) -> None:
        self.derive_keys()  # search keys always in step with the numbers they come from
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("hit_detail", args=[self.pk])

    @property
    def subject_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.surname) if p)

    @property
    def location(self) -> str:
        if self.installation_id:
            return str(self.installation)
        return self.port_code or self.consular_post

    def derive_keys(self) -> None:
        self.passport_norm = normalise_identifier(self.passport_number)[:32]
        self.visa_norm = normalise_identifier(self.visa_number)[:32]
        self.alien_norm = normalise_identifier(self.alien_number).lstrip("A")[:16]

    def clean(self) -> None:
        for name in ("nationality", "passport_country", "origin_country", "destination_country"):
            setattr(self, name, (getattr(self, name) or "").upper())
        self.port_code = (self.port_code or "").upper()
        errors: dict[str, str] = {}
        if self.passport_number and not self.passport_country:
            errors["passport_country"] = "Give the issuing country of the passport."
        if self.event_type == HitEventType.IMESA_MATCH:
            for name in ("dod_component", "dod_affiliation", "dod_population"):
                if not getattr(self, name):
                    errors[name] = "An IMESA match gives the person's component, affiliation and population source."
            # A recruit in the Delayed Entry Program is not on an installation yet (att. 3, 1.c(4)).
            if not self.installation_id and self.dod_population != DodPopulation.DELAYED_ENTRY:
                errors["installation"] = "An IMESA match names the installation it comes from."
        if errors:
            raise ValidationError(errors)


class HitCandidate(models.Model):
    """A registrant that matching proposed for a hit, with its score in [0, 1], its decision and
    the explanation per field. Rows are the engine's output and are not edited; an analyst's
    verdict is a HitDecision (and a FalseMatch)."""

    hit = models.ForeignKey(Hit, on_delete=models.CASCADE, related_name="candidates")
    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="hit_candidacies")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    decision = models.CharField(max_length=16, choices=MatchDecision.choices)
    explanation = models.TextField(blank=True)
    fields = models.JSONField(default=dict, blank=True, help_text="Explanation per field.")
    false_match = models.BooleanField(default=False)

    class Meta:
        ordering = ["hit_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["hit", "registrant"], name="hitcandidate_unique_registrant"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="hitcandidate_score_0_1"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.registrant_id} ({self.score_text})"

    @property
    def score_text(self) -> str:
        return score_text(self.score)


class HitDecision(models.Model):
    """One decision about a hit: who (nobody, for the matching engine), when, what, from which
    status to which, the candidate it concerns and the analyst's note."""

    hit = models.ForeignKey(Hit, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    registrant = models.ForeignKey(Registrant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    duplicate_of = models.ForeignKey(Hit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, choices=HitStatus.choices)
    to_status = models.CharField(max_length=20, choices=HitStatus.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="hit_decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    history = audit_history(indexed=[])  # (an append-only record, read per hit)

    class Meta:
        ordering = ["hit_id", "decided_at", "id"]

    def __str__(self) -> str:
        who = self.decided_by.get_username() if self.decided_by_id else "matching"
        return f"{self.get_decision_display()} by {who}"


class FalseMatch(models.Model):
    """A (source record, registrant) pair an analyst declared a false match: matching never
    raises that registrant again for that source record."""

    source = models.CharField(max_length=16, choices=HitSource.choices)
    source_id = models.CharField(max_length=100)
    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="false_matches")
    hit = models.ForeignKey(Hit, null=True, blank=True, on_delete=models.SET_NULL, related_name="false_matches")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id", "registrant"], name="falsematch_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id} is not registrant {self.registrant_id}"
