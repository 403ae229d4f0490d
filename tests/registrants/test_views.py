"""Registrant pages: scoping, search, export, timeline, access log, constant query count."""

from datetime import date

import pytest

from registrants.export import safe_cell
from registrants.services import registrant_update
from rsoits.models import AccessLog
from tests.conftest import requires_postgres
from tests.registrants.test_api import seed

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client, world):
    r = seed(world, 1)[0]
    for url in ("/registrants/", "/registrants/export.csv", f"/registrants/{r.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_list_shows_only_own_jurisdiction_and_logs(client, world):
    seed(world, 2)
    seed(world, 2, agency=world.md, prefix="M")
    client.force_login(world.md_staff)
    body = client.get("/registrants/").content.decode()
    assert "M-0" in body and "M-1" in body
    assert "R-0" not in body
    assert AccessLog.objects.filter(user=world.md_staff, action="list", count=2).exists()


def test_search_and_filters(client, world):
    seed(world, 4)
    client.force_login(world.va_staff)
    body = client.get("/registrants/?q=Perez3").content.decode()
    assert "R-3" in body and "R-2" not in body
    body = client.get("/registrants/?is_fugitive=false").content.decode()
    assert "R-1" in body and "R-0" not in body


def test_export_is_scoped_filtered_and_logged(client, world):
    seed(world, 3)
    seed(world, 1, agency=world.md, prefix="M")
    client.force_login(world.va_staff)
    csv = client.get("/registrants/export.csv?is_fugitive=true").content.decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("external_id")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["R-0", "R-2"]
    assert AccessLog.objects.filter(user=world.va_staff, action="export", count=2).exists()
    assert safe_cell("=HYPERLINK()") == "'=HYPERLINK()"


def test_detail_other_agency_404_and_logged(client, world):
    r = seed(world, 1)[0]
    client.force_login(world.md_staff)
    assert client.get(f"/registrants/{r.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=world.md_staff, action="denied", object_id=str(r.pk)).exists()


def test_detail_shows_record_and_timeline(client, world):
    r = seed(world, 1)[0]
    registrant_update(actor=world.va_staff, registrant=r, surname="Ortega")
    client.force_login(world.va_staff)
    body = client.get(f"/registrants/{r.pk}/").content.decode()
    assert "Lopez0" in body  # alias
    assert "RSID0" in body  # identifier
    assert "Fugitive" in body
    assert "surname: Perez0 → Ortega" in body
    assert "va_staff" in body
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_id=str(r.pk)).exists()


def statements_of(client, url):
    """Every statement a request runs, transaction control included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def tables_of(statements):
    import re

    return sorted(re.search(r'(?:FROM|INTO) "(\w+)"', sql).group(1) for sql in statements)


# (the inbox badge's count comes from the cache after the first page: notifications.badge)
LIST_PAGE = ["registrants_registrant", "rsoits_accesslog", "rsoits_user"]


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows", [2, 32])
def test_list_page_statements_with_cached_sessions_and_principal(client, world, settings, rows):
    """As in production (Redis): the user, the page, the access-log row; the session, the
    memberships and the inbox badge's count come from the cache, and the read runs outside a
    transaction."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.PRINCIPAL_CACHE_SECONDS = 60
    seed(world, rows)
    client.force_login(world.analyst)
    client.get("/registrants/")
    response, statements = statements_of(client, "/registrants/")
    assert len(response.context["table"].page.object_list) == rows
    assert tables_of(statements) == LIST_PAGE, statements


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows", [2, 32])
def test_list_page_statements_without_a_shared_cache(client, world, settings, rows):
    """Without Redis: + the session, the memberships and the guardian grants (one statement
    each, read per request)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.PRINCIPAL_CACHE_SECONDS = 0
    seed(world, rows)
    client.force_login(world.analyst)
    client.get("/registrants/")
    _, statements = statements_of(client, "/registrants/")
    expected = [*LIST_PAGE, "django_session", "rsoits_membership", "guardian_userobjectpermission"]
    assert tables_of(statements) == sorted(expected), statements


def test_jurisdiction_filter(client, world):
    seed(world, 1)
    seed(world, 1, agency=world.md, prefix="M")
    client.force_login(world.analyst)
    body = client.get("/registrants/?registering_agency=MD").content.decode()
    assert "M-0" in body
    assert "R-0" not in body


def test_invalid_filter_matches_nothing_and_names_the_field(client, world):
    seed(world, 1)
    client.force_login(world.analyst)
    response = client.get("/registrants/?registering_agency=ZZ")
    body = response.content.decode()
    assert "R-0" not in body
    assert "Select a valid choice" in body


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_detail_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries):
    r = seed(world, 1)[0]
    client.force_login(world.va_staff)
    client.get(f"/registrants/{r.pk}/")
    with django_assert_max_num_queries(30) as before:
        client.get(f"/registrants/{r.pk}/")
    for n in range(6):
        registrant_update(actor=world.va_staff, registrant=r, place_of_birth=f"City {n}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(f"/registrants/{r.pk}/")


@requires_postgres
def test_pages_statements_are_rewritten_once_per_process(client, world):
    """psycopg rewrites a statement's placeholders once and keeps the result, for statements
    within its limits (raised in ``rsoits.apps.cache_long_statements``): the registrant page's
    long statement, and the list API's, are not rewritten again on the next request."""
    from psycopg import _queries

    r = seed(world, 2)[0]
    client.force_login(world.analyst)
    urls = [f"/registrants/{r.pk}/", "/api/v1/registrants/", "/registrants/"]
    for url in urls:
        assert client.get(url).status_code == 200

    def misses():
        return _queries._query2pg.cache_info().misses + _queries._query2pg_client.cache_info().misses

    before, rewritten = misses(), []
    original = _queries._query2pg_nocache
    _queries._query2pg_nocache = lambda *args: rewritten.append(args[0]) or original(*args)
    try:
        for url in urls:
            assert client.get(url).status_code == 200
    finally:
        _queries._query2pg_nocache = original
    assert (misses() - before, rewritten) == (0, [])


def test_the_blank_filter_form_is_what_django_renders_and_follows_the_jurisdictions(client, world):
    """The list page's filter form, when no filter is given, is rendered once per set of
    jurisdiction choices: it must be exactly the form Django renders, and a new SORA shows."""

    from registrants.filters import RegistrantFilterSet, _blank_form_html, blank_form_html
    from registrants.models import Registrant
    from tests.factories import AgencyFactory

    client.force_login(world.va_staff)
    fresh = str(RegistrantFilterSet(None, queryset=Registrant.objects.none()).form)
    assert blank_form_html(RegistrantFilterSet(None, queryset=Registrant.objects.none())) == fresh
    assert fresh in client.get("/registrants/").content.decode()
    before = _blank_form_html.cache_info().hits
    client.get("/registrants/")
    assert _blank_form_html.cache_info().hits == before + 1  # not rendered again
    AgencyFactory(code="ZZ", name="Zedland SORA", kind="state_sora", jurisdiction="ZZ")  # (shown at once)
    body = client.get("/registrants/").content.decode()
    assert "Zedland SORA (ZZ)" in body
    assert str(RegistrantFilterSet(None, queryset=Registrant.objects.none()).form) in body
    # A search is rendered afresh, with what was searched.
    body = client.get("/registrants/", {"q": "Zebulon", "status": "bogus"}).content.decode()
    assert 'value="Zebulon"' in body and "usa-error-message" in body


def test_table_body_is_what_django_tables2_renders(rf, world):
    """The list's rows are built in Python (RegistrantTable.body_html); they must be exactly the
    cells django-tables2's own template renders, escaping and empty values included."""
    import re

    from django_tables2 import RequestConfig

    from registrants import selectors
    from registrants.tables import RegistrantTable

    rows = seed(world, 3)
    registrant_update(actor=None, registrant=rows[0], surname="O'Brien & <Sons>", travel_prohibited=True)
    registrant_update(actor=None, registrant=rows[1], date_of_birth=None, sex="F", middle_name="Q")
    request = rf.get("/registrants/", {"sort": "-date_of_birth"})
    request.user = world.analyst
    queryset = selectors.registrant_list(user=world.analyst).order_by("surname", "given_name", "id")

    def tbody(table):
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        html = table.as_html(request)
        body = re.search(r"<tbody[^>]*>(.*)</tbody>", html, re.S).group(1)
        return re.sub(r">\s+<", "><", re.sub(r"<td\s*>", "<td>", body)).strip()

    fast = tbody(RegistrantTable(queryset))
    assert fast == tbody(RegistrantTable(queryset, template_name="django_tables2/table.html"))
    assert "O&#x27;Brien &amp; &lt;Sons&gt;" in fast
    assert fast.count("<tr ") == 3


@requires_postgres
def test_detail_reads_the_record_and_its_child_rows_in_one_statement(client, world, settings):
    """On PostgreSQL the names, dates of birth, identifiers, addresses, warrants and the audit
    trail come inlined in the registrant's own statement, and the page shows the same rows as
    when prefetched."""
    import re
    from datetime import date

    from registrants import selectors

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.PRINCIPAL_CACHE_SECONDS = 60
    r = seed(world, 1)[0]
    registrant_update(
        actor=None,
        registrant=r,
        alias_birth_dates=[date(1981, 2, 3)],
        warrants=[{"issuing_agency": world.md, "number": "W-MD", "active": True, "issued_on": date(2020, 5, 6)}],
    )
    client.force_login(world.va_staff)
    client.get(f"/registrants/{r.pk}/")
    response, statements = statements_of(client, f"/registrants/{r.pk}/")
    # the table each SELECT reads rows of (its first selected column), subqueries aside
    selected = sorted(m.group(1) for sql in statements if (m := re.match(r'SELECT (?:DISTINCT )?"(\w+)"\.', sql)))
    registrant_tables = [t for t in selected if t.startswith("registrants_")]
    assert registrant_tables == ["registrants_registrant"], statements
    body = response.content.decode()
    assert "Lopez0" in body and "RSID0" in body and "1981-02-03 (alias)" in body
    assert "Maryland DPSCS SOR (MD)" in body and "2020-05-06" in body

    inlined = selectors.with_children(selectors.registrant_page_queryset(user=world.va_staff).get(pk=r.pk))
    prefetched = selectors.registrant_detail_queryset(user=world.va_staff).get(pk=r.pk)

    def rows(objs):
        return [{f.attname: getattr(o, f.attname) for f in o._meta.concrete_fields} for o in objs]

    assert rows(inlined.aliases) == rows(prefetched.aliases)
    for relation in ("birth_dates", "identifiers", "addresses", "warrants"):
        assert rows(getattr(inlined, relation).all()) == rows(getattr(prefetched, relation).all()), relation
    assert [str(w.issuing_agency) for w in inlined.warrants.all()] == ["Maryland DPSCS SOR (MD)"]

    from rsoits.audit import history_rows

    registrant_update(actor=world.va_staff, registrant=r, surname="Ortega")
    inlined = selectors.registrant_page_queryset(user=world.va_staff).get(pk=r.pk)
    from_page = history_rows(inlined, records=selectors.page_history(inlined))
    assert from_page == history_rows(r) and len(from_page) == 3
    assert from_page[0]["who"].get_username() == "va_staff" and "surname: Perez0 → Ortega" in from_page[0]["changes"]


def test_search_by_name_alias_identifier_and_date_of_birth(client, world):
    from registrants.services import registrant_create

    def person(agency, external_id, given, surname, **more):
        return registrant_create(
            actor=None, registering_agency=agency, external_id=external_id, given_name=given, surname=surname, **more
        )

    person(world.va, "S-1", "José", "Núñez-García", date_of_birth=date(1970, 2, 3))
    person(
        world.va, "S-2", "Ana", "Perez", date_of_birth=date(1981, 4, 5), alias_birth_dates=[date(1970, 2, 3)],
        aliases=[{"given_name": "Anita", "surname": "Nunez"}], identifiers=[{"kind": "state_sid", "value": "va-77"}],
    )  # fmt: skip
    person(world.va, "S-3", "Nunez", "Smith", identifiers=[{"kind": "fbi_ucn", "value": "NUNEZ"}])
    person(world.md, "M-9", "Jose", "Nunez", date_of_birth=date(1970, 2, 3))  # another jurisdiction
    client.force_login(world.va_staff)

    def found(q):
        html = client.get("/registrants/", {"q": q}).content.decode()
        return sorted({m for m in ("S-1", "S-2", "S-3", "M-9") if f">{m}<" in html})

    assert found("nunez") == ["S-1", "S-2", "S-3"]  # surname prefix (accents folded), alias, identifier
    assert found("jose nunez") == ["S-1"]  # given name and surname together
    assert found("anita nun") == ["S-2"]  # an alias's given name and surname
    assert found("VA-77") == ["S-2"]  # an identifier, normalised
    assert found("1970-02-03") == ["S-1", "S-2"]  # primary and alias dates of birth
    assert found("zzz") == []
    # one row per registrant even when several of its names and identifiers match
    html = client.get("/registrants/", {"q": "nunez"}).content.decode()
    assert html.count(">S-3<") == 1
