"""Choices shared across RSOITS: agency kinds, roles, DoD components, access-log vocabulary."""

from django.db import models


class AgencyKind(models.TextChoices):
    """Kinds of agency that take part (DESIGN.md "Core records"; white paper III.B, VI)."""

    STATE_SORA = "state_sora", "State registration agency (SORA)"
    TERRITORY_SORA = "territory_sora", "Territory registration agency (SORA)"
    TRIBAL_SORA = "tribal_sora", "Tribal registration agency (SORA)"
    LOCAL_SORA = "local_sora", "Local registration agency"
    NSOTC = "nsotc", "USMS National Sex Offender Targeting Center"
    USMS_DISTRICT = "usms_district", "USMS district office"
    USNCB = "usncb", "INTERPOL Washington (USNCB)"
    CBP = "cbp", "Customs and Border Protection"
    ICE_HSI = "ice_hsi", "ICE Homeland Security Investigations"
    STATE_CA_PPT = "state_ca_ppt", "State Dept. Consular Affairs, Passport Services"
    STATE_CA_VO = "state_ca_vo", "State Dept. Consular Affairs, Visa Office"
    USCIS = "uscis", "U.S. Citizenship and Immigration Services"
    MCIO = "mcio", "Military criminal investigative organization"
    NGB_PM = "ngb_pm", "National Guard Bureau Provost Marshal"
    INSTALLATION_LEA = "installation_lea", "DoD installation law enforcement"
    COMPONENT_HR = "component_hr", "DoD component human resources"
    MEPCOM = "mepcom", "Military Entrance Processing Command"
    DOD_IDENTITY = "dod_identity", "DoD identity system (IMESA)"
    FOREIGN_NCB = "foreign_ncb", "Foreign authority / INTERPOL NCB"
    FOREIGN_REGISTRY = "foreign_registry", "Foreign sex-offender registry"
    OPERATOR = "operator", "RSOITS system operator"

    @classmethod
    def sora_kinds(cls) -> set[str]:
        return {cls.STATE_SORA, cls.TERRITORY_SORA, cls.TRIBAL_SORA, cls.LOCAL_SORA}


class JurisdictionType(models.TextChoices):
    STATE = "state", "US state or DC"
    TERRITORY = "territory", "US territory"
    TRIBE = "tribe", "Federally recognised tribe"
    LOCAL = "local", "Local"
    FEDERAL = "federal", "Federal (national scope)"
    COUNTRY = "country", "Foreign country"


class Role(models.TextChoices):
    """What a member of an agency may do (DESIGN.md "Who uses it")."""

    SORA_STAFF = "sora_staff", "SORA staff"
    SORA_SUPERVISOR = "sora_supervisor", "SORA supervisor"
    NSOTC_ANALYST = "nsotc_analyst", "NSOTC analyst"
    NSOTC_SUPERVISOR = "nsotc_supervisor", "NSOTC supervisor"
    USNCB_OFFICER = "usncb_officer", "USNCB officer"
    INSTALLATION_LEA = "installation_lea", "Installation law enforcement"
    COMPONENT_HR = "component_hr", "Component HR (management information only)"
    AUDITOR = "auditor", "Auditor"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    SYSTEM_ADMIN = "system_admin", "System administrator"
    SYSTEM_CLIENT = "system_client", "System client (API)"

    @classmethod
    def sora_roles(cls) -> set[str]:
        return {cls.SORA_STAFF, cls.SORA_SUPERVISOR}

    @classmethod
    def nsotc_roles(cls) -> set[str]:
        return {cls.NSOTC_ANALYST, cls.NSOTC_SUPERVISOR}


class DodComponent(models.TextChoices):
    ARMY = "army", "Army"
    NAVY = "navy", "Navy"
    AIR_FORCE = "air_force", "Air Force"
    MARINE_CORPS = "marine_corps", "Marine Corps"
    SPACE_FORCE = "space_force", "Space Force"
    COAST_GUARD = "coast_guard", "Coast Guard"
    NATIONAL_GUARD = "national_guard", "National Guard"
    DOD_AGENCY = "dod_agency", "DoD agency or field activity"


class EndpointKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Signed webhook"


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed a record"
    LIST = "list", "Listed records"
    SEARCH = "search", "Searched"
    EXPORT = "export", "Exported"
    DENIED = "denied", "Refused"
    NOTICE_ACK = "notice_ack", "Acknowledged the system-use notice"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    LOCKED = "locked", "Account locked"
    UNLOCKED = "unlocked", "Account released"
    MFA_RESET = "mfa_reset", "Multi-factor sign-in reset"


class AccessOutcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
