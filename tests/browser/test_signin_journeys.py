"""Sign-in journeys for every demo role, and an accessibility check of the sign-in and home pages."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from rsoits.choices import Role
from rsoits.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD, DEMO_ACCOUNTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTICE_LABEL = "I have read and accept the system-use notice."


@pytest.fixture
def demo(transactional_db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", stdout=StringIO())


def sign_in(page, username: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    # USWDS hides the native checkbox off-screen and styles its label; a user clicks the label.
    page.locator("label", has_text=NOTICE_LABEL).click()
    expect(page.get_by_label(NOTICE_LABEL)).to_be_checked()
    page.get_by_role("button", name="Sign in").click()


def test_every_role_signs_in_sees_its_home_and_signs_out(page, demo):
    for account in DEMO_ACCOUNTS:
        sign_in(page, account.username)
        expect(page).to_have_url(re.compile(r"/home/$"))
        expect(page.locator("h1")).to_contain_text(f"{Role(account.role).label} home")
        page.get_by_test_id("sign-out").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        expect(page.locator("h1")).to_have_text("Sign in to RSOITS")


def test_sign_in_refused_without_the_notice(page, demo):
    page.goto("/")
    page.get_by_label("Username").fill("va_staff")
    page.get_by_label("Password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("Sign in to RSOITS")  # not signed in
    expect(page.get_by_text("You must acknowledge the system-use notice to sign in.")).to_be_visible()


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_sign_in_and_home_pages_are_accessible(page, demo):
    page.goto("/accounts/login/")
    assert _serious_violations(page) == []
    sign_in(page, "nsotc_analyst")
    expect(page.locator("h1")).to_contain_text("NSOTC analyst home")
    assert _serious_violations(page) == []
