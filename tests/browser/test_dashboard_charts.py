"""The home-page charts draw in a real browser under the content security policy, beside their
data tables, and the page has no serious accessibility violations."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.test_signin_journeys import _serious_violations, demo, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("username", ["nsotc_analyst", "usncb_officer", "va_staff"])
def test_charts_draw_without_script_errors(page, demo, username):  # noqa: F811
    errors: list[str] = []
    # (every console error counts, a missing favicon's 404 too: the pages link the USWDS one)
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, username)
    expect(page).to_have_url(re.compile(r"/home/$"))
    expect(page.get_by_test_id("home-queues")).to_be_visible()
    for chart in ("chart-per-month", "chart-median-days", "chart-late-share", "chart-countries"):
        # The charts are drawn by a deferred script, which may run after the queues are shown.
        try:
            page.wait_for_function(f"() => !!(window.Chart && window.Chart.getChart('{chart}'))", timeout=10_000)
            drawn = True
        except PlaywrightTimeoutError:
            drawn = False
        assert drawn, chart
    expect(page.get_by_test_id("chart-countries-table")).to_be_visible()
    assert errors == []
    assert _serious_violations(page) == []
