"""The registry record: a registered sex offender, with names, dates of birth, identifiers,
addresses, warrants and DoD affiliation (DESIGN.md "Core records")."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from rsoits.audit import audit_history
from rsoits.choices import DodComponent
from rsoits.models import Agency, Installation
from rsoits.principal import Principal
from rsoits.querysets import ALL, NOTHING, RestrictedManager, RestrictedQuerySet

from .choices import AddressKind, IdentifierKind, NameKind, RegistrationStatus, Sex, Tier
from .keys import name_keys, normalise_identifier


def validate_past_date(value) -> None:
    """A date of birth: not after today."""
    if value and value > timezone.localdate():
        raise ValidationError("The date of birth cannot be in the future.")


class RegistrantQuerySet(RestrictedQuerySet):
    """Who sees a registrant: the registering SORA; NSOTC (national scope); an installation LEA
    for registrants who live or work on its installation (DTM 15-003 att. 3, 3.c); anyone the
    record was shared with through django-guardian (USNCB, once a case is forwarded to it)."""

    guardian_shared = True

    def scope(self, principal: Principal, action: str) -> Q:
        if principal.is_nsotc:
            return ALL if action == "view" else NOTHING
        condition = NOTHING
        if principal.sora_agency_ids:
            condition = Q(registering_agency_id__in=principal.sora_agency_ids)
        if action == "view" and principal.installation_ids:
            # DTM 15-003 att. 3, 3.c: the installation LEA deals with RSOs who live or work on it.
            lea = Q(installation_id__in=principal.installation_ids) & (
                Q(lives_on_installation=True) | Q(works_on_installation=True)
            )
            condition = lea if condition == NOTHING else condition | lea
        return condition

    def fugitives(self) -> RegistrantQuerySet:
        return self.filter(is_fugitive=True)


class Registrant(models.Model):
    """A US registered sex offender, or a foreign-convicted one known to USNCB.

    ``is_fugitive`` is kept in step with the warrants by the services: an active warrant makes
    the registrant a fugitive everywhere in the system (white paper VI.3)."""

    # Looked up through the (registering_agency, external_id) unique index: no index of its own.
    registering_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="registrants", db_index=False)
    external_id = models.CharField(max_length=64, help_text="The registering agency's own record number.")
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    suffix = models.CharField(max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True, validators=[validate_past_date])
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    place_of_birth = models.CharField(max_length=200, blank=True)
    citizenships = models.JSONField(default=list, blank=True, help_text="ISO 3166 alpha-2 codes.")
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.COMPLIANT)
    tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    registration_ends = models.DateField(null=True, blank=True)
    travel_prohibited = models.BooleanField(
        "international travel prohibited", default=False, help_text="A court or supervision condition."
    )
    conditions = models.TextField("court or supervision conditions", blank=True)
    is_fugitive = models.BooleanField(default=False, editable=False, db_index=True)
    # DoD affiliation (DTM 15-003, attachment 3)
    dod_component = models.CharField(max_length=32, choices=DodComponent.choices, blank=True)
    installation = models.ForeignKey(
        Installation, null=True, blank=True, on_delete=models.PROTECT, related_name="registrants"
    )
    lives_on_installation = models.BooleanField(default=False)
    works_on_installation = models.BooleanField(default=False)
    subject_to_ucmj = models.BooleanField("subject to the UCMJ", default=False)
    national_guard = models.BooleanField("National Guard member", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager.from_queryset(RegistrantQuerySet)()
    # The audit trail is read by the record's id (the detail page's timeline): the history
    # table needs no copy of the record's other indexes, which bulk imports would pay for.
    history = audit_history(indexed=())

    class Meta:
        ordering = ["surname", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["registering_agency", "external_id"], name="registrant_external_id_unique")
        ]
        indexes = [
            models.Index(fields=["surname", "given_name", "id"]),
            # Filtered by equality only: a plain index, without the LIKE one db_index adds.
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.surname}, {self.given_name}".strip(", ")

    def get_absolute_url(self) -> str:
        return reverse("registrant_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.surname, self.suffix) if p)

    @property
    def is_dod_affiliated(self) -> bool:
        return bool(self.dod_component or self.installation_id)

    def clean(self) -> None:
        if (self.lives_on_installation or self.works_on_installation) and not self.installation_id:
            raise ValidationError({"installation": "Name the installation the registrant lives or works on."})


class RegistrantName(models.Model):
    """One name of a registrant — the primary name (mirrored from the record) or an alias —
    with its matching keys."""

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=10, choices=NameKind.choices, default=NameKind.ALIAS)
    given_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    # Matching keys. Identity matching finds candidates through ``MatchKey`` and reads these by
    # registrant, so only the search's surname prefix (``RegistrantFilterSet.search``) is indexed.
    norm_given = models.CharField(max_length=100, blank=True, editable=False)
    norm_middle = models.CharField(max_length=100, blank=True, editable=False)
    norm_surname = models.CharField(max_length=100, editable=False)
    given_phonetic = models.CharField(max_length=32, blank=True, editable=False)
    surname_phonetic = models.CharField(max_length=32, editable=False)
    surname_nysiis = models.CharField(max_length=32, blank=True, editable=False)

    history = audit_history(indexed=("registrant",))

    class Meta:
        ordering = ["registrant_id", "kind", "surname"]
        # One index for both equality and prefix (LIKE 'X%') lookups, whatever the collation.
        indexes = [
            models.Index(
                fields=["norm_surname"], name="registrantname_surname_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.surname) if p)

    def save(self, *args, **kwargs) -> None:
        self.derive_keys()  # keys are always in step with the name they come from
        super().save(*args, **kwargs)

    def derive_keys(self) -> None:
        (
            self.norm_given,
            self.norm_middle,
            self.norm_surname,
            self.given_phonetic,
            self.surname_phonetic,
            self.surname_nysiis,
        ) = name_keys(self.given_name or "", self.middle_name or "", self.surname or "")


class RegistrantBirthDate(models.Model):
    """A date of birth the registrant is known by (the primary one, or an alias DOB), also
    split into year, month and day. Matching finds a record with a swapped day and month
    through its ``MatchKey`` rows, which are derived from these dates."""

    # The unique (registrant, date) index serves lookups by registrant: no index of its own.
    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="birth_dates", db_index=False)
    date = models.DateField(validators=[validate_past_date])
    is_primary = models.BooleanField(default=False)
    # Not indexed: no query looks a record up by these (matching uses ``MatchKey``).
    year = models.PositiveSmallIntegerField(editable=False)
    month = models.PositiveSmallIntegerField(editable=False)
    day = models.PositiveSmallIntegerField(editable=False)

    history = audit_history(indexed=("registrant",))

    class Meta:
        ordering = ["-is_primary", "date"]
        constraints = [models.UniqueConstraint(fields=["registrant", "date"], name="birthdate_unique_per_registrant")]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return self.date.isoformat()

    def save(self, *args, **kwargs) -> None:
        self.year, self.month, self.day = self.date.year, self.date.month, self.date.day
        super().save(*args, **kwargs)


class MatchKey(models.Model):
    """A blocking key of a registrant (``keys.registrant_match_keys``): derived from its names and
    dates of birth, rebuilt by the services whenever they change, and looked up by identity
    matching through the index on ``key``. Derived data, so it keeps no history of its own."""

    # The primary key is the pair itself: no surrogate id and its index to write for each of
    # the ~5 keys per registrant. No database-level foreign key: the keys are written only with
    # the record they derive from, deleted with it (``on_delete``), and a bulk import would
    # otherwise have the server check every key row against the registrants' index.
    pk = models.CompositePrimaryKey("registrant_id", "key")
    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="match_keys", db_index=False, db_constraint=False
    )
    key = models.CharField(max_length=80)

    class Meta:
        indexes = [models.Index(fields=["key", "registrant"], name="matchkey_lookup")]

    def __str__(self) -> str:
        return self.key


class Identifier(models.Model):
    """A document or record number: FBI UCN, state SID, NSOR record, passport, visa, alien
    number, DoD ID. Unique per kind and (normalised) value."""

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    value = models.CharField(max_length=64)
    norm_value = models.CharField(max_length=64, editable=False)
    issuing_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2, for documents.")
    expires = models.DateField(null=True, blank=True)

    history = audit_history(indexed=("registrant",))

    class Meta:
        ordering = ["kind", "value"]
        # Number first: the unique index also serves the lookups by number alone (search,
        # matching, import), so the number needs no index of its own.
        constraints = [models.UniqueConstraint(fields=["norm_value", "kind"], name="identifier_unique_kind_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    def save(self, *args, **kwargs) -> None:
        self.norm_value = normalise_identifier(self.value)
        super().save(*args, **kwargs)

    @property
    def domestic_only(self) -> bool:
        return self.kind in IdentifierKind.domestic_only()

    def clean(self) -> None:
        self.norm_value = normalise_identifier(self.value)
        if not self.norm_value:
            raise ValidationError({"value": "An identifier needs at least one letter or digit."})
        if self.kind in (IdentifierKind.PASSPORT, IdentifierKind.VISA) and not self.issuing_country:
            raise ValidationError({"issuing_country": "Give the issuing country of the passport or visa."})


class Address(models.Model):
    """A residence, employment or school address, current or past."""

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=12, choices=AddressKind.choices, default=AddressKind.RESIDENCE)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=64, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 alpha-2.")
    current = models.BooleanField(default=True)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    history = audit_history(indexed=("registrant",))

    class Meta:
        ordering = ["-current", "kind", "-since"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(p for p in (self.street, self.city, self.state, self.postal_code, self.country) if p)

    def clean(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise ValidationError({"until": "The end date is before the start date."})


class Warrant(models.Model):
    """An NCIC Wanted entry. An active warrant makes the registrant a fugitive (DESIGN.md)."""

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="warrants")
    issuing_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="warrants_issued"
    )
    issuing_agency_name = models.CharField(max_length=200, blank=True, help_text="When the agency is not in RSOITS.")
    number = models.CharField("warrant number", max_length=64)
    issued_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    history = audit_history(indexed=("registrant",))

    class Meta:
        ordering = ["-active", "-issued_on"]

    def __str__(self) -> str:
        return f"Warrant {self.number}"

    def clean(self) -> None:
        if not self.issuing_agency_id and not self.issuing_agency_name:
            raise ValidationError({"issuing_agency": "Name the agency that issued the warrant."})
