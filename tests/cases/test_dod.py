"""DoD: installation monitoring (coordination, plan, checks, overdue queue and escalation) and
UCMJ separation notices (filed by a Service, acknowledged by the state registry and NSOTC):
scoping per role and installation, the schedule at its edges, field errors, history, API."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from cases.choices_dod import CheckOutcome, MonitoredBy, MonitoringStatus, SeparationStatus
from cases.models import InstallationMonitoring, MonitoringCheck, SeparationNotice
from cases.services import (
    monitoring_check_log,
    monitoring_end,
    monitoring_start,
    monitoring_update,
    separation_acknowledge,
    separation_file,
)
from cases.tasks import monitoring_checks_to_escalate
from registrants.services import registrant_create
from rsoits.choices import Role
from tests.factories import InstallationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def dod(world):
    """Installation A (world.installation, Fort Belvoir) and B, each with its LEA; an RSO living on
    A registered by VA, one working on B registered by MD, one assigned to A living off it."""
    world.installation_b = InstallationFactory(code="FTMEADE", name="Fort Meade", state="MD")
    world.lea_b_officer = member(world.installation_b.lea, Role.INSTALLATION_LEA, username="lea_b")
    world.on_a = registrant_create(
        actor=None, registering_agency=world.va, external_id="A-1", given_name="Carl", surname="Ames",
        date_of_birth=date(1970, 1, 2), installation=world.installation, lives_on_installation=True,
        dod_component="army", subject_to_ucmj=True,
    )  # fmt: skip
    world.on_b = registrant_create(
        actor=None, registering_agency=world.md, external_id="B-1", given_name="Dora", surname="Bell",
        date_of_birth=date(1975, 5, 6), installation=world.installation_b, works_on_installation=True,
    )  # fmt: skip
    world.off_a = registrant_create(
        actor=None, registering_agency=world.va, external_id="A-2", given_name="Eli", surname="Cole",
        date_of_birth=date(1980, 7, 8), installation=world.installation,
    )  # fmt: skip
    return world


def start(w, **fields):
    fields.setdefault("monitored_by", MonitoredBy.INSTALLATION)
    fields.setdefault("started_on", date(2026, 1, 1))
    return monitoring_start(actor=w.lea_officer, registrant=w.on_a, installation=w.installation, **fields)


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- monitoring: services ---------------------------------------------------------------------


def test_only_the_installations_lea_opens_monitoring_and_only_for_who_lives_or_works_on_it(dod):
    with pytest.raises(PermissionDenied):
        monitoring_start(actor=dod.lea_b_officer, registrant=dod.on_a, installation=dod.installation)
    with pytest.raises(ValidationError) as exc:
        monitoring_start(actor=dod.lea_officer, registrant=dod.off_a, installation=dod.installation)
    assert "registrant" in exc.value.message_dict
    monitoring = start(dod)
    assert monitoring.coordinated_with == dod.va  # the registering SORA is the coordination partner
    with pytest.raises(ValidationError) as exc:
        start(dod)
    assert "already monitored" in exc.value.message_dict["registrant"][0]
    assert monitoring.history.get().history_user == dod.lea_officer


def test_schedule_and_overdue_at_their_edges(dod):
    monitoring = start(dod, check_interval_days=30)
    assert monitoring.next_check_due == date(2026, 1, 31)
    assert not monitoring.is_overdue(date(2026, 1, 31))
    assert monitoring.is_overdue(date(2026, 2, 1))
    assert list(InstallationMonitoring.objects.overdue(date(2026, 1, 31))) == []
    assert list(InstallationMonitoring.objects.overdue(date(2026, 2, 1))) == [monitoring]
    with time_machine.travel(date(2026, 2, 5)):
        monitoring_check_log(
            actor=dod.lea_officer, monitoring=monitoring, checked_on=date(2026, 2, 5), outcome=CheckOutcome.COMPLIANT
        )
    monitoring.refresh_from_db()
    assert monitoring.next_check_due == date(2026, 3, 7)  # one interval after the latest check
    monitoring_update(actor=dod.lea_officer, monitoring=monitoring, check_interval_days=7)
    monitoring.refresh_from_db()
    assert monitoring.next_check_due == date(2026, 2, 12)
    # the state takes over the monitoring: no checks are scheduled any more
    monitoring_update(actor=dod.lea_officer, monitoring=monitoring, monitored_by=MonitoredBy.STATE_LOCAL)
    monitoring.refresh_from_db()
    assert monitoring.next_check_due is None
    with pytest.raises(ValidationError):
        monitoring_check_log(
            actor=dod.lea_officer, monitoring=monitoring, checked_on=date(2026, 2, 6), outcome=CheckOutcome.COMPLIANT
        )


def test_escalation_threshold_at_its_edges(dod, settings):
    settings.MONITORING_ESCALATE_AFTER_DAYS = 7
    monitoring = start(dod, check_interval_days=30)  # due 2026-01-31
    assert list(monitoring_checks_to_escalate(date(2026, 2, 6))) == []  # 6 days overdue
    assert list(monitoring_checks_to_escalate(date(2026, 2, 7))) == [monitoring]  # 7 days overdue
    monitoring_end(actor=dod.lea_officer, monitoring=monitoring, ended_on=date(2026, 2, 7), reason="Moved off base")
    assert list(monitoring_checks_to_escalate(date(2026, 3, 1))) == []


def test_check_field_errors_and_history(dod):
    monitoring = start(dod)
    with pytest.raises(ValidationError) as exc:
        monitoring_check_log(
            actor=dod.lea_officer, monitoring=monitoring, checked_on=date.today(), outcome=CheckOutcome.VIOLATION
        )
    assert "notes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        monitoring_check_log(
            actor=dod.lea_officer,
            monitoring=monitoring,
            checked_on=date.today() + timedelta(days=1),
            outcome=CheckOutcome.COMPLIANT,
        )
    assert "checked_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        monitoring_check_log(
            actor=dod.lea_officer, monitoring=monitoring, checked_on=date(2025, 12, 1), outcome=CheckOutcome.COMPLIANT
        )
    assert "checked_on" in exc.value.message_dict
    assert MonitoringCheck.objects.count() == 0
    check = monitoring_check_log(
        actor=dod.lea_officer,
        monitoring=monitoring,
        checked_on=date.today(),
        outcome=CheckOutcome.VIOLATION,
        notes="Seen at the child development center.",
    )
    assert check.history.get().history_user == dod.lea_officer
    with pytest.raises(PermissionDenied):
        monitoring_update(actor=dod.lea_b_officer, monitoring=monitoring, notes="x")
    with pytest.raises(PermissionDenied):
        monitoring_update(actor=dod.analyst, monitoring=monitoring, notes="x")


def test_monitoring_scoping_per_role(dod):
    a = start(dod)
    b = monitoring_start(actor=dod.lea_b_officer, registrant=dod.on_b, installation=dod.installation_b)
    assert set(InstallationMonitoring.objects.visible_to(dod.lea_officer)) == {a}
    assert set(InstallationMonitoring.objects.visible_to(dod.lea_b_officer)) == {b}
    assert set(InstallationMonitoring.objects.visible_to(dod.analyst)) == {a, b}
    assert set(InstallationMonitoring.objects.visible_to(dod.va_staff)) == {a}
    assert set(InstallationMonitoring.objects.visible_to(dod.md_staff)) == {b}
    for nobody in (dod.usncb_officer, dod.sysadmin, dod.auditor, dod.va_admin):
        assert not InstallationMonitoring.objects.visible_to(nobody).exists()
    assert set(InstallationMonitoring.objects.visible_to(dod.analyst, "change")) == set()
    assert set(InstallationMonitoring.objects.visible_to(dod.va_staff, "change")) == set()


# --- monitoring: pages --------------------------------------------------------------------------


def test_lea_opens_plans_logs_and_ends_through_the_pages(dod, client):
    client.force_login(dod.lea_officer)
    page = client.get(reverse("monitoring_list"))
    assert page.status_code == 200
    assert "Ames" in page.text and "Cole" not in page.text and "Bell" not in page.text  # only who lives/works on A
    response = client.post(reverse("monitoring_create"), {"registrant": dod.on_a.pk})
    monitoring = InstallationMonitoring.objects.get()
    assert response.url == monitoring.get_absolute_url()
    url = reverse("monitoring_update", args=[monitoring.pk])
    bad = client.post(url, {"plan-monitored_by": "installation", "plan-check_interval_days": "0"})
    assert bad.status_code == 400 and "check_interval_days" in bad.context["plan_form"].errors
    ok = client.post(
        url,
        {
            "plan-coordinated_with": dod.va.pk, "plan-coordinated_on": "2026-01-02", "plan-restrictions_found": "true",
            "plan-restrictions": "No contact with minors", "plan-monitored_by": "installation",
            "plan-check_interval_days": "14",
        },
    )  # fmt: skip
    assert ok.status_code == 302
    monitoring.refresh_from_db()
    assert monitoring.restrictions == "No contact with minors" and monitoring.check_interval_days == 14
    bad = client.post(reverse("monitoring_check", args=[monitoring.pk]), {"check-checked_on": "", "check-outcome": "x"})
    assert bad.status_code == 400 and {"checked_on", "outcome"} <= set(bad.context["check_form"].errors)
    client.post(
        reverse("monitoring_check", args=[monitoring.pk]),
        {"check-checked_on": date.today().isoformat(), "check-outcome": "compliant"},
    )
    assert monitoring.checks.count() == 1
    detail = client.get(monitoring.get_absolute_url())
    assert "Compliant with restrictions" in detail.text and "History" in detail.text
    client.post(reverse("monitoring_end", args=[monitoring.pk]), {"end-ended_on": date.today(), "end-reason": "PCS"})
    monitoring.refresh_from_db()
    assert monitoring.status == MonitoringStatus.ENDED


def test_monitoring_pages_refuse_other_installations_and_anonymous(dod, client):
    monitoring = start(dod)
    urls = [
        ("get", reverse("monitoring_detail", args=[monitoring.pk])),
        ("post", reverse("monitoring_update", args=[monitoring.pk])),
        ("post", reverse("monitoring_check", args=[monitoring.pk])),
        ("post", reverse("monitoring_end", args=[monitoring.pk])),
    ]
    for method, url in [*urls, ("get", reverse("monitoring_list"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    client.force_login(dod.lea_b_officer)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    assert "Ames" not in client.get(reverse("monitoring_list")).text
    client.force_login(dod.analyst)  # NSOTC reads but does not keep the plan
    assert client.get(urls[0][1]).status_code == 200
    for method, url in urls[1:]:
        assert getattr(client, method)(url).status_code == 404, url
    client.force_login(dod.lea_b_officer)
    assert client.post(reverse("monitoring_create"), {"registrant": dod.on_a.pk}).status_code == 404


def test_monitoring_list_page_query_count_does_not_grow(dod, client, django_assert_max_num_queries):
    for n in range(8):
        r = registrant_create(
            actor=None, registering_agency=dod.va, external_id=f"Q-{n}", given_name="Q", surname=f"Q{n}",
            installation=dod.installation, lives_on_installation=True,
        )  # fmt: skip
        monitoring_start(actor=dod.lea_officer, registrant=r, installation=dod.installation)
    client.force_login(dod.lea_officer)
    client.get(reverse("monitoring_list"))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("monitoring_list") + "?queue=all").status_code == 200


# --- monitoring: API ---------------------------------------------------------------------------


def test_monitoring_api_scoping_writes_and_field_errors(dod, django_assert_max_num_queries):
    assert api().get("/api/v1/monitoring/").status_code in (401, 403)
    lea = api(dod.lea_officer)
    bad = lea.post("/api/v1/monitoring/", {"monitored_by": "nobody"}, format="json")
    assert bad.status_code == 400 and {"registrant", "monitored_by"} <= set(bad.json())
    # someone merely assigned to the installation is not the LEA's to see at all
    # (and reads exactly as a registrant that does not exist: no existence oracle)
    hidden = lea.post("/api/v1/monitoring/", {"registrant": dod.off_a.pk}, format="json")
    missing = lea.post("/api/v1/monitoring/", {"registrant": 999_999}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["registrant"] == [m.replace("999999", str(dod.off_a.pk)) for m in missing.json()["registrant"]]
    created = lea.post(
        "/api/v1/monitoring/", {"registrant": dod.on_a.pk, "monitored_by": "installation"}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api(dod.lea_b_officer).get(f"/api/v1/monitoring/{pk}/").status_code == 404
    assert api(dod.lea_b_officer).patch(f"/api/v1/monitoring/{pk}/", {"notes": "x"}, format="json").status_code == 404
    assert api(dod.lea_b_officer).post(f"/api/v1/monitoring/{pk}/checks/", {}, format="json").status_code == 404
    assert api(dod.lea_b_officer).get("/api/v1/monitoring/").json()["results"] == []
    assert api(dod.md_staff).get(f"/api/v1/monitoring/{pk}/").status_code == 404
    assert api(dod.analyst).get(f"/api/v1/monitoring/{pk}/").status_code == 200
    assert api(dod.analyst).patch(f"/api/v1/monitoring/{pk}/", {"notes": "x"}, format="json").status_code == 404
    bad = lea.patch(f"/api/v1/monitoring/{pk}/", {"check_interval_days": 0}, format="json")
    assert bad.status_code == 400 and "check_interval_days" in bad.json()
    assert lea.patch(f"/api/v1/monitoring/{pk}/", {"restrictions": "No parks"}, format="json").status_code == 200
    bad = lea.post(f"/api/v1/monitoring/{pk}/checks/", {"checked_on": "2026-13-01", "outcome": "x"}, format="json")
    assert bad.status_code == 400 and {"checked_on", "outcome"} <= set(bad.json())
    check = lea.post(
        f"/api/v1/monitoring/{pk}/checks/", {"checked_on": date.today().isoformat(), "outcome": "compliant"}
    )
    assert check.status_code == 201
    with django_assert_max_num_queries(9):
        listing = lea.get("/api/v1/monitoring/")
    assert [row["id"] for row in listing.json()["results"]] == [pk]
    assert listing.json()["results"][0]["checks"][0]["outcome"] == "compliant"


# --- UCMJ separation notices -------------------------------------------------------------------


def separation_fields(**overrides):
    fields = {
        "kind": "separation", "component": "army", "given_name": "Frank", "surname": "Dunn",
        "date_of_birth": date(1990, 2, 3), "ucmj_article": "Art. 120b", "offense": "Sexual abuse of a child",
        "conviction_date": date(2026, 9, 1), "effective_date": date(2026, 12, 1),
        "residence_street": "1 Elm St", "residence_city": "Richmond", "residence_state": "va",
    }  # fmt: skip
    fields.update(overrides)
    return fields


def test_separation_goes_to_the_state_registry_and_nsotc_and_both_acknowledge(dod):
    notice = separation_file(actor=dod.lea_officer, **separation_fields())
    assert notice.state_registry == dod.va and notice.filed_by_agency == dod.lea
    assert notice.residence_state == "VA" and notice.status == SeparationStatus.SENT
    assert set(SeparationNotice.objects.visible_to(dod.va_staff)) == {notice}
    assert set(SeparationNotice.objects.visible_to(dod.analyst)) == {notice}
    assert set(SeparationNotice.objects.visible_to(dod.lea_officer)) == {notice}
    for nobody in (dod.md_staff, dod.lea_b_officer, dod.usncb_officer, dod.sysadmin):
        assert not SeparationNotice.objects.visible_to(nobody).exists()
    with pytest.raises(PermissionDenied):
        separation_acknowledge(actor=dod.md_staff, notice=notice)
    separation_acknowledge(actor=dod.va_staff, notice=notice)
    notice.refresh_from_db()
    assert notice.status == SeparationStatus.PARTLY_ACKNOWLEDGED and notice.state_acknowledged_by == dod.va_staff
    with pytest.raises(ValidationError):
        separation_acknowledge(actor=dod.va_staff, notice=notice)
    separation_acknowledge(actor=dod.analyst, notice=notice)
    notice.refresh_from_db()
    assert notice.status == SeparationStatus.ACKNOWLEDGED
    assert [h.history_user for h in notice.history.order_by("history_id")] == [
        dod.lea_officer,
        dod.va_staff,
        dod.analyst,
    ]


def test_separation_field_errors_and_who_may_file(dod):
    with pytest.raises(ValidationError) as exc:
        separation_file(actor=dod.lea_officer, **separation_fields(residence_state="ZZ"))
    assert "residence_state" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        separation_file(actor=dod.lea_officer, **separation_fields(effective_date=date(2026, 8, 1)))
    assert "effective_date" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        separation_file(actor=dod.va_staff, **separation_fields())
    assert not SeparationNotice.objects.exists()


def test_separation_pages_and_api(dod, client, django_assert_max_num_queries):
    response = client.get(reverse("separation_list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert api().post("/api/v1/separation-notices/", {}, format="json").status_code in (401, 403)
    client.force_login(dod.va_staff)
    assert client.get(reverse("separation_create")).status_code == 403
    client.force_login(dod.lea_officer)
    form = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in separation_fields().items()}
    bad = client.post(reverse("separation_create"), {**form, "residence_state": "ZZ"})
    assert bad.status_code == 400 and "residence_state" in bad.context["form"].errors
    response = client.post(reverse("separation_create"), form)
    notice = SeparationNotice.objects.get()
    assert response.url == notice.get_absolute_url()
    client.force_login(dod.md_staff)
    assert client.get(notice.get_absolute_url()).status_code == 404
    assert client.post(reverse("separation_acknowledge", args=[notice.pk])).status_code == 404
    client.force_login(dod.va_staff)
    assert "Acknowledge receipt" in client.get(notice.get_absolute_url()).text
    client.post(reverse("separation_acknowledge", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.state_acknowledged_by == dod.va_staff
    # API
    created = api(dod.lea_officer).post("/api/v1/separation-notices/", {**form, "kind": "release"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    bad = api(dod.lea_officer).post("/api/v1/separation-notices/", {**form, "conviction_date": "x"}, format="json")
    assert bad.status_code == 400 and "conviction_date" in bad.json()
    assert api(dod.md_staff).get(f"/api/v1/separation-notices/{pk}/").status_code == 404
    assert api(dod.md_staff).post(f"/api/v1/separation-notices/{pk}/acknowledge/").status_code == 404
    acked = api(dod.analyst).post(f"/api/v1/separation-notices/{pk}/acknowledge/")
    assert acked.status_code == 200 and acked.json()["status"] == "partly_acknowledged"
    with django_assert_max_num_queries(8):
        listing = api(dod.va_staff).get("/api/v1/separation-notices/")
    assert {row["id"] for row in listing.json()["results"]} == {notice.pk, pk}
    with django_assert_max_num_queries(10):
        assert client.get(reverse("separation_list")).status_code == 200
