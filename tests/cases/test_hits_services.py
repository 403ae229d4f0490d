"""Hit services and scoping: who sees which hit, the transition table, analysts' decisions with
history, the false-match memory, the event a confirmed hit raises and the registrant timeline."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import services
from cases.choices_hits import HitEventType, HitSource, HitStatus, ReviewDecision
from cases.models import FalseMatch, Hit, HitDecision
from cases.selectors_hits import hit_queue, hit_timeline_entries, visible_candidates
from rsoits.choices import Role
from tests.factories import member

from .factories_hits import HitCandidateFactory, HitFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


@pytest.fixture
def published(monkeypatch):
    """The events publish_event was asked to raise (the real function still runs)."""
    calls = []
    real = services.hits.publish_event

    def record(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services.hits, "publish_event", record)
    return calls


def ingest(actor=None, agency=None, **fields):
    base = {"event_type": HitEventType.PORT_DEPARTURE, "source": HitSource.MANUAL, "occurred_at": WHEN,
            "port_code": "IAD"}  # fmt: skip
    return services.hit_ingest(actor=actor, agency=agency, **{**base, **fields})


def review_hit(world, source_id="R-1"):
    """Margaret Smith without a date of birth: left for an analyst."""
    hit, created = ingest(world.analyst, source_id=source_id, given_name="Margaret", surname="Smith", sex="F")
    assert created and hit.status == HitStatus.AWAITING_REVIEW
    return hit


# --- scoping -----------------------------------------------------------------------------


@pytest.fixture
def scoped(world, hit_people, cbp, ppt):
    """One hit of each kind the scope distinguishes."""

    class Hits:
        pass

    h = Hits()
    h.cbp_open = HitFactory(submitting_agency=cbp)
    h.cbp_confirmed_va = HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.ali)
    h.ppt_confirmed_md = HitFactory(
        submitting_agency=ppt, source=HitSource.CLASS, event_type=HitEventType.PASSPORT_APPLICATION,
        status=HitStatus.CONFIRMED, registrant=hit_people.smith,
    )  # fmt: skip
    h.foreign = HitFactory(
        submitting_agency=world.usncb, source=HitSource.INTERPOL, event_type=HitEventType.FOREIGN_INBOUND
    )
    h.imesa_here = HitFactory(
        submitting_agency=world.nsotc, source=HitSource.IMESA, event_type=HitEventType.IMESA_MATCH,
        installation=world.installation,
    )  # fmt: skip
    h.confirmed_belvoir = HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.fictional)
    return h


def visible(user, action="view"):
    return set(Hit.objects.visible_to(user, action).values_list("pk", flat=True))


def test_scope_per_role(world, scoped, system_client, ppt_client):
    h = scoped
    every = set(Hit.objects.values_list("pk", flat=True))
    assert visible(world.analyst) == every
    assert visible(world.supervisor) == every
    assert visible(system_client) == {h.cbp_open.pk, h.cbp_confirmed_va.pk, h.confirmed_belvoir.pk}
    assert visible(ppt_client) == {h.ppt_confirmed_md.pk}
    # SORAs: only hits confirmed against their own registrants (Fictional is VA's too)
    assert visible(world.va_staff) == {h.cbp_confirmed_va.pk, h.confirmed_belvoir.pk}
    assert visible(world.md_staff) == {h.ppt_confirmed_md.pk}
    assert visible(world.usncb_officer) == {h.foreign.pk}
    assert visible(world.lea_officer) == {h.imesa_here.pk, h.confirmed_belvoir.pk}
    for nobody in (world.va_admin, world.md_admin, world.sysadmin, world.auditor):
        assert visible(nobody) == set()
    hr = member(world.md, Role.COMPONENT_HR, username="hr")
    assert visible(hr) == set()


def test_only_nsotc_may_change(world, scoped, system_client):
    every = set(Hit.objects.values_list("pk", flat=True))
    assert visible(world.analyst, "change") == every
    for user in (system_client, world.va_staff, world.usncb_officer, world.lea_officer, world.sysadmin):
        assert visible(user, "change") == set()


def test_candidates_are_filtered_by_registrant_visibility(world, hit_people, cbp):
    hit = HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.ali_md)
    HitCandidateFactory(hit=hit, registrant=hit_people.ali_md, rank=1)
    HitCandidateFactory(hit=hit, registrant=hit_people.ali, rank=2)
    assert [c.registrant for c in visible_candidates(world.md_staff).filter(hit=hit)] == [hit_people.ali_md]
    assert [c.registrant for c in visible_candidates(world.va_staff).filter(hit=hit)] == [hit_people.ali]
    assert [c.registrant for c in visible_candidates(world.analyst).filter(hit=hit)] == [
        hit_people.ali_md,
        hit_people.ali,
    ]
    assert list(visible_candidates(world.usncb_officer).filter(hit=hit)) == []


# --- ingest ------------------------------------------------------------------------------


def test_ingest_is_idempotent_and_needs_an_entitled_submitter(world, hit_people, cbp, system_client):
    hit, created = ingest(system_client, source=HitSource.TECS_APIS, source_id="A-1", surname="Nobody")
    assert created and hit.submitting_agency == cbp
    again, created = ingest(system_client, source=HitSource.TECS_APIS, source_id="A-1", surname="Other")
    assert (again.pk, created, again.surname) == (hit.pk, False, "Nobody")
    assert (again.decisions.count(), again.history.count()) == (1, 1)  # the resend wrote nothing
    with pytest.raises(PermissionDenied):
        ingest(world.va_staff, source_id="A-2", surname="Nobody")
    with pytest.raises(ValidationError) as exc:
        ingest(system_client, source_id="A-3", surname="Nobody", colour="blue")
    assert "colour" in exc.value.message_dict
    assert Hit.objects.count() == 1


def test_history_names_the_submitter(world, hit_people, system_client):
    hit, _ = ingest(system_client, source_id="H-1", surname="Nobody")
    assert hit.history.count() >= 1
    assert {h.history_user for h in hit.history.all()} == {system_client}
    assert hit.history.earliest().history_type == "+"


def test_document_numbers_are_stored_searchable(world, hit_people, system_client):
    hit, _ = ingest(system_client, source_id="D-1", surname="Nobody", passport_number="ab 12-3456",
                    passport_country="fr", visa_number="v1234567", alien_number="A012345678")  # fmt: skip
    assert (hit.passport_norm, hit.visa_norm, hit.alien_norm) == ("AB123456", "V1234567", "012345678")
    assert hit.passport_country == "FR"
    assert Hit.objects.filter(passport_norm="AB123456").get() == hit


# --- matching and decisions --------------------------------------------------------------


def test_automatic_match_confirms_publishes_and_shows_on_the_timeline(world, hit_people, published):
    hit, _ = ingest(world.analyst, source_id="M-1", given_name="Mohammed", surname="Ali",
                    date_of_birth=date(1979, 5, 6), passport_number="P1234567", passport_country="US",
                    destination_country="TH")  # fmt: skip
    assert (hit.decision, hit.status, hit.registrant) == ("match", HitStatus.CONFIRMED, hit_people.ali)
    decision = hit.decisions.get()
    assert (decision.decision, decision.decided_by, decision.from_status, decision.to_status) == (
        "auto_match", None, "new", "confirmed",
    )  # fmt: skip
    # matched before it is stored: written once, already confirmed, with its candidates
    assert [(h.history_type, h.status, h.registrant_id) for h in hit.history.all()] == [
        ("+", HitStatus.CONFIRMED, hit_people.ali.pk)
    ]
    assert hit.candidates.filter(rank=1, registrant=hit_people.ali).exists()
    assert len(published) == 1
    event = published[0]
    assert (event["event_type"], event["registrant"], event["source"]) == ("port_departure", hit_people.ali, hit)
    assert event["context"] == {"countries": ["TH"]}
    # on the timeline of those who may see the hit
    entries = hit_timeline_entries(hit_people.ali, world.va_staff)
    assert [e.url for e in entries] == [hit.get_absolute_url()]
    assert entries[0].kind == "hit" and entries[0].actor == "matching"
    assert hit_timeline_entries(hit_people.ali, world.md_staff) == []


def test_no_match_closes_the_hit(world, hit_people):
    hit, _ = ingest(world.analyst, source_id="N-1", given_name="Nobody", surname="Unknownperson")
    assert (hit.decision, hit.status) == ("no_match", HitStatus.NO_MATCH)
    assert not hit.candidates.exists()


def test_confirmed_match_by_an_analyst_with_history(world, hit_people, published):
    hit = review_hit(world)
    candidate = hit.candidates.get(registrant=hit_people.smith)
    record = services.hit_decide(
        actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=candidate, note="Same person."
    )
    hit.refresh_from_db()
    assert (hit.status, hit.registrant, record.decided_by, record.note) == (
        HitStatus.CONFIRMED, hit_people.smith, world.analyst, "Same person.",
    )  # fmt: skip
    assert record.from_status == HitStatus.AWAITING_REVIEW and record.decided_at is not None
    latest = hit.history.first()
    assert (latest.history_user, latest.status, latest.registrant_id) == (
        world.analyst,
        "confirmed",
        hit_people.smith.pk,
    )
    assert record.history.first().history_user == world.analyst
    assert [e["event_type"] for e in published] == ["port_departure"]
    assert published[0]["actor"] == world.analyst
    entries = hit_timeline_entries(hit_people.smith, world.md_staff)
    assert len(entries) == 1 and entries[0].actor == "analyst"


def test_illegal_transitions_are_refused_with_a_clear_message(world, hit_people):
    hit = review_hit(world)
    candidate = hit.candidates.first()
    services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.DUPLICATE, note="Same as #1.")
    with pytest.raises(ValidationError) as exc:
        services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=candidate)
    assert "duplicate hit cannot be given the decision 'Confirmed match'" in str(exc.value.message_dict["decision"])
    with pytest.raises(ValidationError) as exc:
        services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.AUTO_MATCH)
    assert "decision" in exc.value.message_dict
    assert Hit.objects.get(pk=hit.pk).status == HitStatus.DUPLICATE


def test_decision_inputs_are_checked(world, hit_people, system_client):
    hit = review_hit(world)
    other = review_hit(world, source_id="R-2")
    for decision in (ReviewDecision.DUPLICATE, ReviewDecision.NEEDS_INFORMATION):
        with pytest.raises(ValidationError) as exc:
            services.hit_decide(actor=world.analyst, hit=hit, decision=decision, note="  ")
        assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH)
    assert "candidate" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.hit_decide(
            actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=other.candidates.first()
        )
    assert "candidate" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.DUPLICATE, duplicate_of=hit, note="x")
    assert "duplicate_of" in exc.value.message_dict
    for user in (world.va_staff, system_client, world.sysadmin, None):
        with pytest.raises(PermissionDenied):
            services.hit_decide(actor=user, hit=hit, decision=ReviewDecision.NEEDS_INFORMATION, note="x")
    assert HitDecision.objects.filter(hit=hit).count() == 1  # the engine's, nothing else


def test_needs_information_then_duplicate(world, hit_people):
    first = review_hit(world)
    second = review_hit(world, source_id="R-2")
    services.hit_decide(actor=world.analyst, hit=second, decision=ReviewDecision.NEEDS_INFORMATION, note="Ask CBP.")
    assert Hit.objects.get(pk=second.pk).status == HitStatus.NEEDS_INFORMATION
    services.hit_decide(
        actor=world.supervisor, hit=second, decision=ReviewDecision.DUPLICATE, duplicate_of=first, note="Resent."
    )
    second.refresh_from_db()
    assert (second.status, second.duplicate_of) == (HitStatus.DUPLICATE, first)
    assert [(d.decision, d.decided_by) for d in second.decisions.all()] == [
        ("auto_review", None), ("needs_information", world.analyst), ("duplicate", world.supervisor),
    ]  # fmt: skip


def test_false_match_is_remembered_for_the_source_record(world, hit_people, published):
    hit = review_hit(world)
    smith = hit.candidates.get(registrant=hit_people.smith)
    services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.FALSE_MATCH, candidate=smith)
    hit.refresh_from_db()
    assert hit.status == HitStatus.FALSE_MATCH  # Smith was the only candidate
    memory = FalseMatch.objects.get()
    assert (memory.source, memory.source_id, memory.registrant, memory.decided_by) == (
        "manual", "R-1", hit_people.smith, world.analyst,
    )  # fmt: skip
    assert memory.history.first().history_user == world.analyst
    # Matched again (say after the registry changed): Smith is not raised again for this record...
    services.hit_rematch(actor=world.analyst, hit=hit)
    hit.refresh_from_db()
    assert hit_people.smith.pk not in set(hit.candidates.values_list("registrant_id", flat=True))
    assert hit.status == HitStatus.NO_MATCH
    # ...but is for another source record with the same subject.
    other = review_hit(world, source_id="R-2")
    assert other.candidates.filter(registrant=hit_people.smith).exists()
    assert published == []


def test_false_match_of_one_candidate_keeps_the_others_open(world, hit_people, settings):
    settings.MATCH_REVIEW_THRESHOLD = 0.2  # both namesakes (no date of birth reported) go to review
    hit, _ = ingest(world.analyst, source_id="F-1", given_name="Mohamed", surname="Aly", sex="M")
    assert hit.status == HitStatus.AWAITING_REVIEW
    candidates = list(hit.candidates.all())
    assert {hit_people.ali.pk, hit_people.ali_md.pk} <= {c.registrant_id for c in candidates}
    first = candidates[0]
    services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.FALSE_MATCH, candidate=first)
    hit.refresh_from_db()
    assert hit.status == HitStatus.AWAITING_REVIEW
    assert set(hit.candidates.filter(false_match=True).values_list("pk", flat=True)) == {first.pk}
    # the marked one cannot be confirmed any more; the others can
    with pytest.raises(ValidationError):
        services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=first)
    second = candidates[1]
    services.hit_decide(actor=world.analyst, hit=hit, decision=ReviewDecision.CONFIRMED_MATCH, candidate=second)
    assert Hit.objects.get(pk=hit.pk).registrant_id == second.registrant_id


def test_queue_puts_fugitives_first_then_the_oldest(world, hit_people, cbp):
    old = HitFactory(submitting_agency=cbp, received_at=datetime(2026, 11, 1, tzinfo=UTC))
    HitCandidateFactory(hit=old, registrant=hit_people.smith)
    newer_fugitive = HitFactory(submitting_agency=cbp, received_at=datetime(2026, 11, 5, tzinfo=UTC))
    HitCandidateFactory(hit=newer_fugitive, registrant=hit_people.ali)  # an active warrant
    older = HitFactory(
        submitting_agency=cbp, received_at=datetime(2026, 10, 1, tzinfo=UTC), status=HitStatus.NEEDS_INFORMATION
    )
    HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.smith)  # decided: not queued
    HitFactory(submitting_agency=cbp, status=HitStatus.NO_MATCH)
    assert list(hit_queue(user=world.analyst)) == [newer_fugitive, older, old]
    assert list(hit_queue(user=world.va_staff)) == []


def test_usncb_submits_inbound_foreign_notices_only(world):
    """USNCB logs the foreign notices it receives as hits of its own; it files no other kind."""
    assert services.submitting_agency_for(world.usncb_officer, HitEventType.FOREIGN_INBOUND) == world.usncb
    with pytest.raises(PermissionDenied):
        services.submitting_agency_for(world.usncb_officer, HitEventType.PORT_ARRIVAL)
    with pytest.raises(PermissionDenied):
        services.submitting_agency_for(world.va_staff, HitEventType.FOREIGN_INBOUND)
    assert services.submitting_agency_for(world.analyst, HitEventType.PORT_ARRIVAL) == world.nsotc
