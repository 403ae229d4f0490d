"""Every URL that is not public refuses an anonymous request: a sign-in redirect for pages,
401/403 for the API. The URL list is walked from the resolver, so a new view is covered."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Public on purpose: the sign-in flow, the health check, the API's schema and docs.
PUBLIC = re.compile(
    r"^/(|healthz|api/schema/|api/docs/|api/redoc/|accounts/(login|logout|password/reset|2fa/authenticate|"
    r"reauthenticate|signup|confirm-email|inactive|password/reset/done|password/reset/key/done|"
    r"3rdparty|login/code|verify|email/verify|phone/verify)[^?]*)$"
)


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(route: str) -> str | None:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    route = re.sub(r"<int:\w+>|\(\?P<pk>\[\^/.\]\+\)|\(\?P<\w+>\[0-9\]\+\)", "1", route)
    route = re.sub(r"<(str|slug):\w+>", "x", route)
    route = re.sub(r"\(\?P<format>[^)]*\)/?", "", route)
    if any(ch in route for ch in "<>()[]?*+"):
        return None  # a route shape this walker does not fill in
    return "/" + route


def all_urls():
    urls = set()
    for route in walk(get_resolver().url_patterns):
        url = concrete(route)
        if url and not url.startswith(("/django-admin/", "/static/", "/media/")):
            urls.add(url)
    return sorted(urls)


def test_walker_finds_the_application_urls():
    urls = all_urls()
    for expected in ("/registrants/", "/registrants/1/", "/api/v1/registrants/", "/api/v1/agencies/", "/home/"):
        assert expected in urls
    assert len(urls) > 40


@pytest.mark.parametrize("url", [u for u in all_urls() if not PUBLIC.match(u)])
def test_anonymous_is_refused(client, url):
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403), (url, response.status_code)
    else:
        assert response.status_code in (302, 401, 403, 405), (url, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], (url, response["Location"])
