"""Hits API: ingest by system clients (idempotent, field errors), scoped reads per role with
candidates filtered by registrant visibility, NSOTC decisions, access log and query counts."""

import threading

import pytest
from django.db import connection

from cases.choices_hits import HitStatus
from cases.models import FalseMatch, Hit, HitDecision
from rsoits.models import AccessLog
from tests.cases.conftest import api_for
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "event_type": "port_departure",
    "source": "tecs_apis",
    "source_id": "APIS-2026-000001",
    "occurred_at": "2026-11-20T14:05:00Z",
    "port_code": "iad",
    "given_name": "Muhammad",
    "surname": "Aly",
    "date_of_birth": "1979-05-06",
    "sex": "M",
    "nationality": "US",
    "flight": "UA 0917",
    "destination_country": "th",
}


def post(client, **changes):
    return client.post("/api/v1/hits/", {**PAYLOAD, **changes}, format="json")


def test_anonymous_is_refused(world, hit_people):
    anonymous = api_for()
    assert anonymous.get("/api/v1/hits/").status_code in (401, 403)
    assert post(anonymous).status_code in (401, 403)
    assert anonymous.post("/api/v1/hits/1/decide/", {"decision": "false_match"}).status_code in (401, 403)
    assert not Hit.objects.exists()


def test_system_client_creates_with_matching_result_and_resend_is_idempotent(world, hit_people, cbp_api, system_client):
    response = post(cbp_api)
    assert response.status_code == 201, response.data
    body = response.json()
    hit = Hit.objects.get()
    assert body["id"] == hit.pk
    assert body["submitting_agency"] == "CBP"
    assert (body["port_code"], body["destination_country"]) == ("IAD", "TH")
    # The alias "Muhammad Aly" with the exact DOB is matched to the VA fugitive automatically.
    assert body["decision"] == "match"
    assert body["status"] == HitStatus.CONFIRMED
    assert hit.registrant == hit_people.ali
    assert hit.submitted_by == system_client
    # A system client learns the outcome, never who the registrant is or who else was a candidate.
    assert body["registrant"] is None
    assert body["candidates"] == []
    assert hit.candidates.count() >= 1

    again = post(cbp_api, given_name="Changed")
    assert again.status_code == 200, again.data
    assert again.json()["id"] == hit.pk
    assert again.json()["given_name"] == "Muhammad"
    assert Hit.objects.count() == 1
    assert hit.history.count() == Hit.objects.get().history.count()
    assert HitDecision.objects.filter(hit=hit).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_resend_outside_any_transaction_rolls_back_whole_and_answers_the_stored_hit(
    world, hit_people, cbp_api, django_capture_on_commit_callbacks
):
    """As in service (the request holds no transaction): the resend's insert fails on the unique
    constraint, its transaction is rolled back whole, and the hit already stored is answered;
    nothing of the resend is left, and what the first one routed is untouched."""
    from notifications.models import Notification, NotificationEvent

    first = post(cbp_api)
    assert first.status_code == 201, first.data
    stored = (Hit.objects.count(), HitDecision.objects.count(), NotificationEvent.objects.count(),
              Notification.objects.count(), Hit.history.count())  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        again = post(cbp_api, given_name="Changed")
    assert again.status_code == 200, again.data
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["given_name"] == "Muhammad"
    assert callbacks == []  # (no relay asked for: nothing was committed)
    assert (Hit.objects.count(), HitDecision.objects.count(), NotificationEvent.objects.count(),
            Notification.objects.count(), Hit.history.count()) == stored  # fmt: skip
    # NSOTC sending the same record is answered the stored hit too, and leaves nothing either.
    assert post(api_for(world.analyst), given_name="Other").json()["id"] == first.json()["id"]
    assert Hit.history.count() == stored[4]


@pytest.mark.parametrize("submitter", ["system_client", "analyst"])
def test_the_answer_to_a_new_hit_is_what_reading_it_gives(world, hit_people, cbp_api, submitter):
    """A new hit is answered from what was just stored (not read back): the answer must be the
    same as a later read, the candidates the submitter may see and the confirmed registrant
    included or left out alike."""
    client = cbp_api if submitter == "system_client" else api_for(world.analyst)
    variants = [
        {},  # the alias and the exact date of birth: an automatic match
        {"given_name": "Mohamed", "surname": "Ali", "date_of_birth": "1979-06-05"},
        {"given_name": "Nobody", "surname": "Unknownperson"},
    ]
    decisions = []
    for n, changes in enumerate(variants):
        created = post(client, source_id=f"APIS-READ-{n}", **changes)
        assert created.status_code == 201, created.data
        read = client.get(f"/api/v1/hits/{created.json()['id']}/")
        assert read.status_code == 200
        assert created.json() == read.json()
        decisions.append(created.json()["decision"])
        if submitter == "analyst" and decisions[-1] != "no_match":
            assert created.json()["candidates"]
    assert decisions == ["match", "review", "no_match"]


def test_malformed_hit_names_each_bad_field_and_stores_nothing(world, cbp_api):
    response = post(
        cbp_api,
        event_type="teleport",
        occurred_at="yesterday",
        date_of_birth="1979-13-40",
        nationality="XX",
        passport_number="P!",
        passport_country="USA",
        alien_number="B12",
        sex="Q",
        source_id="",
    )
    assert response.status_code == 400
    errors = response.json()
    assert {
        "event_type", "occurred_at", "date_of_birth", "nationality", "passport_number", "passport_country",
        "alien_number", "sex", "source_id",
    } <= set(errors), errors  # fmt: skip
    assert "ISO 3166" in " ".join(errors["nationality"])
    # dates in the future are named with the other bad fields, in the same answer
    future = post(cbp_api, event_type="teleport", occurred_at="2099-01-01T00:00:00Z", date_of_birth="2090-01-01")
    assert future.status_code == 400
    assert future.json() == {
        "event_type": ['"teleport" is not a valid choice.'],
        "occurred_at": ["The event cannot be in the future."],
        "date_of_birth": ["The date of birth cannot be in the future."],
    }
    missing = cbp_api.post("/api/v1/hits/", {"event_type": "esta"}, format="json")
    assert missing.status_code == 400
    assert {"source", "source_id", "occurred_at", "surname"} <= set(missing.json())
    assert not Hit.objects.exists()


def test_rules_across_fields_are_named_too(world, cbp_api):
    response = post(cbp_api, passport_number="X1234567", passport_country="")
    assert response.status_code == 400
    assert set(response.json()) == {"passport_country"}
    response = post(cbp_api, source_id="IMESA-1", event_type="imesa_match", source="imesa")
    assert response.status_code == 400
    assert "installation" in response.json()
    response = post(cbp_api, source_id="FUT-1", occurred_at="2099-01-01T00:00:00Z")
    assert "occurred_at" in response.json()
    assert not Hit.objects.exists()


def test_only_system_clients_and_nsotc_submit(world, hit_people):
    assert post(api_for(world.va_staff)).status_code == 403
    assert post(api_for(world.usncb_officer)).status_code == 403
    response = post(api_for(world.analyst), source="manual", source_id="NSOTC-1")
    assert response.status_code == 201
    assert response.json()["submitting_agency"] == "NSOTC"


def test_system_client_reads_only_its_own(world, hit_people, cbp_api, ppt_client):
    own = post(cbp_api).json()["id"]
    other = post(api_for(ppt_client), source="class", source_id="CLASS-9", event_type="passport_application").json()
    listed = cbp_api.get("/api/v1/hits/").json()["results"]
    assert [row["id"] for row in listed] == [own]
    assert cbp_api.get(f"/api/v1/hits/{own}/").status_code == 200
    assert cbp_api.get(f"/api/v1/hits/{other['id']}/").status_code == 404
    assert AccessLog.objects.filter(username="cbp_client", outcome="denied", object_id=str(other["id"])).exists()
    # Another agency cannot learn about (or take over) a source record through a resend either.
    response = post(api_for(ppt_client))
    assert response.status_code == 400
    assert "source_id" in response.json()
    assert Hit.objects.count() == 2


def test_candidates_of_invisible_registrants_never_leak_to_a_sora(world, hit_people):
    """A hit on 'Mohamed Ali' has candidates in VA and MD; MD's staff sees it once confirmed
    against MD's registrant, and sees only MD's candidate."""
    analyst = api_for(world.analyst)
    body = post(analyst, source="manual", source_id="M-1", given_name="Mohamed", surname="Ali").json()
    hit = Hit.objects.get(pk=body["id"])
    registrants = {c["registrant"] for c in body["candidates"]}
    assert {hit_people.ali.pk, hit_people.ali_md.pk} <= registrants
    if hit.status == HitStatus.CONFIRMED and hit.registrant != hit_people.ali_md:
        pytest.fail("the exact name and DOB of the MD registrant should win")
    if hit.status != HitStatus.CONFIRMED:
        candidate = next(c for c in body["candidates"] if c["registrant"] == hit_people.ali_md.pk)
        decided = analyst.post(
            f"/api/v1/hits/{hit.pk}/decide/", {"decision": "confirmed_match", "candidate": candidate["id"]}
        )
        assert decided.status_code == 201, decided.data

    md = api_for(world.md_staff)
    listed = md.get("/api/v1/hits/").json()["results"]
    assert [row["id"] for row in listed] == [hit.pk]
    assert {c["registrant"] for c in listed[0]["candidates"]} == {hit_people.ali_md.pk}
    detail = md.get(f"/api/v1/hits/{hit.pk}/").json()
    assert detail["registrant"] == hit_people.ali_md.pk
    assert {c["registrant"] for c in detail["candidates"]} == {hit_people.ali_md.pk}
    assert "VA-1" not in str(detail)
    logged = AccessLog.objects.filter(user=world.md_staff, action="view", object_type="registrants.registrant")
    assert set(logged.values_list("object_id", flat=True)) == {str(hit_people.ali_md.pk)}
    # VA's staff: the hit is about MD's registrant, so it does not exist for them.
    va = api_for(world.va_staff)
    assert va.get("/api/v1/hits/").json()["results"] == []
    assert va.get(f"/api/v1/hits/{hit.pk}/").status_code == 404


def _review_hit(world, hit_people, **changes):
    """A hit left for review: the name of an MD registrant, but no date of birth and no document."""
    fields = {"source": "manual", "source_id": "R-1", "given_name": "Margaret", "surname": "Smith",
              "date_of_birth": None, "sex": "F", **changes}  # fmt: skip
    body = post(api_for(world.analyst), **fields).json()
    hit = Hit.objects.get(pk=body["id"])
    assert hit.status == HitStatus.AWAITING_REVIEW, body
    return hit, body


def test_nsotc_decides_through_the_api_with_history(world, hit_people):
    hit, body = _review_hit(world, hit_people)
    analyst = api_for(world.analyst)
    candidate = next(c for c in body["candidates"] if c["registrant"] == hit_people.smith.pk)
    # a note is required for a request for more information
    response = analyst.post(f"/api/v1/hits/{hit.pk}/decide/", {"decision": "needs_information"})
    assert response.status_code == 400
    assert "note" in response.json()
    response = analyst.post(
        f"/api/v1/hits/{hit.pk}/decide/", {"decision": "needs_information", "note": "Ask CBP for the passport."}
    )
    assert response.status_code == 201
    assert response.json()["decided_by"] == "analyst"
    response = analyst.post(
        f"/api/v1/hits/{hit.pk}/decide/", {"decision": "confirmed_match", "candidate": candidate["id"]}
    )
    assert response.status_code == 201, response.data
    hit.refresh_from_db()
    assert (hit.status, hit.registrant) == (HitStatus.CONFIRMED, hit_people.smith)
    assert [d.decision for d in hit.decisions.all()] == ["auto_review", "needs_information", "confirmed_match"]
    assert hit.history.first().history_user == world.analyst
    # a decided hit is not decided again
    again = analyst.post(f"/api/v1/hits/{hit.pk}/decide/", {"decision": "false_match"})
    assert again.status_code == 400
    assert "decision" in again.json()


def test_false_match_through_the_api_is_remembered(world, hit_people):
    hit, _ = _review_hit(world, hit_people)
    analyst = api_for(world.analyst)
    response = analyst.post(f"/api/v1/hits/{hit.pk}/decide/", {"decision": "false_match", "note": "Different person."})
    assert response.status_code == 201
    assert FalseMatch.objects.filter(source="manual", source_id="R-1", registrant=hit_people.smith).exists()
    response = analyst.post(f"/api/v1/hits/{hit.pk}/rematch/")
    assert response.status_code == 200, response.data
    assert hit_people.smith.pk not in {c["registrant"] for c in response.json()["candidates"]}


def test_only_nsotc_decides(world, hit_people, cbp_api):
    own = post(cbp_api).json()["id"]
    # the system client sees its hit but may not decide it
    assert cbp_api.post(f"/api/v1/hits/{own}/decide/", {"decision": "false_match"}).status_code == 403
    hit, _ = _review_hit(world, hit_people)
    # a hit outside the caller's scope does not exist for them
    for user in (world.md_staff, world.va_staff, world.usncb_officer, world.sysadmin):
        assert api_for(user).post(f"/api/v1/hits/{hit.pk}/decide/", {"decision": "false_match"}).status_code == 404
        assert api_for(user).get(f"/api/v1/hits/{hit.pk}/").status_code == 404
        assert api_for(user).post(f"/api/v1/hits/{hit.pk}/rematch/").status_code == 404
    assert cbp_api.post(f"/api/v1/hits/{own}/rematch/").status_code == 403
    assert Hit.objects.get(pk=hit.pk).status == HitStatus.AWAITING_REVIEW


def test_filters_access_log_and_cursor_pagination(world, hit_people, cbp_api):
    for n in range(3):
        post(cbp_api, source_id=f"APIS-{n}", given_name="Nobody", surname=f"Unknownperson{n}")
    post(cbp_api, source_id="APIS-P", given_name="Nobody", surname="Passportholder", passport_number="X 998877",
         passport_country="FR")  # fmt: skip
    listed = cbp_api.get("/api/v1/hits/?q=x998877").json()["results"]
    assert [row["source_id"] for row in listed] == ["APIS-P"]
    assert AccessLog.objects.filter(username="cbp_client", action="search", object_type="cases.hit").exists()
    page = cbp_api.get("/api/v1/hits/?page_size=2&status=no_match").json()
    assert len(page["results"]) == 2
    assert page["next"]
    rest = cbp_api.get(page["next"]).json()["results"]
    assert {row["source_id"] for row in page["results"] + rest} == {"APIS-0", "APIS-1", "APIS-2", "APIS-P"}
    assert AccessLog.objects.filter(username="cbp_client", action="list", object_type="cases.hit").exists()


def test_list_api_query_count_is_constant(world, hit_people, django_assert_max_num_queries):
    analyst = api_for(world.analyst)
    for n in range(2):
        post(analyst, source="manual", source_id=f"Q-{n}", surname="Ali", given_name="Mohamed")
    with django_assert_max_num_queries(12) as small:
        assert len(analyst.get("/api/v1/hits/").json()["results"]) == 2
    baseline = len(small.captured_queries)  # (read now: the next request clears the query log)
    md = api_for(world.md_staff)
    with django_assert_max_num_queries(12) as small_md:
        md_before = len(md.get("/api/v1/hits/").json()["results"])
    md_baseline = len(small_md.captured_queries)
    for n in range(2, 12):
        post(analyst, source="manual", source_id=f"Q-{n}", surname="Ali", given_name="Mohamed")
    with django_assert_max_num_queries(baseline):
        assert len(analyst.get("/api/v1/hits/").json()["results"]) == 12
    # The SORA's page pays for the registrant scope once, not per row.
    with django_assert_max_num_queries(md_baseline):
        assert len(md.get("/api/v1/hits/").json()["results"]) == md_before + 10


def test_an_automatic_match_is_stored_in_a_bounded_number_of_statements(world, hit_people, cbp_api):
    """The hit is written once, already decided; the routed event and the case join the hit's
    transaction without savepoints or look-ups of their own; the answer reads only the visible
    candidates."""
    from django.test.utils import CaptureQueriesContext

    post(cbp_api, source_id="WARM-1", given_name="Nobody", surname="Unknownperson")  # (caches)
    with CaptureQueriesContext(connection) as ctx:
        response = post(cbp_api)
    assert response.json()["decision"] == "match"
    statements = [q["sql"] for q in ctx.captured_queries]
    assert [s for s in statements if s.startswith("UPDATE")] == []
    # No savepoint of its own: a resend fails on the hit's insert, the first write, and the whole
    # transaction is rolled back (in a test, the savepoint that stands for the request's
    # transaction); the event and its notifications carry the new hit's key, which nothing can
    # have used before; the new hit has no case to look for.
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 1
    assert not any(s.startswith('SELECT "cases_case"') for s in statements)
    # The answer reads nothing: the submitting agency's code comes from the client's memberships,
    # and a system client, which may see no registrant and holds no grant, is shown no candidate.
    answer = statements[next(i for i, s in enumerate(statements) if s.startswith("RELEASE SAVEPOINT")) + 1 :]
    assert answer == []
    assert len(statements) <= 30, "\n".join(statements)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_store_one_hit(world, hit_people, cbp_token):
    """Eight simultaneous resends of one source record: one 201, seven 200, one hit, one set of
    candidates (the unique constraint decides, the losers read the winner's row)."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(8)
    codes: list[int] = []
    ids: list[int] = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {cbp_token}")
        barrier.wait()
        try:
            response = post(client, source_id="APIS-RACE")
            codes.append(response.status_code)
            ids.append(response.json()["id"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] * 7 + [201], codes
    assert len(set(ids)) == 1
    hit = Hit.objects.get(source="tecs_apis", source_id="APIS-RACE")
    assert hit.decisions.count() == 1
    assert hit.candidates.count() == len({c.registrant_id for c in hit.candidates.all()})


def test_lea_and_usncb_read_their_kinds_of_hit(world, hit_people):
    analyst = api_for(world.analyst)
    imesa = post(analyst, source="imesa", source_id="IM-1", event_type="imesa_match", installation="FTBELVOIR",
                 port_code="", given_name="Nobody", surname="Unknownperson", dod_component="army",
                 dod_affiliation="contractor", dod_population="local").json()  # fmt: skip
    assert imesa["installation"] == "FTBELVOIR"
    foreign = post(analyst, source="interpol", source_id="IP-1", event_type="foreign_inbound",
                   given_name="Nobody", surname="Otherperson").json()  # fmt: skip
    lea = api_for(world.lea_officer)
    assert [row["id"] for row in lea.get("/api/v1/hits/").json()["results"]] == [imesa["id"]]
    assert lea.get(f"/api/v1/hits/{foreign['id']}/").status_code == 404
    usncb = api_for(world.usncb_officer)
    assert [row["id"] for row in usncb.get("/api/v1/hits/").json()["results"]] == [foreign["id"]]
    assert usncb.get(f"/api/v1/hits/{imesa['id']}/").status_code == 404


def test_hit_serializers_bind_their_own_copies_of_fields_built_once(world, hit_people, cbp_api, settings):
    """The hit serializers' fields are built once per class; each instance binds its own copies,
    so a field's per-request state (the parent, the URL of the request's host) never leaks."""
    from rest_framework.test import APIRequestFactory

    from cases.api.hits_serializers import HitCandidateSerializer, HitSerializer

    settings.ALLOWED_HOSTS = ["testserver", "one.example.test", "two.example.test"]
    hit = Hit.objects.get(pk=post(cbp_api).json()["id"])
    factory = APIRequestFactory()
    first = HitSerializer(context={"request": factory.get("/", HTTP_HOST="one.example.test")})
    second = HitSerializer(context={"request": factory.get("/", HTTP_HOST="two.example.test")})
    assert first.fields["url"] is not second.fields["url"]
    assert first.fields["url"].parent is first and second.fields["url"].parent is second
    assert first.to_representation(hit)["url"] == f"http://one.example.test/api/v1/hits/{hit.pk}/"
    assert second.to_representation(hit)["url"] == f"http://two.example.test/api/v1/hits/{hit.pk}/"
    assert first.to_representation(hit)["url"] == f"http://one.example.test/api/v1/hits/{hit.pk}/"
    # The prototypes stay unbound and are the ones every instance copies.
    assert all(field.parent is None for field in HitSerializer._field_prototypes.values())
    assert set(HitSerializer._field_prototypes) == set(first.fields)
    # Validation works on the copies as on built fields: errors name the field.
    bad = HitSerializer(data={"event_type": "nonsense", "occurred_at": "yesterday"})
    assert not bad.is_valid()
    assert {"event_type", "occurred_at", "source", "source_id"} <= set(bad.errors)
    assert HitCandidateSerializer().fields["rank"] is not HitCandidateSerializer().fields["rank"]


def test_the_answer_for_a_client_that_sees_no_registrant_compiles_no_query(world, hit_people, system_client):
    """A system client may see no registrant: the candidates of its new hit are left out without
    building a query that could only come back empty."""
    from unittest import mock

    from django.contrib.contenttypes.models import ContentType
    from django.db.models.sql.compiler import SQLCompiler

    from cases.selectors_hits import hit_just_stored
    from cases.services.hits import hit_ingest
    from registrants.models import Registrant

    hit, created = hit_ingest(actor=system_client, **{**PAYLOAD, "occurred_at": "2026-11-20T14:05:00Z"})
    assert created and hit.candidates_stored
    ContentType.objects.get_for_model(Registrant)  # (read once per process, then cached)
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        answered = hit_just_stored(hit, user=system_client)
    assert answered.visible_candidates == []
    assert answered.registrant_visible is False
