"""Seed a demonstration database: reference data and one account for every role (idempotent).

Other apps extend the demo by appending to ``seed_steps``; each step is a small function
taking the ``SeedContext`` and must itself be idempotent, e.g.::

    from rsoits.management.commands.seed_demo import seed_steps

    def seed_registrants(ctx):
        ...
    seed_steps.append(seed_registrants)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from rsoits import services
from rsoits.choices import Role
from rsoits.models import Agency, Membership, User

DEFAULT_DEMO_PASSWORD = "rsoits-demo-2026!"  # noqa: S105 -- demo only; DEMO_PASSWORD overrides


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    agency_code: str
    first_name: str
    last_name: str


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("sysadmin", Role.SYSTEM_ADMIN, "RSOITS", "Sam", "Admin"),
    DemoAccount("auditor", Role.AUDITOR, "RSOITS", "Alex", "Auditor"),
    DemoAccount("va_staff", Role.SORA_STAFF, "VA", "Valerie", "Staffer"),
    DemoAccount("va_supervisor", Role.SORA_SUPERVISOR, "VA", "Victor", "Supervisor"),
    DemoAccount("va_admin", Role.AGENCY_ADMIN, "VA", "Vivian", "Admin"),
    DemoAccount("md_staff", Role.SORA_STAFF, "MD", "Morgan", "Staffer"),
    DemoAccount("nsotc_analyst", Role.NSOTC_ANALYST, "NSOTC", "Nadia", "Analyst"),
    DemoAccount("nsotc_supervisor", Role.NSOTC_SUPERVISOR, "NSOTC", "Nathan", "Supervisor"),
    DemoAccount("usncb_officer", Role.USNCB_OFFICER, "USNCB", "Uma", "Officer"),
    DemoAccount("belvoir_lea", Role.INSTALLATION_LEA, "LEA-FTBELVOIR", "Beau", "Patrol"),
    DemoAccount("army_hr", Role.COMPONENT_HR, "HR-ARMY", "Harper", "Personnel"),
    DemoAccount("cbp_client", Role.SYSTEM_CLIENT, "CBP", "CBP", "Interface"),
]


@dataclass
class SeedContext:
    """What a seed step gets: the command's output, the demo password, and a place to share
    objects between steps (``ctx.objects["va_staff"]`` is the demo user, for example)."""

    command: BaseCommand
    password: str
    objects: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        self.command.stdout.write(text)


def ensure_reference_data(ctx: SeedContext) -> None:
    if not Agency.objects.filter(code="NSOTC").exists():
        call_command("load_reference_data", stdout=ctx.command.stdout)


def seed_accounts(ctx: SeedContext) -> None:
    created = 0
    for account in DEMO_ACCOUNTS:
        agency = Agency.objects.get(code=account.agency_code)
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = services.user_create(
                actor=None,
                username=account.username,
                password=ctx.password,
                first_name=account.first_name,
                last_name=account.last_name,
                email=f"{account.username}@example.test",
            )
            created += 1
        # An existing user keeps its password; it only gets back a missing role.
        if not Membership.objects.filter(user=user, agency=agency, role=account.role, active=True).exists():
            services.membership_grant(actor=None, user=user, agency=agency, role=account.role)
        ctx.objects[account.username] = user
    ctx.say(f"demo accounts: created {created}, unchanged {len(DEMO_ACCOUNTS) - created}")


def print_accounts(ctx: SeedContext) -> None:
    rows = [("username", "role", "agency")]
    for account in DEMO_ACCOUNTS:
        rows.append((account.username, Role(account.role).label, account.agency_code))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    ctx.say("")
    for n, row in enumerate(rows):
        ctx.say("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            ctx.say("  ".join("-" * w for w in widths))
    ctx.say("")
    ctx.say(f"password (new accounts): {ctx.password}   (set DEMO_PASSWORD to choose another)")


# Append further steps (registrants, cases, ...) here; they run in order inside one transaction,
# before the account table is printed.
seed_steps: list[Callable[[SeedContext], None]] = [ensure_reference_data, seed_accounts]


class Command(BaseCommand):
    help = "Seed demo accounts for every role (and further demo data). Safe to run repeatedly."

    def handle(self, *args, **options) -> None:
        ctx = SeedContext(command=self, password=os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD)
        try:
            with transaction.atomic():
                for step in seed_steps:
                    step(ctx)
        except ValidationError as exc:
            raise CommandError(f"Demo data refused: {'; '.join(exc.messages)}") from exc
        print_accounts(ctx)
