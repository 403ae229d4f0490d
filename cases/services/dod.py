"""DoD writes: installation monitoring plans and checks, UCMJ separation notices and their
acknowledgements (DTM 15-003, attachment 3). Each is one transaction with history naming the
acting user, and tells the agencies concerned through the notification router."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.models import Registrant
from rsoits.audit import audited_service
from rsoits.choices import AgencyKind, JurisdictionType, Role
from rsoits.models import Agency, Installation
from rsoits.principal import principal_for

from ..choices_dod import MonitoringStatus, SeparationStatus
from ..models.dod import InstallationMonitoring, MonitoringCheck, SeparationNotice

__all__ = [
    "dod_filing_agency",
    "dod_filing_agency_id",
    "monitoring_check_log",
    "monitoring_end",
    "monitoring_start",
    "monitoring_update",
    "separation_acknowledge",
    "separation_file",
]

MONITORING_FIELDS = {
    "coordinated_with",
    "coordinated_on",
    "restrictions_found",
    "restrictions",
    "monitored_by",
    "check_interval_days",
    "notes",
}


def _reschedule(monitoring: InstallationMonitoring) -> None:
    last = monitoring.checks.order_by("-checked_on").values_list("checked_on", flat=True).first()
    monitoring.next_check_due = monitoring.schedule_from(last)


@transaction.atomic
@audited_service
def monitoring_start(*, actor: Any, registrant: Registrant, installation: Installation, **fields: Any):
    """Open the monitoring of an RSO who lives or works on the actor's installation, once the
    installation LEA has been told of them (DTM 15-003 att. 3, 3.c)."""
    if actor is not None and installation.pk not in principal_for(actor).installation_ids:
        raise PermissionDenied("Only the installation's law enforcement agency monitors RSOs on it.")
    if registrant.installation_id != installation.pk or not (
        registrant.lives_on_installation or registrant.works_on_installation
    ):
        raise ValidationError({"registrant": "This registrant does not live or work on the installation."})
    if InstallationMonitoring.objects.filter(
        registrant=registrant, installation=installation, status=MonitoringStatus.ACTIVE
    ).exists():
        raise ValidationError({"registrant": "This registrant is already monitored on the installation."})
    unknown = set(fields) - MONITORING_FIELDS - {"started_on"}
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    fields.setdefault("coordinated_with", registrant.registering_agency)
    monitoring = InstallationMonitoring(registrant=registrant, installation=installation, created_by=actor, **fields)
    monitoring.next_check_due = monitoring.schedule_from(None)
    monitoring.full_clean()
    monitoring.save()
    return monitoring


def _check_can_keep(actor: Any, monitoring: InstallationMonitoring) -> None:
    if actor is None:
        return
    if not InstallationMonitoring.objects.visible_to(actor, "change").filter(pk=monitoring.pk).exists():
        raise PermissionDenied("Only the installation's law enforcement agency keeps this monitoring.")


@transaction.atomic
@audited_service
def monitoring_update(*, actor: Any, monitoring: InstallationMonitoring, **fields: Any) -> InstallationMonitoring:
    """Record the coordination with the state registry and the plan (who monitors, the
    restrictions, the check interval); the next check moves with the plan."""
    _check_can_keep(actor, monitoring)
    if monitoring.status != MonitoringStatus.ACTIVE:
        raise ValidationError({"status": "This monitoring has ended; it cannot be changed."})
    unknown = set(fields) - MONITORING_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    for name, value in fields.items():
        setattr(monitoring, name, value)
    _reschedule(monitoring)
    monitoring.full_clean()
    monitoring.save()
    return monitoring


@transaction.atomic
@audited_service
def monitoring_check_log(
    *, actor: Any, monitoring: InstallationMonitoring, checked_on: date, outcome: str, notes: str = ""
) -> MonitoringCheck:
    """Log one check; the next one falls due an interval after the latest check."""
    _check_can_keep(actor, monitoring)
    if not monitoring.needs_checks:
        raise ValidationError({"monitoring": "Checks are logged only while the installation LEA monitors."})
    if checked_on and checked_on < monitoring.started_on:
        raise ValidationError({"checked_on": "A check cannot come before the monitoring started."})
    check = MonitoringCheck(
        monitoring=monitoring, checked_on=checked_on, checked_by=actor, outcome=outcome, notes=notes
    )
    check.full_clean()
    check.save()
    _reschedule(monitoring)
    monitoring.save(update_fields=["next_check_due"])
    return check


@transaction.atomic
@audited_service
def monitoring_end(*, actor: Any, monitoring: InstallationMonitoring, ended_on: date, reason: str) -> None:
    _check_can_keep(actor, monitoring)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the monitoring ends."})
    if monitoring.status != MonitoringStatus.ACTIVE:
        raise ValidationError({"status": "This monitoring has already ended."})
    monitoring.status = MonitoringStatus.ENDED
    monitoring.ended_on = ended_on
    monitoring.notes = (monitoring.notes + "\n" if monitoring.notes else "") + f"Ended: {reason.strip()}"
    monitoring.next_check_due = None
    monitoring.full_clean()
    monitoring.save()


# --- UCMJ separation and release --------------------------------------------------------------


def dod_filing_agency_id(actor: Any) -> int | None:
    """The Service's law enforcement agency (installation LEA or MCIO) the actor acts for, if any;
    read from the cached principal, without a query."""
    principal = principal_for(actor)
    for agency_id in sorted(principal.agencies_with_role(Role.INSTALLATION_LEA)):
        if principal.agency_kinds.get(agency_id) in (AgencyKind.INSTALLATION_LEA, AgencyKind.MCIO):
            return agency_id
    return None


def dod_filing_agency(actor: Any) -> Agency | None:
    agency_id = dod_filing_agency_id(actor)
    return None if agency_id is None else Agency.objects.get(pk=agency_id)


def _filing_agency(actor: Any) -> Agency:
    agency = dod_filing_agency(actor)
    if agency is None:
        raise PermissionDenied("Separation notices are filed by a Service's installation LEA or MCIO.")
    return agency


def state_registry_for(state: str) -> Agency | None:
    return (
        Agency.objects.filter(
            kind__in=AgencyKind.sora_kinds(),
            jurisdiction_type__in=[JurisdictionType.STATE, JurisdictionType.TERRITORY],
            jurisdiction=state.upper(),
            active=True,
        )
        .order_by("id")
        .first()
    )


@transaction.atomic
@audited_service
def separation_file(*, actor: Any, registrant: Registrant | None = None, **fields: Any) -> SeparationNotice:
    """File the notice and tell the state registry of the intended residence and NSOTC at once
    (DTM 15-003 att. 3, 2.a: 'the Military Services will concurrently notify the USMS NSOTC')."""
    agency = _filing_agency(actor)
    state = (fields.get("residence_state") or "").upper()
    fields["residence_state"] = state
    registry = state_registry_for(state) if state else None
    if registry is None:
        raise ValidationError({"residence_state": f"No state registry is known for '{state}'."})
    if registrant is not None and not Registrant.objects.visible_to(actor).filter(pk=registrant.pk).exists():
        raise ValidationError({"registrant": "Unknown registrant."})
    notice = SeparationNotice(
        filed_by_agency=agency, filed_by=actor, registrant=registrant, state_registry=registry, **fields
    )
    notice.full_clean()
    notice.save()
    publish_event(
        event_type=EventType.UCMJ_SEPARATION,
        registrant=registrant,
        actor=actor,
        source=notice,
        context={"state": state, "state_registry_id": registry.pk},
    )
    return notice


@transaction.atomic
@audited_service
def separation_acknowledge(*, actor: Any, notice: SeparationNotice) -> SeparationNotice:
    """The state registry and NSOTC each acknowledge receipt; the notice is closed when both have."""
    principal = principal_for(actor)
    notice = SeparationNotice.objects.select_for_update().get(pk=notice.pk)
    now = timezone.now()
    if principal.is_nsotc:
        if notice.nsotc_acknowledged_at:
            raise ValidationError({"status": "NSOTC has already acknowledged this notice."})
        notice.nsotc_acknowledged_at, notice.nsotc_acknowledged_by = now, actor
    elif notice.state_registry_id in principal.sora_agency_ids:
        if notice.state_acknowledged_at:
            raise ValidationError({"status": "The state registry has already acknowledged this notice."})
        notice.state_acknowledged_at, notice.state_acknowledged_by = now, actor
    else:
        raise PermissionDenied("Only the state registry of the residence and NSOTC acknowledge this notice.")
    both = notice.nsotc_acknowledged_at and notice.state_acknowledged_at
    notice.status = SeparationStatus.ACKNOWLEDGED if both else SeparationStatus.PARTLY_ACKNOWLEDGED
    notice.save()
    return notice
