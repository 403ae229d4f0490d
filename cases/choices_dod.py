"""Choices of DoD installation monitoring and UCMJ separation notices (DTM 15-003, attachment 3)."""

from django.db import models


class MonitoredBy(models.TextChoices):
    # DTM 15-003 att. 3, 3.c(2)-3.d: the state or local LEA monitors; if it cannot or will not,
    # the installation LEA does, in coordination with the state registry.
    UNDETERMINED = "undetermined", "Not yet determined"
    STATE_LOCAL = "state_local", "State or local law enforcement"
    INSTALLATION = "installation", "Installation law enforcement"


class MonitoringStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended (no longer lives or works on the installation)"


class CheckOutcome(models.TextChoices):
    COMPLIANT = "compliant", "Compliant with restrictions"
    VIOLATION = "violation", "Restriction violated"
    NOT_LOCATED = "not_located", "Not located"
    OTHER = "other", "Other (see notes)"


class SeparationKind(models.TextChoices):
    # DTM 15-003 att. 3, 2.a (separation) and 2.b (release from confinement, DoDI 1325.07)
    SEPARATION = "separation", "Separation from the Military Service"
    RELEASE = "release", "Release from confinement"


class SeparationStatus(models.TextChoices):
    SENT = "sent", "Sent, awaiting acknowledgement"
    PARTLY_ACKNOWLEDGED = "partly_acknowledged", "Acknowledged by one recipient"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the state registry and NSOTC"
