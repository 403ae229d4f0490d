"""Choices of the cases app (DESIGN.md "Core records": hits)."""

from django.db import models

from notifications.choices import EventType


class HitEventType(models.TextChoices):
    """The identity events a screening system reports; each carries the value of the event the
    router knows by the same name (``notifications.choices.EventType``)."""

    PASSPORT_APPLICATION = EventType.PASSPORT_APPLICATION.value, EventType.PASSPORT_APPLICATION.label
    VISA_APPLICATION = EventType.VISA_APPLICATION.value, EventType.VISA_APPLICATION.label
    ESTA = EventType.ESTA.value, EventType.ESTA.label
    LPR_APPLICATION = EventType.LPR_APPLICATION.value, EventType.LPR_APPLICATION.label
    PORT_ARRIVAL = EventType.PORT_ARRIVAL.value, EventType.PORT_ARRIVAL.label
    PORT_DEPARTURE = EventType.PORT_DEPARTURE.value, EventType.PORT_DEPARTURE.label
    IMESA_MATCH = EventType.IMESA_MATCH.value, EventType.IMESA_MATCH.label
    FOREIGN_INBOUND = EventType.FOREIGN_INBOUND.value, EventType.FOREIGN_INBOUND.label


class HitSource(models.TextChoices):
    """The screening systems hits come from (white paper VI; DTM 15-003 att. 3)."""

    CLASS = "class", "CLASS (State Consular Lookout and Support System)"
    IAFIS = "iafis", "IAFIS / NGI"
    ESTA = "esta", "ESTA (CBP)"
    TECS_APIS = "tecs_apis", "TECS / APIS (CBP)"
    USCIS = "uscis", "USCIS"
    IMESA = "imesa", "IMESA continuous vetting (DoD)"
    INTERPOL = "interpol", "INTERPOL notice"
    MANUAL = "manual", "Entered by an analyst"


class HitStatus(models.TextChoices):
    NEW = "new", "New"
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    CONFIRMED = "confirmed", "Confirmed match"
    FALSE_MATCH = "false_match", "False match"
    DUPLICATE = "duplicate", "Duplicate hit"
    NEEDS_INFORMATION = "needs_information", "Needs more information"
    NO_MATCH = "no_match", "No match"

    @classmethod
    def open_statuses(cls) -> set[str]:
        """Statuses of hits in the review queue."""
        return {cls.AWAITING_REVIEW, cls.NEEDS_INFORMATION}


class MatchDecision(models.TextChoices):
    """The matching engine's decision for a hit (``registrants.matching.Decision``)."""

    MATCH = "match", "Match"
    REVIEW = "review", "Review"
    NO_MATCH = "no_match", "No match"


class ReviewDecision(models.TextChoices):
    """What is decided about a hit, by an analyst or by the matching engine."""

    CONFIRMED_MATCH = "confirmed_match", "Confirmed match"
    FALSE_MATCH = "false_match", "False match"
    DUPLICATE = "duplicate", "Duplicate hit"
    NEEDS_INFORMATION = "needs_information", "Needs more information"
    AUTO_MATCH = "auto_match", "Matched automatically"
    AUTO_REVIEW = "auto_review", "Sent to review by matching"
    AUTO_NO_MATCH = "auto_no_match", "No candidate found by matching"
    REMATCHED = "rematched", "Matched again"

    @classmethod
    def analyst_decisions(cls) -> list[tuple[str, str]]:
        return [
            (d.value, d.label) for d in (cls.CONFIRMED_MATCH, cls.FALSE_MATCH, cls.DUPLICATE, cls.NEEDS_INFORMATION)
        ]


class DodAffiliation(models.TextChoices):
    """How the person matched by IMESA is affiliated with DoD (DTM 15-003, glossary)."""

    SERVICE_MEMBER = "service_member", "Service member"
    CIVILIAN = "civilian", "DoD civilian employee"
    CONTRACTOR = "contractor", "Contractor"
    DEPENDENT = "dependent", "Dependent"
    VISITOR = "visitor", "Visitor"


class DodPopulation(models.TextChoices):
    """The DoD population database the IMESA continuous vetting matched (DTM 15-003 att. 3, 1.c)."""

    DEERS = "deers", "DEERS"
    LOCAL = "local", "Local population database"
    DELAYED_ENTRY = "delayed_entry", "Delayed Entry Program / Enlisted Referral File"
