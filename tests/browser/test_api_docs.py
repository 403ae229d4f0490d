"""The API documentation pages draw under the content security policy: Swagger UI with its
script served apart from the page, Redoc with the styles and search worker it makes, allowed on
its page only."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_swagger_ui_draws_the_endpoints(page):
    violations = _csp_violations(page)
    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/hits/", exact=True).first).to_be_visible(timeout=20_000)
    expect(page.get_by_role("heading", name=re.compile(r"^RSOITS API"))).to_be_visible()
    assert violations == []


def test_redoc_draws_the_endpoints(page):
    violations = _csp_violations(page)
    page.goto("/api/redoc/")
    expect(page.get_by_role("heading", name=re.compile(r"^RSOITS API"))).to_be_visible(timeout=20_000)
    # (only Redoc's own logo, which it loads from its maker's site, stays refused)
    assert [v for v in violations if "cdn.redoc.ly" not in v] == []
