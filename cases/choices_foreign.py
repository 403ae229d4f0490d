"""Choices of what USNCB and State exchange about a case: foreign notices and their International
Megan's Law records (34 U.S.C. 21503/21504), inbound foreign notices, and passport actions
(white paper IV.A.3.b, VI.1; DESIGN.md "Core records")."""

from django.db import models


class ForeignNoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEWED = "reviewed", "Reviewed"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"

    @classmethod
    def went_out(cls) -> set[str]:
        """Notices that have left the country (sent, whether acknowledged or not)."""
        return {cls.SENT, cls.ACKNOWLEDGED}


class NoNoticeReason(models.TextChoices):
    """Why USNCB decided not to notify a destination country (recorded under 34 U.S.C. 21504)."""

    TRAVEL_CANCELLED = "travel_cancelled", "Travel cancelled"
    TRANSIT_ONLY = "transit_only", "Transit only, no stay in the country"
    NO_NCB = "no_ncb", "No reachable INTERPOL NCB for the country"
    INSUFFICIENT_IDENTITY = "insufficient_identity", "Identity could not be confirmed"
    TRAVEL_OVER = "travel_over", "Travel already over"
    OTHER = "other", "Other"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_PROGRESS = "in_progress", "Being worked"
    ANSWERED = "answered", "Answered"


class PassportActionKind(models.TextChoices):
    # White paper VI.1.a: law enforcement may ask State to deny a passport on a court or supervision
    # condition or a warrant, or to be told before one is issued (a CLASS lookout).
    DENIAL = "denial", "Passport denial"
    CLASS_LOOKOUT = "class_lookout", "CLASS lookout (tell us before issuance)"


class PassportLegalBasis(models.TextChoices):
    PROBATION = "probation", "Probation condition"
    PAROLE = "parole", "Parole condition"
    COURT_ORDER = "court_order", "Court order"
    WARRANT = "warrant", "Federal or state warrant"


class PassportActionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUBMITTED = "submitted", "Submitted to State CA/PPT"
    GRANTED = "granted", "Granted by State"
    DENIED = "denied", "Refused by State"
    WITHDRAWN = "withdrawn", "Withdrawn"

    @classmethod
    def open(cls) -> set[str]:
        return {cls.REQUESTED, cls.SUBMITTED}
