"""Choices of travel notices and cases (DESIGN.md "Core records"; white paper IV.A.2, IV.A.3.b)."""

from django.db import models


class TravelNoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    AMENDED = "amended", "Amended"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed (trip over)"

    @classmethod
    def live(cls) -> set[str]:
        """Notices NSOTC is working on: submitted and not yet cancelled or closed after the trip."""
        return {cls.SUBMITTED, cls.AMENDED}


class TravelPurpose(models.TextChoices):
    # The purposes of the SMART "Notification of International Travel of Sex Offender" form.
    TRAVEL = "travel", "Travel"
    BUSINESS = "business", "Business"
    EMPLOYMENT_ABROAD = "employment_abroad", "Employment abroad"
    SCHOOL_ABROAD = "school_abroad", "School abroad"
    RELOCATION_ABROAD = "relocation_abroad", "Residence / relocation abroad"
    MILITARY_ORDERS = "military_orders", "Military orders"
    FAMILY_EMERGENCY = "family_emergency", "Family emergency"
    OTHER = "other", "Other"

    @classmethod
    def updating_registrant(cls) -> set[str]:
        """Purposes that change where the registrant lives, works or studies (SORNA, 34 U.S.C. 20914)."""
        return {cls.RELOCATION_ABROAD, cls.EMPLOYMENT_ABROAD, cls.SCHOOL_ABROAD}


class TravelMeans(models.TextChoices):
    AIR = "air", "Air"
    SEA = "sea", "Sea"
    LAND = "land", "Land"
    OTHER = "other", "Other"


class LateReason(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    SHORT_NOTICE_BUSINESS = "short_notice_business", "Short-notice business"
    OTHER = "other", "Other"


class ReturnOutcome(models.TextChoices):
    RETURNED = "returned", "Returned"
    STAYED_ABROAD = "stayed_abroad", "Stayed abroad"


class CaseOrigin(models.TextChoices):
    TRAVEL_NOTICE = "travel_notice", "Travel notice"
    HIT = "hit", "Confirmed hit"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review (vetting)"
    FORWARDED = "forwarded", "Forwarded to USNCB"
    NO_NOTICE = "no_notice", "No foreign notice warranted"
    REFERRED = "referred", "Referred for 18 U.S.C. 2250 investigation"
    PASSPORT_DENIAL_REQUESTED = "passport_denial_requested", "Passport denial requested"
    CLOSED = "closed", "Closed"

    @classmethod
    def active(cls) -> set[str]:
        """Cases still needing NSOTC's vetting (deadline checks look at these)."""
        return {cls.OPEN, cls.IN_REVIEW}


class CaseDisposition(models.TextChoices):
    FORWARD_USNCB = "forward_usncb", "Forward to USNCB"
    NO_FOREIGN_NOTICE = "no_foreign_notice", "No foreign notice warranted"
    REFER_2250 = "refer_2250", "Refer to a USMS district (18 U.S.C. 2250)"
    PASSPORT_DENIAL = "passport_denial", "Request passport denial"
    CLOSED = "closed", "Closed"


class CasePriority(models.IntegerChoices):
    # Higher is more urgent, so queues sort by ``-priority``.
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"
