"""The demo seed: a few travel notices (one late), cases in several states; a second run adds
nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from cases.choices import CaseStatus, TravelNoticeStatus
from cases.models import Case, TravelNotice

pytestmark = pytest.mark.django_db


def test_seed_demo_travel_and_cases_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo travel notices and cases: created 5" in out.getvalue()
    assert TravelNotice.objects.count() == 5
    assert TravelNotice.objects.filter(is_late=True).count() == 1
    assert TravelNotice.objects.filter(status=TravelNoticeStatus.DRAFT).count() == 1
    assert TravelNotice.objects.filter(travel_prohibited_flag=True).count() == 1
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {CaseStatus.OPEN, CaseStatus.IN_REVIEW, CaseStatus.FORWARDED, CaseStatus.CLOSED}
    closed = Case.objects.get(status=CaseStatus.CLOSED)
    assert [e.to_status for e in closed.events.all()] == ["open", "in_review", "forwarded", "closed"]
    assert closed.events.get(to_status="in_review").actor.username == "nsotc_analyst"

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo travel notices and cases: created 0" in out.getvalue()
    assert TravelNotice.objects.count() == 5 and Case.objects.filter(travel_notice__isnull=False).count() == 4
    # the demo's confirmed hit opened its own case, once
    assert Case.objects.filter(source_hit_id__isnull=False).count() == 1
