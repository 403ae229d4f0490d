"""Demo foreign notices, an inbound notice and a passport action for ``manage.py seed_demo``
(runs after the travel notices and cases). Idempotent: what exists is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from registrants.models import Registrant
from rsoits.models import User

from .choices import CaseStatus
from .choices_foreign import PassportActionKind, PassportActionStatus, PassportLegalBasis
from .models import Case, ForeignNotice, InboundForeignNotice, PassportAction
from .services import foreign, passport


def seed_foreign_and_passport(ctx) -> None:
    today = timezone.localdate()
    usncb = User.objects.filter(username="usncb_officer").first()
    va = User.objects.filter(username="va_staff").first()
    made = []
    # Every forwarded demo case gets its notices: sent and acknowledged.
    for case in Case.objects.filter(status=CaseStatus.FORWARDED, registrant__external_id__startswith="DEMO-"):
        if usncb is None or ForeignNotice.objects.filter(case=case).exists():
            continue
        for notice in foreign.foreign_notices_prepare_all(actor=usncb, case=case):
            notice = foreign.foreign_notice_review(actor=usncb, notice=notice)
            notice = foreign.foreign_notice_send(actor=usncb, notice=notice)
            foreign.foreign_notice_acknowledge(
                actor=usncb, notice=notice, acknowledged_on=today, text="Received; border services informed."
            )
            made.append("foreign notice")
    if usncb and not InboundForeignNotice.objects.filter(country="GB", foreign_reference="DEMO-GB-0001").exists():
        foreign.inbound_notice_log(
            actor=usncb,
            country="GB",
            foreign_reference="DEMO-GB-0001",
            received_on=today,
            given_name="Arthur",
            surname="Demoshire",
            aliases=["Art Demoshire"],
            date_of_birth=today.replace(year=today.year - 52, day=1),
            sex="M",
            nationality="GB",
            passport_number="DEMO12345",
            passport_country="GB",
            arrival_date=today + timedelta(days=9),
            departure_date=today + timedelta(days=23),
            port_of_entry="Washington Dulles (IAD)",
            flight="BA 293",
            conviction_summary="Convicted 2011, Crown Court; on the UK sex offenders register.",
        )
        made.append("inbound notice")
    registrant = Registrant.objects.filter(external_id="DEMO-VA-002").first()
    if va and registrant and not PassportAction.objects.filter(registrant=registrant).exists():
        action = passport.passport_action_request(
            actor=va,
            registrant=registrant,
            kind=PassportActionKind.DENIAL,
            legal_basis=PassportLegalBasis.PROBATION,
            basis_reference="Circuit Court of Demo County, case DEMO-CR-2024-17",
            justification="Probation conditions prohibit international travel.",
        )
        passport.passport_action_transition(
            actor=va, action=action, to_status=PassportActionStatus.SUBMITTED, state_reference="DEMO-PPT-1"
        )
        made.append("passport action")
    ctx.say(f"demo foreign notices and passport actions: created {len(made)}")
