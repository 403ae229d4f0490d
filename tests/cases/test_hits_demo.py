"""The demo seed step: hits waiting in the review queue and one confirmed, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from cases.choices_hits import HitStatus
from cases.models import Hit

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_queued_and_confirmed_hits_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo hits: created 4" in out.getvalue()
    statuses = list(Hit.objects.values_list("status", flat=True))
    assert statuses.count(HitStatus.CONFIRMED) >= 1
    assert sum(s in HitStatus.open_statuses() for s in statuses) >= 2
    confirmed = Hit.objects.get(source_id="DEMO-APIS-0002")
    assert confirmed.status == HitStatus.CONFIRMED
    assert confirmed.registrant.external_id == "DEMO-VA-001"
    before = {h.pk: (h.status, h.history.count()) for h in Hit.objects.all()}
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo hits: created 0, unchanged 4" in out.getvalue()
    assert {h.pk: (h.status, h.history.count()) for h in Hit.objects.all()} == before
