"""Choices shared by everything that raises or routes events (DESIGN.md "Who is told what")."""

from django.db import models


class EventType(models.TextChoices):
    """Every event the router knows. Hit events carry the same value as the hit's event type."""

    # Identity events confirmed against a registrant (white paper VI.3-VI.5)
    PASSPORT_APPLICATION = "passport_application", "Passport application"
    VISA_APPLICATION = "visa_application", "Visa application"
    ESTA = "esta", "ESTA / VWP authorisation"
    LPR_APPLICATION = "lpr_application", "LPR application or sponsorship"
    PORT_ARRIVAL = "port_arrival", "Arrival at a port of entry"
    PORT_DEPARTURE = "port_departure", "Departure from a port"
    IMESA_MATCH = "imesa_match", "IMESA match (DoD)"
    FOREIGN_INBOUND = "foreign_inbound", "Inbound foreign notice"
    # Travel notices and cases (white paper IV.A.2-IV.A.3.b; DTM 15-003 att. 3 sec. 4)
    TRAVEL_NOTICE_SUBMITTED = "travel_notice_submitted", "Travel notice received"
    TRAVEL_NOTICE_AMENDED = "travel_notice_amended", "Travel notice amended"
    TRAVEL_NOTICE_CANCELLED = "travel_notice_cancelled", "Travel notice cancelled"
    TRAVEL_REPORTED_BY_DOD = "travel_reported_by_dod", "Travel or move overseas reported by a DoD component"
    RELOCATION_ABROAD = "relocation_abroad", "Relocation abroad"
    CASE_FORWARDED = "case_forwarded", "Case forwarded to USNCB"
    CASE_REFERRED = "case_referred", "Case referred for an 18 U.S.C. 2250 investigation"
    FOREIGN_NOTICE_SENT = "foreign_notice_sent", "Foreign notice sent"
    FOREIGN_NOTICE_CORRECTED = "foreign_notice_corrected", "Foreign notice corrected"
    PASSPORT_ACTION_REQUESTED = "passport_action_requested", "Passport action requested"
    # Deadlines (DESIGN.md "Time rules")
    TRAVEL_NOTICE_LATE = "travel_notice_late", "Late travel notice"
    VETTING_DUE = "vetting_due", "Vetting not finished as departure nears"
    RETURN_OVERDUE = "return_overdue", "Return not confirmed"
    NOTIFICATION_UNACKNOWLEDGED = "notification_unacknowledged", "Notification not acknowledged"
    HIT_REVIEW_OVERDUE = "hit_review_overdue", "Hit waiting for review too long"
    # DoD (DTM 15-003 attachment 3)
    IMESA_DEP_MATCH = "imesa_dep_match", "IMESA match in the Delayed Entry Program (name-only red flag)"
    FOREIGN_CONVICTED_IN_DOD = "foreign_convicted_in_dod", "Foreign-convicted person found in DoD population"
    UCMJ_SEPARATION = "ucmj_separation", "UCMJ conviction, separation or release"
    MONITORING_CHECK_OVERDUE = "monitoring_check_overdue", "Installation monitoring check overdue"


class RecipientRole(models.TextChoices):
    """Who an event is routed to, resolved per event from the registrant and the event's context
    (white paper VI.3-VI.5; DTM 15-003 attachment 3, 1.c and 2)."""

    WARRANT_AGENCY = "warrant_agency", "Warrant-issuing agency"
    REGISTERING_SORA = "registering_sora", "Registering SORA"
    RESIDENCE_REGISTRY = "residence_registry", "State registry of residence"
    NSOTC = "nsotc", "NSOTC"
    NSOTC_SUPERVISORS = "nsotc_supervisors", "NSOTC supervisors"
    USNCB = "usncb", "USNCB (INTERPOL Washington)"
    DESTINATION_NCB = "destination_ncb", "Destination country's NCB"
    INSTALLATION_LEA = "installation_lea", "Installation law enforcement"
    MCIO = "mcio", "MCIO of the person's component"
    COMPONENT_HR = "component_hr", "Component HR (name only)"
    NGB_PROVOST_MARSHAL = "ngb_pm", "NGB Provost Marshal (Guard members)"
    MEPCOM = "mepcom", "MEPCOM (name-only red flag)"
    PASSPORT_SERVICES = "passport_services", "State CA Passport Services"
    ESCALATION_SUPERVISORS = "escalation_supervisors", "Supervisors of the agency that did not acknowledge"


class Channel(models.TextChoices):
    INBOX = "inbox", "In-app inbox"
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Signed webhook"


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"

    @classmethod
    def rank(cls, value: str) -> int:
        return {cls.URGENT: 0, cls.HIGH: 1, cls.ROUTINE: 2}.get(value, 3)


class ContentLevel(models.TextChoices):
    """How much a message carries (minimum-necessary rule, DTM 15-003 attachment 3, 2.g)."""

    LINK = "link", "A link into RSOITS only"
    NAME_ONLY = "name_only", "The person's name only (management information)"
    FULL = "full", "Event details (secure channel)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
