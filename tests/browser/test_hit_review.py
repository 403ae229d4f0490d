"""An NSOTC analyst works the review queue in a real browser: opens the fugitive hit first,
decides by clicking the choice's label (USWDS draws radios with their labels), and sees the
decision recorded; the hit page has no serious accessibility violations."""

import re

import pytest
from playwright.sync_api import expect

from cases.choices_hits import HitStatus, ReviewDecision
from cases.models import Hit
from tests.browser.test_signin_journeys import _serious_violations, demo, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_confirms_the_fugitive_hit_from_the_queue(page, demo):  # noqa: F811
    sign_in(page, "nsotc_analyst")
    page.goto("/cases/hits/queue/")
    first = page.locator("table tbody tr").first
    expect(first).to_contain_text("Fugitive candidate")
    first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/cases/hits/\d+/$"))
    hit = Hit.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert hit.status == HitStatus.AWAITING_REVIEW
    expect(page.get_by_test_id("hit-status")).to_contain_text("Awaiting review")
    assert _serious_violations(page) == []

    decision = page.get_by_role("radio", name="Confirmed match")
    expect(decision).not_to_be_checked()
    label = page.locator("label.usa-radio__label", has_text=re.compile(r"^Confirmed match$"))
    expect(label).to_be_visible()
    label.click()
    expect(decision).to_be_checked()
    candidate = hit.candidates.order_by("rank").first()
    page.get_by_label("Candidate", exact=True).select_option(str(candidate.pk))
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_test_id("hit-status")).to_contain_text("Confirmed match")
    hit.refresh_from_db()
    assert hit.status == HitStatus.CONFIRMED and hit.registrant_id == candidate.registrant_id
    last = hit.decisions.order_by("-pk").first()
    assert last.decision == ReviewDecision.CONFIRMED_MATCH and last.decided_by.username == "nsotc_analyst"
