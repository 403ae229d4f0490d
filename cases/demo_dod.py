"""Demo data of the cases app, added to ``manage.py seed_demo`` (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from registrants.models import Registrant
from rsoits.models import Installation

from .choices_dod import CheckOutcome, MonitoredBy
from .models import InstallationMonitoring, SeparationNotice
from .services import monitoring_check_log, monitoring_start, separation_file


def seed_dod(ctx) -> None:
    """A monitoring plan at Fort Belvoir with a check overdue, and a separation notice to VA."""
    lea = ctx.objects.get("belvoir_lea")
    registrant = Registrant.objects.filter(external_id="DEMO-VA-004").first()
    if lea is None or registrant is None:
        return
    today = timezone.localdate()
    if not InstallationMonitoring.objects.filter(registrant=registrant).exists():
        monitoring = monitoring_start(
            actor=lea,
            registrant=registrant,
            installation=Installation.objects.get(code="FTBELVOIR"),
            started_on=today - timedelta(days=70),
            monitored_by=MonitoredBy.INSTALLATION,
            restrictions_found=True,
            restrictions="No presence at the child development center or youth programs.",
            coordinated_on=today - timedelta(days=69),
            check_interval_days=30,
        )
        monitoring_check_log(
            actor=lea, monitoring=monitoring, checked_on=today - timedelta(days=40), outcome=CheckOutcome.COMPLIANT
        )
    if not SeparationNotice.objects.exists():
        separation_file(
            actor=lea,
            kind="separation",
            component="army",
            given_name="Demo",
            surname="Separatee",
            date_of_birth=today.replace(year=today.year - 30),
            ucmj_article="Art. 120b",
            offense="Demo offence requiring registration",
            conviction_date=today - timedelta(days=60),
            effective_date=today + timedelta(days=20),
            residence_street="200 Demo Street",
            residence_city="Richmond",
            residence_state="VA",
        )
    ctx.say("demo DoD monitoring and separation notice: ready")
