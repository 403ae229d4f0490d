"""Travel notice pages: the form with legs inline (field errors on the right field, nothing half
written), flags on every screen, draft/submit/amend/cancel/return, scoping (404 for other
agencies, sign-in for anonymous), access log and query counts."""

from datetime import timedelta

import pytest

from cases.choices import CaseStatus, TravelNoticeStatus
from cases.models import Case, TravelNotice
from registrants.services import registrant_update
from rsoits.models import AccessLog
from tests.cases.factories_travel import days, file_notice, make_registrant

pytestmark = pytest.mark.django_db


def form_data(registrant, *, legs=None, notice_days=30, departure_in=40, action="submit", **overrides):
    departure = days(departure_in)
    data = {
        "registrant": registrant.pk,
        "date_given": (departure - timedelta(days=notice_days)).isoformat(),
        "departure_date": departure.isoformat(),
        "return_date": (departure + timedelta(days=10)).isoformat(),
        "purpose": "travel",
        "purpose_detail": "",
        "passport_number": "P998877",
        "passport_country": "US",
        "companions": "",
        "means_of_travel": "air",
        "late_reason": "",
        "late_reason_detail": "",
        action: "1",
    }
    legs = (
        legs
        if legs is not None
        else [
            {
                "country": "FR",
                "city": "Paris",
                "arrival_date": departure,
                "departure_date": departure + timedelta(days=5),
            },
            {
                "country": "DE",
                "city": "Berlin",
                "arrival_date": departure + timedelta(days=5),
                "departure_date": departure + timedelta(days=10),
            },
        ]
    )
    data.update({"legs-TOTAL_FORMS": str(len(legs)), "legs-INITIAL_FORMS": "0", "legs-MIN_NUM_FORMS": "0"})
    data["legs-MAX_NUM_FORMS"] = "1000"
    for i, leg in enumerate(legs):
        for key, value in leg.items():
            data[f"legs-{i}-{key}"] = value.isoformat() if hasattr(value, "isoformat") else value
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_sign_in(client, world, people):
    notice = file_notice(world.va_staff, people.va)
    urls = ["/cases/travel-notices/", "/cases/travel-notices/new/"]
    urls += [f"/cases/travel-notices/{notice.pk}/{p}" for p in ("", "edit/", "amend/", "cancel/", "return/")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(f"/cases/travel-notices/{notice.pk}/submit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_file_and_submit_through_the_form(client, world, people, published):
    client.force_login(world.va_staff)
    page = client.get(f"/cases/travel-notices/new/?registrant={people.va.pk}")
    assert page.status_code == 200 and "Stop 1" in page.content.decode()
    response = client.post("/cases/travel-notices/new/", form_data(people.va))
    notice = TravelNotice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/travel-notices/{notice.pk}/"
    assert notice.status == TravelNoticeStatus.SUBMITTED and notice.filed_by == world.va_staff
    assert notice.countries() == ["FR", "DE"] and notice.days_of_notice == 30
    assert Case.objects.get().travel_notice == notice
    assert published.of("travel_notice_submitted")[0]["context"]["countries"] == ["FR", "DE"]


def test_save_draft_then_submit(client, world, people):
    client.force_login(world.va_staff)
    client.post("/cases/travel-notices/new/", form_data(people.va, action="draft"))
    notice = TravelNotice.objects.get()
    assert notice.status == TravelNoticeStatus.DRAFT and not Case.objects.exists()
    data = form_data(people.va, action="draft", companions="Spouse")
    data.update({"legs-INITIAL_FORMS": "2", "legs-0-id": notice.legs.all()[0].pk, "legs-1-id": notice.legs.all()[1].pk})
    data["legs-0-notice"] = data["legs-1-notice"] = notice.pk
    assert client.post(f"/cases/travel-notices/{notice.pk}/edit/", data).status_code == 302
    notice.refresh_from_db()
    assert notice.companions == "Spouse" and notice.legs.count() == 2
    response = client.post(f"/cases/travel-notices/{notice.pk}/submit/")
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.SUBMITTED and Case.objects.count() == 1


def test_late_notice_without_reason_is_a_form_error(client, world, people):
    client.force_login(world.va_staff)
    response = client.post("/cases/travel-notices/new/", form_data(people.va, notice_days=20))
    assert response.status_code == 400
    assert "late_reason" in response.context["form"].errors
    assert "20 days" in response.content.decode()
    assert not TravelNotice.objects.exists()
    response = client.post("/cases/travel-notices/new/", form_data(people.va, notice_days=21))
    assert response.status_code == 302


def test_leg_errors_land_on_the_leg(client, world, people):
    client.force_login(world.va_staff)
    departure = days(40)
    legs = [
        {"country": "QQ", "arrival_date": departure, "departure_date": departure + timedelta(days=2)},
        {
            "country": "FR",
            "arrival_date": departure + timedelta(days=30),
            "departure_date": departure + timedelta(days=31),
        },
    ]
    response = client.post("/cases/travel-notices/new/", form_data(people.va, legs=legs))
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert "country" in forms[0].errors
    assert "arrival_date" in forms[1].errors  # after the return date
    assert not TravelNotice.objects.exists()


def test_return_before_departure_is_a_form_error(client, world, people):
    client.force_login(world.va_staff)
    data = form_data(people.va, return_date=days(30).isoformat())
    response = client.post("/cases/travel-notices/new/", data)
    assert response.status_code == 400 and "return_date" in response.context["form"].errors


def test_other_jurisdictions_registrant_is_not_offered(client, world, people):
    client.force_login(world.va_staff)
    response = client.post("/cases/travel-notices/new/", form_data(people.md))
    assert response.status_code == 400 and "registrant" in response.context["form"].errors
    assert not TravelNotice.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "usncb_officer", "sysadmin"])
def test_non_sora_cannot_open_the_form(client, world, who):
    # (an installation LEA may: it reports affiliated registrants' travel, DTM 15-003 att. 3, 4.d)
    client.force_login(getattr(world, who))
    assert client.get("/cases/travel-notices/new/").status_code == 403


def test_detail_scoping_and_access_log(client, world, people):
    notice = file_notice(world.va_staff, people.va)
    client.force_login(world.md_staff)
    for suffix in ("", "edit/", "amend/"):
        assert client.get(f"/cases/travel-notices/{notice.pk}/{suffix}").status_code == 404
    for suffix in ("submit/", "cancel/", "return/"):
        assert client.post(f"/cases/travel-notices/{notice.pk}/{suffix}", {"reason": "x"}).status_code == 404
    assert AccessLog.objects.filter(user=world.md_staff, action="denied", object_id=str(notice.pk)).exists()
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.SUBMITTED
    client.force_login(world.va_staff)
    response = client.get(f"/cases/travel-notices/{notice.pk}/")
    assert response.status_code == 200 and "Paris" not in response.content.decode()  # legs are City0 etc.
    assert "City0" in response.content.decode()
    assert AccessLog.objects.filter(user=world.va_staff, action="view", object_type="cases.travelnotice").exists()


def test_nsotc_and_lea_read_but_do_not_change(client, world, people):
    notice = file_notice(world.va_staff, people.belvoir)
    for user in (world.analyst, world.lea_officer):
        client.force_login(user)
        body = client.get(f"/cases/travel-notices/{notice.pk}/").content.decode()
        assert "Amend" not in body and "Cancel notice" not in body
        assert client.get(f"/cases/travel-notices/{notice.pk}/amend/").status_code == 404
    client.force_login(world.usncb_officer)
    assert client.get(f"/cases/travel-notices/{notice.pk}/").status_code == 404


def test_flags_on_every_screen(client, world, people):
    registrant_update(actor=None, registrant=people.va, travel_prohibited=True)
    notice = file_notice(world.va_staff, people.va)
    case = notice.cases.get()
    client.force_login(world.analyst)
    for url in (
        "/cases/travel-notices/",
        f"/cases/travel-notices/{notice.pk}/",
        "/cases/",
        f"/cases/{case.pk}/",
        f"/registrants/{people.va.pk}/",
    ):
        body = client.get(url).content.decode()
        assert "travel prohibited" in body.lower(), url


def test_amend_cancel_and_return_pages(client, world, people, time_machine):
    notice = file_notice(world.va_staff, people.va)
    client.force_login(world.va_staff)
    page = client.get(f"/cases/travel-notices/{notice.pk}/amend/")
    assert page.status_code == 200 and "reason" in page.context["form"].fields
    data = form_data(people.va, action="amend", reason="Later flight", departure_in=41, notice_days=31)
    legs = list(notice.legs.all())
    data.update({"legs-INITIAL_FORMS": str(len(legs)), "legs-TOTAL_FORMS": "2"})
    for i, leg in enumerate(legs):
        data[f"legs-{i}-id"] = leg.pk
        data[f"legs-{i}-notice"] = notice.pk
    response = client.post(f"/cases/travel-notices/{notice.pk}/amend/", data)
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.AMENDED and notice.amendment_reason == "Later flight"

    response = client.post(f"/cases/travel-notices/{notice.pk}/return/", {"outcome": "returned"})
    assert response.status_code == 400 and "can be confirmed from" in response.content.decode()
    time_machine.move_to(notice.return_date + timedelta(days=1))
    client.logout()  # weeks later: the old session is gone (its cached copy too), a new one starts
    client.force_login(world.va_staff)
    response = client.post(f"/cases/travel-notices/{notice.pk}/return/", {"outcome": "returned"})
    assert response["Location"] == f"/cases/travel-notices/{notice.pk}/"
    notice.refresh_from_db()
    assert notice.status == TravelNoticeStatus.COMPLETED
    assert notice.cases.get().status == CaseStatus.CLOSED

    other = file_notice(world.va_staff, make_registrant(world.va), departure_in=60)
    response = client.post(f"/cases/travel-notices/{other.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    response = client.post(f"/cases/travel-notices/{other.pk}/cancel/", {"reason": "Not going"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == TravelNoticeStatus.CANCELLED
    body = client.get(f"/cases/travel-notices/{other.pk}/").content.decode()
    assert "Not going" in body and "va_staff" in body  # history names the user


def test_registrant_timeline_shows_notices_and_cases(client, world, people):
    notice = file_notice(world.va_staff, people.va)
    client.force_login(world.va_staff)
    body = client.get(f"/registrants/{people.va.pk}/").content.decode()
    assert f"Travel notice #{notice.pk}" in body
    case = notice.cases.get()
    assert f"Case #{case.pk}: opened ({case.get_status_display()})" in body
    client.force_login(world.usncb_officer)
    assert client.get(f"/registrants/{people.va.pk}/").status_code == 404


# (the setup commits: the caches keep nothing read under a change not yet committed)
@pytest.mark.django_db(transaction=True)
def test_registrant_page_reads_only_the_kinds_of_records_the_registrant_has(client, world, people, settings):
    """The page's own statement tells which timeline providers have rows to show: a registrant
    with no travel, hits, cases or notices costs no query of theirs; one with a travel notice
    adds the travel notices, case events and disclosures, still none of the others."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.defaults import install_default_rules

    install_default_rules()  # (a transactional test starts without the rows the migrations installed)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.PRINCIPAL_CACHE_SECONDS = 60

    def tables_read(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        # the table of each statement's own rows (the first selected column's), subqueries aside
        head = re.compile(r'(?:SELECT (?:DISTINCT )?"|SELECT COUNT\(\*\) AS "__count" FROM "|INSERT INTO ")(\w+)"')
        tables = (m.group(1) for q in ctx.captured_queries if (m := head.match(q["sql"])))
        return sorted(t for t in tables if not t.startswith("registrants_"))  # the record itself

    url = f"/registrants/{people.va.pk}/"
    client.force_login(world.va_staff)
    client.get(url)
    quiet = ["rsoits_accesslog", "rsoits_user"]  # (the inbox badge's count comes from the cache)
    assert tables_read(url) == quiet
    notice = file_notice(world.va_staff, people.va)  # a notice, its case, and the disclosures of routing it
    client.get(url)
    busy = set(tables_read(url))
    assert {"cases_travelnotice", "cases_caseevent", "notifications_disclosure"} <= busy
    assert not {"cases_hit", "cases_foreignnotice", "cases_passportaction"} & busy
    assert f"Case #{notice.cases.get().pk}" in client.get(url).content.decode()


def test_list_is_scoped_filtered_logged(client, world, people):
    mine = file_notice(world.va_staff, people.va)
    theirs = file_notice(world.md_staff, people.md)
    client.force_login(world.va_staff)
    response = client.get("/cases/travel-notices/")
    rows = {r.record.pk for r in response.context["table"].page.object_list}
    assert rows == {mine.pk}
    assert theirs.pk not in rows
    assert AccessLog.objects.filter(user=world.va_staff, action="list", object_type="cases.travelnotice").exists()
    client.force_login(world.analyst)
    response = client.get("/cases/travel-notices/?country=fr&agency=MD")
    assert {r.record.pk for r in response.context["table"].page.object_list} == {theirs.pk}


def test_list_page_query_count_is_constant(client, world, people, django_assert_max_num_queries):
    file_notice(world.va_staff, people.va)
    client.force_login(world.analyst)
    client.get("/cases/travel-notices/")
    with django_assert_max_num_queries(30) as small:
        client.get("/cases/travel-notices/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    for _ in range(15):
        file_notice(world.va_staff, make_registrant(world.va))
    client.get("/cases/travel-notices/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/cases/travel-notices/")
