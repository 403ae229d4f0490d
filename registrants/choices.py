"""Choices of the registry record (DESIGN.md "Core records")."""

from django.db import models


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    X = "X", "Unspecified (X)"
    UNKNOWN = "U", "Unknown"


class RegistrationStatus(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    ABSCONDED = "absconded", "Absconded"
    INCARCERATED = "incarcerated", "Incarcerated"
    RELOCATED_ABROAD = "relocated_abroad", "Relocated abroad"
    DECEASED = "deceased", "Deceased"
    EXPIRED = "expired", "Registration period expired"


class Tier(models.TextChoices):
    # SORNA tiers, 34 U.S.C. 20911
    TIER_1 = "1", "Tier I"
    TIER_2 = "2", "Tier II"
    TIER_3 = "3", "Tier III"


class NameKind(models.TextChoices):
    PRIMARY = "primary", "Primary name"
    ALIAS = "alias", "Alias"
    NICKNAME = "nickname", "Nickname"


class IdentifierKind(models.TextChoices):
    FBI_UCN = "fbi_ucn", "FBI number (UCN)"
    STATE_SID = "state_sid", "State identification number (SID)"
    NSOR = "nsor", "NSOR record"
    PASSPORT = "passport", "Passport"
    VISA = "visa", "Visa"
    ALIEN_NUMBER = "alien_number", "Alien number"
    DOD_ID = "dod_id", "DoD ID"
    OTHER = "other", "Other"

    @classmethod
    def domestic_only(cls) -> set[str]:
        """Identifiers that never leave the country (white paper VI; SMART notice form: FBI number
        'for domestic use only')."""
        return {cls.FBI_UCN, cls.STATE_SID, cls.NSOR}


class AddressKind(models.TextChoices):
    RESIDENCE = "residence", "Residence"
    EMPLOYMENT = "employment", "Employment"
    SCHOOL = "school", "School"
