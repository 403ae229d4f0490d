"""API tokens: hashed, expiring knox tokens, issued by command or by admins on the token screen."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from rsoits import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def issue(username, *args):
    out = StringIO()
    call_command("issue_token", username, *args, stdout=out)
    return out.getvalue()


def api(token=None, **extra):
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    return Client().get(API, **extra)


def test_issue_token_prints_the_token_alone_and_stores_only_a_hash(world):
    output = issue("va_staff", "--days", "7")
    token = output.strip()
    assert output == token + "\n" and " " not in token and len(token) >= 64
    record = AuthToken.objects.get(user=world.va_staff)
    assert record.digest != token and token not in record.digest
    assert abs(record.expiry - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert api(token).status_code == 200
    assert api().status_code == 401
    assert api("not-a-real-token-" + "0" * 60).status_code == 401


def test_default_lifetime_expires_and_expired_tokens_are_refused(world):
    token = issue("va_staff").strip()
    record = AuthToken.objects.get(user=world.va_staff)
    assert record.expiry is not None
    assert timedelta(days=89) < record.expiry - timezone.now() <= timedelta(days=90)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert api(token).status_code == 401


def test_an_api_call_reads_its_own_token_only_and_the_beat_task_purges_expired_ones(world):
    """A request authenticates with one query for its token (knox would also read every other
    token of the user on every call); expired tokens are refused, and deleted by the hourly
    ``rsoits.purge_expired_tokens`` task."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rsoits.tasks import purge_expired_tokens

    old = issue("va_staff", "--days", "1").strip()
    for _ in range(3):
        issue("va_staff")
    token = issue("va_staff").strip()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        with CaptureQueriesContext(connection) as ctx:
            assert api(token).status_code == 200
        assert sum('"knox_authtoken"' in q["sql"] for q in ctx.captured_queries) == 1, ctx.captured_queries
        assert AuthToken.objects.filter(user=world.va_staff).count() == 5  # the expired one too, until purged
        assert purge_expired_tokens() == 1
        assert AuthToken.objects.filter(user=world.va_staff).count() == 4
        assert api(old).status_code == 401
        assert api(token).status_code == 200
    assert settings.CELERY_BEAT_SCHEDULE["tokens-purge-expired"]["task"] == "rsoits.purge_expired_tokens"


def test_token_for_user_without_membership_is_refused_and_unknown_user_errors(world):
    UserFactory(username="nobody")
    token = issue("nobody").strip()
    assert api(token).status_code == 403
    with pytest.raises(CommandError):
        issue("no-such-user")
    with pytest.raises(CommandError):
        issue("va_staff", "--days", "0")


def test_token_clients_are_exempt_from_require_mfa(world, settings):
    settings.REQUIRE_MFA = True
    token = issue("va_staff").strip()
    assert api(token).status_code == 200
    session = Client()
    session.force_login(world.va_staff)
    assert session.get(API).status_code == 403  # a session user without MFA is not


def test_locked_user_gets_no_token(world):
    services.user_lock(username="va_staff", reason="test")
    with pytest.raises(CommandError):
        issue("va_staff")


# --- the token screen ------------------------------------------------------------------------


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_sign_in(world):
    for url in (reverse("apitoken_list"), reverse("apitoken_create")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_non_admin_is_refused(world):
    client = admin_client(world.va_staff)
    assert client.get(reverse("apitoken_list")).status_code == 403
    assert client.post(reverse("apitoken_create"), {"user": world.va_staff.pk, "days": 5}).status_code == 403
    assert not AuthToken.objects.exists()


def test_agency_admin_issues_lists_and_revokes_for_own_agency(world):
    client = admin_client(world.va_admin)
    form = client.get(reverse("apitoken_create"))
    assert form.status_code == 200
    choices = {u.pk for u in form.context["form"].fields["user"].queryset}
    assert world.va_staff.pk in choices and world.md_staff.pk not in choices

    response = client.post(reverse("apitoken_create"), {"user": world.va_staff.pk, "days": 30})
    assert response.status_code == 200
    token = response.context["token"]
    assert token in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    record = AuthToken.objects.get(user=world.va_staff)
    assert abs(record.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert api(token).status_code == 200

    listing = client.get(reverse("apitoken_list")).content.decode()
    assert "va_staff" in listing
    assert token not in listing and record.digest not in listing  # shown once; digest never

    response = client.post(reverse("apitoken_revoke", args=[record.token_key]))
    assert response.status_code == 302
    assert not AuthToken.objects.filter(pk=record.pk).exists()
    assert api(token).status_code == 401


def test_other_agency_admin_gets_404(world):
    token = issue("va_staff").strip()
    record = AuthToken.objects.get(user=world.va_staff)
    client = admin_client(world.md_admin)
    assert client.post(reverse("apitoken_create"), {"user": world.va_staff.pk, "days": 5}).status_code == 404
    assert client.get(reverse("apitoken_create"), {"user": world.va_staff.pk}).status_code == 404
    assert client.post(reverse("apitoken_revoke", args=[record.token_key])).status_code == 404
    assert "va_staff" not in client.get(reverse("apitoken_list")).content.decode()
    assert AuthToken.objects.filter(user=world.va_staff).count() == 1
    assert api(token).status_code == 200


def test_system_admin_issues_for_any_user(world):
    client = admin_client(world.sysadmin)
    for user in (world.md_staff, world.analyst):
        response = client.post(reverse("apitoken_create"), {"user": user.pk, "days": 1})
        assert response.status_code == 200
        assert api(response.context["token"]).status_code == 200
    assert AuthToken.objects.count() == 2
    listing = client.get(reverse("apitoken_list"))
    assert listing.status_code == 200
    assert len(listing.context["tokens"]) == 2


def test_invalid_lifetime_is_a_form_error(world):
    client = admin_client(world.sysadmin)
    response = client.post(reverse("apitoken_create"), {"user": world.md_staff.pk, "days": 1000})
    assert response.status_code == 400
    assert "days" in response.context["form"].errors
    assert not AuthToken.objects.exists()
