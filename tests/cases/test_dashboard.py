"""Home-page dashboards: each role's queues and the travel-notice charts, computed only over what
the user may see, each chart beside its data table; query counts do not grow with the data."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.choices import TravelNoticeStatus
from cases.selectors_foreign import travel_stats
from cases.services import foreign as svc
from cases.services import passport as passport_svc
from rsoits.registry import home_panels
from tests.cases.factories_foreign import fw_fixture, make_forwarded_case, make_registrant  # noqa: F401

pytestmark = pytest.mark.django_db


def notice(world, *, agency=None, days=25, countries=("FR",), given_days_ago=5, draft=False):
    """A submitted travel notice given ``given_days_ago`` days ago with ``days`` days of notice."""
    registrant = make_registrant(world, agency=agency or world.va)
    departure = timezone.localdate() - timedelta(days=given_days_ago) + timedelta(days=days)
    case = make_forwarded_case(world, registrant=registrant, departure=departure, countries=countries, share=False)
    travel = case.travel_notice
    travel.date_given = departure - timedelta(days=days)
    travel.status = TravelNoticeStatus.DRAFT if draft else TravelNoticeStatus.SUBMITTED
    travel.compute_days_of_notice()
    travel.save()
    return travel


def chart_json(body: str) -> dict:
    start = body.index('<script id="travel-stats" type="application/json">') + len(
        '<script id="travel-stats" type="application/json">'
    )
    return json.loads(body[start : body.index("</script>", start)])


def test_stats_are_scoped_and_correct(fw):
    notice(fw, days=30, countries=("FR", "DE"))
    notice(fw, days=10, countries=("FR",))
    notice(fw, days=21, countries=("JP", "FR"))
    notice(fw, agency=fw.md, days=5, countries=("MX",))
    notice(fw, days=3, countries=("IT",), draft=True)  # drafts are not counted
    notice(fw, days=40, countries=("ES",), given_days_ago=400)  # outside the 12 months
    today = timezone.localdate()
    va = travel_stats(user=fw.va_staff, today=today)
    assert (va.late, va.on_time, va.median_days) == (1, 2, 21)
    assert va.late_share == 33.3
    assert va.top_countries[0] == ("FR", 3) and {c for c, _ in va.top_countries} == {"FR", "DE", "JP"}
    assert sum(va.per_month) == 3 and len(va.months) == 12
    md = travel_stats(user=fw.md_staff, today=today)
    assert (md.late, md.on_time, md.top_countries) == (1, 0, [("MX", 1)])
    nsotc = travel_stats(user=fw.analyst, today=today)
    assert nsotc.total == 4 and nsotc.median_days == 15.5
    for user in (fw.usncb_officer, fw.sysadmin, fw.auditor):
        assert travel_stats(user=user, today=today).total == 0


def test_medians_read_as_days_not_floats(client, fw):
    notice(fw, days=30, countries=("FR",))
    notice(fw, days=24, countries=("FR",))  # median 27.0: shown as 27
    client.force_login(fw.va_staff)
    body = client.get("/home/").content.decode()
    assert "median days of notice 27." in body
    assert "<td>27</td>" in body and "<td>27.0</td>" not in body  # the month's row of the table
    notice(fw, days=21, countries=("FR",))
    notice(fw, days=10, countries=("FR",))  # median 22.5
    body = client.get("/home/").content.decode()
    assert "median days of notice 22.5." in body


def test_each_role_gets_its_panels(rf, fw):
    def titles(user):
        request = rf.get("/home/")
        request.user = user
        return [panel.title for panel in home_panels(request)]

    assert titles(fw.analyst) == ["Queues", "Travel notices, last 12 months"]
    assert titles(fw.usncb_officer) == ["Queues", "Travel notices, last 12 months"]
    assert titles(fw.va_staff) == ["Queues", "Travel notices, last 12 months"]
    assert titles(fw.lea_officer) == ["Travel notices, last 12 months"]
    for user in (fw.sysadmin, fw.auditor, fw.va_admin):
        assert titles(user) == []


def test_sora_home_page_shows_only_own_figures(client, fw):
    notice(fw, days=30, countries=("FR",))
    notice(fw, agency=fw.md, days=5, countries=("MX",))
    passport_svc.passport_action_request(actor=fw.md_staff, registrant=make_registrant(fw, agency=fw.md),
                                         kind="class_lookout")  # fmt: skip
    client.force_login(fw.va_staff)
    body = client.get("/home/").content.decode()
    data = chart_json(body)
    assert (data["late"], data["onTime"], data["countries"]) == (0, 1, ["France"])
    assert "Mexico" not in body
    assert 'data-testid="chart-countries-table"' in body and "France (FR)" in body
    assert 'data-queue="Passport actions awaiting State">0<' in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "rsoits/charts.js" in body
    client.force_login(fw.md_staff)
    body = client.get("/home/").content.decode()
    assert chart_json(body)["countries"] == ["Mexico"]
    assert 'data-queue="Passport actions awaiting State">1<' in body


def test_usncb_home_queues(client, fw):
    case = make_forwarded_case(fw, countries=("FR", "DE"))
    draft = svc.foreign_notice_prepare(actor=fw.usncb_officer, case=case, country="FR")
    svc.foreign_notice_send(
        actor=fw.usncb_officer, notice=svc.foreign_notice_review(actor=fw.usncb_officer, notice=draft)
    )
    make_forwarded_case(fw, countries=("JP",))
    client.force_login(fw.usncb_officer)
    body = client.get("/home/").content.decode()
    assert 'data-queue="Forwarded cases waiting for notices">2<' in body
    assert 'data-queue="Sent, awaiting acknowledgement">1<' in body
    assert 'data-queue="Draft notices to review">0<' in body
    # USNCB's charts count only the travel notices shared with it: those of the forwarded cases
    data = chart_json(body)
    assert (data["late"], data["onTime"]) == (0, 2)
    assert sorted(data["countries"]) == ["France", "Germany", "Japan"]


def test_home_without_role_has_no_panels_and_anonymous_is_redirected(client, fw):
    response = client.get("/home/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(fw.sysadmin)
    body = client.get("/home/").content.decode()
    assert "travel-stats" not in body and "chart.umd.min.js" not in body


@pytest.mark.parametrize("username", ["analyst", "usncb", "va_staff"])
def test_home_query_count_does_not_grow(client, fw, django_assert_max_num_queries, username):
    user = {"analyst": fw.analyst, "usncb": fw.usncb_officer, "va_staff": fw.va_staff}[username]
    notice(fw, days=30, countries=("FR",))
    make_forwarded_case(fw)
    client.force_login(user)
    client.get("/home/")
    with django_assert_max_num_queries(40) as small:
        client.get("/home/")
    before = len(small.captured_queries)  # (read now: the next request clears the query log)
    for i in range(6):
        notice(fw, days=10 + i, countries=("FR", "DE", "JP")[: 1 + i % 3], given_days_ago=30 * i)
        case = make_forwarded_case(fw, countries=("FR", "DE"))
        svc.foreign_notices_prepare_all(actor=fw.usncb_officer, case=case)
    client.get("/home/")  # the inbox badge counts again once after new notifications
    with django_assert_max_num_queries(before):
        client.get("/home/")


def test_demo_seed_adds_foreign_records(db):
    from cases.models import ForeignNotice, InboundForeignNotice, PassportAction

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ForeignNotice.objects.filter(status="acknowledged").exists()
    assert InboundForeignNotice.objects.filter(foreign_reference="DEMO-GB-0001").exists()
    assert PassportAction.objects.filter(status="submitted").exists()
    counts = (ForeignNotice.objects.count(), InboundForeignNotice.objects.count(), PassportAction.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (
        ForeignNotice.objects.count(),
        InboundForeignNotice.objects.count(),
        PassportAction.objects.count(),
    ) == counts
