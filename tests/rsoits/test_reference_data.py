"""load_reference_data and seed_demo: complete, idempotent, and every demo account signs in."""

from io import StringIO

import pytest
from django.core.management import call_command

from rsoits.choices import AgencyKind, Role
from rsoits.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD, DEMO_ACCOUNTS
from rsoits.models import Agency, Installation, Membership, User

pytestmark = pytest.mark.django_db


def _run(name: str) -> str:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "agency": Agency.objects.count(),
        "agency_history": Agency.history.count(),
        "installation": Installation.objects.count(),
        "installation_history": Installation.history.count(),
        "user": User.objects.count(),
        "user_history": User.history.count(),
        "membership": Membership.objects.count(),
        "membership_history": Membership.history.count(),
    }


def test_load_reference_data_is_idempotent():
    first = _run("load_reference_data")
    assert "agencies: created" in first
    assert "installations: created 6" in first
    before = _counts()
    snapshot = {a.code: (a.name, a.kind, a.jurisdiction_type, a.jurisdiction, a.ori) for a in Agency.objects.all()}
    second = _run("load_reference_data")
    assert second.strip() == f"agencies: created 0, unchanged {before['agency']}; installations: created 0, unchanged 6"
    assert _counts() == before
    assert {
        a.code: (a.name, a.kind, a.jurisdiction_type, a.jurisdiction, a.ori) for a in Agency.objects.all()
    } == snapshot


def test_reference_data_contents():
    _run("load_reference_data")
    assert Agency.objects.filter(kind=AgencyKind.STATE_SORA).count() == 51
    assert Agency.objects.filter(kind=AgencyKind.TERRITORY_SORA).count() == 5
    assert Agency.objects.filter(kind=AgencyKind.TRIBAL_SORA).count() >= 6
    assert Agency.objects.filter(kind=AgencyKind.FOREIGN_NCB).count() >= 240
    assert Agency.objects.filter(kind=AgencyKind.MCIO).count() == 3
    va = Agency.objects.get(code="VA")
    assert (va.name, va.jurisdiction_type, va.jurisdiction, va.ori) == (
        "Virginia Sex Offender Registry",
        "state",
        "VA",
        "VASOR0000",
    )
    assert Agency.objects.get(code="NSOTC").kind == AgencyKind.NSOTC
    assert Agency.objects.get(code="USNCB").kind == AgencyKind.USNCB
    assert Agency.objects.get(code="RSOITS").kind == AgencyKind.OPERATOR
    assert Agency.objects.get(code="HR-ARMY").kind == AgencyKind.COMPONENT_HR
    fr = Agency.objects.get(code="NCB-FR")
    assert (fr.name, fr.jurisdiction_type, fr.jurisdiction) == ("INTERPOL NCB France", "country", "FR")
    assert not Agency.objects.filter(code="NCB-US").exists()
    belvoir = Installation.objects.get(code="FTBELVOIR")
    assert belvoir.lea.code == "LEA-FTBELVOIR"
    assert belvoir.lea.kind == AgencyKind.INSTALLATION_LEA
    assert Installation.objects.get(code="RAMSTEIN").country == "DE"
    # Written through the services: every agency has its group and a history row.
    assert not Agency.objects.filter(group__isnull=True).exists()
    assert Agency.history.count() == Agency.objects.count()
    assert all(ag.ori == "" or len(ag.ori) == 9 for ag in Agency.objects.all())


def test_seed_demo_is_idempotent_and_keeps_passwords(monkeypatch):
    out = _run("seed_demo")  # loads the reference data itself when NSOTC is missing
    assert "agencies: created" in out
    assert DEFAULT_DEMO_PASSWORD in out
    for account in DEMO_ACCOUNTS:
        assert account.username in out
    before = _counts()
    hashes = dict(User.objects.values_list("username", "password"))
    monkeypatch.setenv("DEMO_PASSWORD", "a-different-demo-password-7")
    out = _run("seed_demo")
    assert "demo accounts: created 0, unchanged 12" in out
    assert "agencies: created" not in out
    assert _counts() == before
    assert dict(User.objects.values_list("username", "password")) == hashes


def test_every_demo_account_signs_in_to_its_home(client, rf):
    _run("seed_demo")
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert Membership.objects.filter(user=user, agency__code=account.agency_code, role=account.role).exists()
        # django-axes wants the request the credentials came with.
        assert client.login(
            request=rf.post("/accounts/login/"), username=account.username, password=DEFAULT_DEMO_PASSWORD
        ), account.username
        response = client.get("/home/")
        assert response.status_code == 200, account.username
        assert f"{Role(account.role).label} home" in response.content.decode(), account.username
        client.logout()
