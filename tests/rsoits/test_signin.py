"""Sign-in per the FBI CJIS Security Policy: system-use notice (5.5.4), lockout (5.5.3),
session limits (5.5.5), passwords (5.6.2.1) and multi-factor sign-in (5.6.2.2)."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from axes.signals import user_locked_out
from django.core.exceptions import ValidationError
from django.core.management.utils import get_random_secret_key as random_secret_key
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from rsoits import services
from rsoits.choices import AccessAction
from rsoits.models import AccessLog, User
from tests.conftest import requires_postgres
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "not-the-password-at-all"


def sign_in(client, username, password=TEST_PASSWORD, ack=True, **extra):
    data = {"login": username, "password": password}
    if ack:
        data["acknowledge_notice"] = "on"
    return client.post(LOGIN, data, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# --- 1. system-use notice ------------------------------------------------------------------


def test_sign_in_requires_acknowledging_the_notice(world):
    client = Client()
    response = sign_in(client, "va_staff", ack=False)
    assert response.status_code == 200
    assert "acknowledge_notice" in response.context["form"].errors
    assert "system-use notice" in response.context["form"].errors["acknowledge_notice"][0]
    assert not signed_in(client)
    assert not AccessLog.objects.filter(action=AccessAction.NOTICE_ACK).exists()
    # The notice itself is on the page.
    assert "U.S. Government information system" in client.get(LOGIN).content.decode()


def test_acknowledgement_is_logged(world):
    client = Client()
    response = sign_in(client, "va_staff")
    assert response.status_code == 302
    assert signed_in(client)
    log = AccessLog.objects.get(action=AccessAction.NOTICE_ACK)
    assert log.user == world.va_staff
    assert log.agency == world.va
    world.va_staff.refresh_from_db()
    assert world.va_staff.system_notice_acknowledged_at is not None


def test_wrong_password_logs_no_acknowledgement(world):
    sign_in(Client(), "va_staff", WRONG)
    assert not AccessLog.objects.filter(action=AccessAction.NOTICE_ACK).exists()


def test_full_totp_sign_in_logs_acknowledgement_at_the_password_step(world, settings):
    settings.REQUIRE_MFA = True
    secret = enrol(world.va_staff)
    client = Client()
    response = sign_in(client, "va_staff")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)  # second factor still to come
    assert AccessLog.objects.filter(action=AccessAction.NOTICE_ACK, user=world.va_staff).count() == 1

    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert "usa-form" in page.content.decode()  # the USWDS override, inside the site shell
    wrong_code = "000000" if totp_now(secret) != "000000" else "111111"
    assert client.post(reverse("mfa_authenticate"), {"code": wrong_code}).status_code == 200
    assert not signed_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert signed_in(client)
    assert client.get("/home/").status_code == 200
    assert AccessLog.objects.filter(action=AccessAction.NOTICE_ACK, user=world.va_staff).count() == 1


# --- 2. lockout ------------------------------------------------------------------------------


def fail(client, username="va_staff", times=1):
    for _ in range(times):
        sign_in(client, username, WRONG)


def test_five_failures_lock_until_an_admin_releases(world):
    client = Client()
    fail(client, times=4)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is None
    fail(client)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is not None
    assert AccessLog.objects.filter(action=AccessAction.LOCKED, user=world.va_staff).exists()

    response = sign_in(client, "va_staff")  # the right password is refused
    assert response.status_code == 403
    assert "Account locked" in response.content.decode()
    assert not signed_in(client)

    # Still locked long after axes' 15-minute window: only an admin releases it.
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        response = sign_in(Client(), "va_staff")
        assert response.status_code in (200, 403)
        assert "_auth_user_id" not in response.client.session

    services.user_unlock(actor=world.va_admin, user=world.va_staff)
    client = Client()
    assert sign_in(client, "va_staff").status_code == 302
    assert signed_in(client)


def test_other_agency_admin_cannot_release(world):
    from django.core.exceptions import PermissionDenied

    services.user_lock(username="va_staff", reason="test")
    with pytest.raises(PermissionDenied):
        services.user_unlock(actor=world.md_admin, user=world.va_staff)


def test_lock_is_keyed_on_username_whatever_the_case_or_address(world):
    for i, name in enumerate(["va_staff", "VA_STAFF", "Va_Staff", "va_STAFF", "vA_sTaFf"]):
        sign_in(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), name, WRONG)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is not None
    world.va_admin.refresh_from_db()
    assert world.va_admin.locked_at is None


def test_failures_older_than_15_minutes_do_not_count(world):
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        fail(client, times=4)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        fail(client)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is None


def test_failures_spread_over_more_than_15_minutes_do_not_lock(world):
    """Five failures ten minutes apart: never five inside any 15-minute window."""
    start = timezone.now()
    client = Client()
    for i in range(5):
        with time_machine.travel(start + timedelta(minutes=10 * i), tick=False):
            fail(client)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is None
    with time_machine.travel(start + timedelta(minutes=42), tick=False):
        fail(client, times=2)  # now 5 within the last 15 minutes: 30, 40, 42, 42 ... and 40
    with time_machine.travel(start + timedelta(minutes=43), tick=False):
        fail(client)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is not None


def test_a_success_resets_the_count(world):
    client = Client()
    fail(client, times=4)
    assert sign_in(client, "va_staff").status_code == 302
    client = Client()
    fail(client, times=4)
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is None


def test_axes_lockout_signal_locks_the_account(world):
    request = RequestFactory().post(LOGIN)
    user_locked_out.send("axes", request=request, username="va_staff", ip_address="127.0.0.1")
    world.va_staff.refresh_from_db()
    assert world.va_staff.locked_at is not None
    assert world.va_staff.locked_reason


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_lock_holds_under_concurrent_attempts(world):
    barrier = threading.Barrier(8)
    statuses = []

    def attempt():
        client = Client()
        barrier.wait()
        try:
            statuses.append(sign_in(client, "va_staff", WRONG).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 8
    user = User.objects.get(username="va_staff")
    assert user.locked_at is not None
    assert AccessLog.objects.filter(action=AccessAction.LOCKED, user=user).count() == 1
    client = Client()
    sign_in(client, "va_staff")
    assert not signed_in(client)


# --- 3. session limits -------------------------------------------------------------------------


def test_idle_session_ends_after_30_minutes(world):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(world.va_staff)
        assert client.get("/home/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/home/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/home/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert "session=ended" in response["Location"]
        assert not signed_in(client)
        assert "Your session has ended" in client.get(response["Location"]).content.decode()


def test_any_session_ends_after_12_hours(world):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(world.va_staff)
        assert client.get("/home/").status_code == 200
    # Active every 20 minutes, so never idle.
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/home/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/home/").status_code == 302
        assert not signed_in(client)


# --- 4. passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Sh0rt!pass", "password1234", "123456789012345", "va_newuser_2024"])
def test_weak_passwords_are_refused(world, password):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=world.sysadmin, username="va_newuser", password=password)
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="va_newuser").exists()


def test_a_strong_password_is_accepted(world):
    user = services.user_create(actor=world.sysadmin, username="va_newuser", password="violet-quarry-48-lantern")
    assert user.check_password("violet-quarry-48-lantern")


# --- 5. MFA enforcement ----------------------------------------------------------------------


def test_require_mfa_sends_users_to_enrolment_and_api_refuses(world, settings):
    settings.REQUIRE_MFA = True
    client = Client()
    client.force_login(world.va_staff)
    response = client.get("/home/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get("/api/v1/").status_code == 403
    # Recovery codes alone are not enough.
    RecoveryCodes.activate(world.va_staff)
    assert client.get("/home/").status_code == 302


def test_enrolment_recovery_codes_and_admin_reset(world, settings):
    settings.REQUIRE_MFA = True
    client = Client()
    assert sign_in(client, "va_staff").status_code == 302
    assert client.get("/home/")["Location"] == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Set up multi-factor sign-in" in page.content.decode()
    assert "<!DOCTYPE html>" in page.content.decode() and "usa-banner" in page.content.decode()
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(response["Location"])
    assert codes_page.status_code == 200
    codes = codes_page.context["unused_codes"]
    assert len(codes) == 10 and codes[0] in codes_page.content.decode()
    assert client.get("/home/").status_code == 200
    assert client.get("/api/v1/").status_code == 200

    # A recovery code signs in in place of the authenticator code, once.
    other = Client()
    assert sign_in(other, "va_staff")["Location"] == reverse("mfa_authenticate")
    assert other.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert signed_in(other)
    third = Client()
    sign_in(third, "va_staff")
    assert third.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 200
    assert not signed_in(third)

    # Admin reset: authenticators gone, open sessions ended, enrolment required again.
    services.user_reset_mfa(actor=world.va_admin, user=world.va_staff)
    assert not Authenticator.objects.filter(user=world.va_staff).exists()
    assert client.get("/home/").status_code == 302
    assert not signed_in(client)
    assert not signed_in(other)
    again = Client()
    response = sign_in(again, "va_staff")
    assert response.status_code == 302
    assert response["Location"] != reverse("mfa_authenticate")  # no second factor left to ask for...
    assert again.get("/home/")["Location"] == reverse("mfa_activate_totp")  # ...so enrol first
    assert again.get("/api/v1/").status_code == 403


def test_other_agency_admin_cannot_reset_mfa(world):
    from django.core.exceptions import PermissionDenied

    enrol(world.va_staff)
    with pytest.raises(PermissionDenied):
        services.user_reset_mfa(actor=world.md_admin, user=world.va_staff)
    assert Authenticator.objects.filter(user=world.va_staff).exists()


def test_allauth_pages_use_the_site_shell(world):
    client = Client()
    client.force_login(world.va_staff)
    body = client.get(reverse("account_logout")).content.decode()
    assert "usa-banner" in body and "Are you sure you want to sign out?" in body
    body = client.get(reverse("mfa_index")).content.decode()
    assert "usa-banner" in body


# --- 7. deployment check ----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "$"])
def test_check_deploy_passes_with_production_settings(prefix):
    """A generated key may start with "$": it is still the key, not another variable's name."""
    root = Path(__file__).resolve().parents[2]
    env = {
        k: v for k, v in os.environ.items() if k not in {"REQUIRE_MFA", "RSOITS_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "rsoits.settings",
            "DEBUG": "0",
            "SECRET_KEY": prefix + random_secret_key(),
            "ALLOWED_HOSTS": "example.gov",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
