"""Hit pages: list and queue (scoped, filtered, logged, constant queries), detail with the
candidates side by side, the decision form, manual entry and the upload screen."""

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.choices_hits import HitEventType, HitSource, HitStatus
from cases.models import FalseMatch, Hit
from rsoits.models import AccessLog

from .factories_hits import HitCandidateFactory, HitFactory
from .test_hits_import import BAD, GOOD, csv_bytes

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def ingest(actor, **fields):
    base = {"event_type": HitEventType.PORT_DEPARTURE, "source": HitSource.MANUAL, "occurred_at": WHEN}
    hit, _ = services.hit_ingest(actor=actor, **{**base, **fields})
    return hit


def review_hit(world, source_id="R-1"):
    hit = ingest(world.analyst, source_id=source_id, given_name="Margaret", surname="Smith", sex="F")
    assert hit.status == HitStatus.AWAITING_REVIEW
    return hit


URLS = ["/cases/hits/", "/cases/hits/queue/", "/cases/hits/new/", "/cases/hits/import/", "/cases/hits/{pk}/"]


def test_anonymous_is_sent_to_sign_in(client, world, hit_people):
    hit = review_hit(world)
    for url in URLS:
        response = client.get(url.format(pk=hit.pk))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(f"/cases/hits/{hit.pk}/decide/", {"decision": "false_match"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Hit.objects.get(pk=hit.pk).status == HitStatus.AWAITING_REVIEW


def test_list_is_scoped_filtered_and_logged(client, world, hit_people, cbp):
    mine = HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.smith, surname="Smyth")
    HitFactory(submitting_agency=cbp, status=HitStatus.CONFIRMED, registrant=hit_people.ali, surname="Aly")
    HitFactory(submitting_agency=cbp, surname="Unconfirmed")
    client.force_login(world.md_staff)
    body = client.get("/cases/hits/").content.decode()
    assert "Smyth" in body and "Aly" not in body and "Unconfirmed" not in body
    assert AccessLog.objects.filter(user=world.md_staff, action="list", object_type="cases.hit", count=1).exists()
    client.force_login(world.analyst)
    body = client.get("/cases/hits/?status=awaiting_review").content.decode()
    assert "Unconfirmed" in body and "Smyth" not in body
    body = client.get("/cases/hits/?q=smy").content.decode()
    assert f"/cases/hits/{mine.pk}/" in body and "Unconfirmed" not in body
    assert AccessLog.objects.filter(user=world.analyst, action="search", object_type="cases.hit").exists()
    response = client.get("/cases/hits/?occurred_after=not-a-date")
    assert response.status_code == 200
    assert "Unconfirmed" not in response.content.decode()  # an invalid filter matches nothing


def test_navigation_offers_the_hit_list_to_every_role_that_sees_hits(client, world):
    nav_link = 'class="usa-nav-link" href="/cases/hits/"'
    for user in (world.analyst, world.va_staff, world.usncb_officer, world.lea_officer):
        client.force_login(user)
        response = client.get("/home/")
        assert nav_link in response.content.decode(), user.username
        assert client.get("/cases/hits/").status_code == 200
    for user in (world.sysadmin, world.auditor, world.va_admin):
        client.force_login(user)
        assert nav_link not in client.get("/home/").content.decode(), user.username


def test_list_page_query_count_is_constant(client, world, hit_people, cbp, django_assert_max_num_queries):
    for _ in range(2):
        HitCandidateFactory(hit=HitFactory(submitting_agency=cbp), registrant=hit_people.smith)
    client.force_login(world.analyst)
    client.get("/cases/hits/")
    with django_assert_max_num_queries(20) as small:
        client.get("/cases/hits/")
        client.get("/cases/hits/queue/")
    baseline = len(small.captured_queries)
    for _ in range(25):
        HitCandidateFactory(hit=HitFactory(submitting_agency=cbp), registrant=hit_people.ali)
    with django_assert_max_num_queries(baseline):
        client.get("/cases/hits/")
        response = client.get("/cases/hits/queue/")
    assert response.content.decode().count("/cases/hits/") >= 27


def test_queue_is_nsotc_only_and_fugitives_first(client, world, hit_people, cbp):
    plain = HitFactory(submitting_agency=cbp, received_at=datetime(2026, 11, 1, tzinfo=UTC), surname="Plainhit")
    HitCandidateFactory(hit=plain, registrant=hit_people.smith)
    fugitive = HitFactory(submitting_agency=cbp, received_at=datetime(2026, 11, 9, tzinfo=UTC), surname="Fugitivehit")
    HitCandidateFactory(hit=fugitive, registrant=hit_people.ali)
    client.force_login(world.analyst)
    body = client.get("/cases/hits/queue/").content.decode()
    assert body.index("Fugitivehit") < body.index("Plainhit")
    # each hit with its best candidate still open, for triage from the list
    best = HitCandidateFactory(hit=plain, registrant=hit_people.ali, rank=0, score=0.99876, false_match=True)
    body = client.get("/cases/hits/queue/").content.decode()
    ali, smith = hit_people.ali, hit_people.smith
    assert f">{ali.surname}, {ali.given_name} (0.800)</td>" in body  # the fugitive hit's only candidate
    assert f">{smith.surname}, {smith.given_name} (0.800)</td>" in body  # not the better one declared false
    best.false_match = False
    best.save()
    assert f">{ali.surname}, {ali.given_name} (0.998)</td>" in client.get("/cases/hits/queue/").content.decode()
    for user in (world.va_staff, world.usncb_officer, world.sysadmin):
        client.force_login(user)
        assert client.get("/cases/hits/queue/").status_code == 403


def test_detail_side_by_side_for_nsotc(client, world, hit_people):
    hit = ingest(world.analyst, source_id="D-1", given_name="Mohamed", surname="Aly", sex="M",
                 date_of_birth=date(1979, 6, 5))  # fmt: skip
    client.force_login(world.analyst)
    response = client.get(f"/cases/hits/{hit.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    candidates = list(hit.candidates.all())
    assert {hit_people.ali.pk, hit_people.ali_md.pk} <= {c.registrant_id for c in candidates}
    assert body.count('data-testid="candidate"') == len(candidates)
    for c in candidates:
        assert c.explanation in body.replace("&#x27;", "'")
    # each field's explanation beside the field it explains
    ali = next(c for c in candidates if c.registrant_id == hit_people.ali.pk)
    assert ali.fields["DOB"] == "day and month swapped" and "given name" in ali.fields and "surname" in ali.fields
    rows = body.split('aria-label="Candidate ')[1 + candidates.index(ali)].split("</table>")[0]
    names_row = rows.split('<th scope="row">Names</th>')[1].split("</tr>")[0]
    assert f"surname: {ali.fields['surname']}; given name: {ali.fields['given name']}" in names_row
    dob_row = rows.split('<th scope="row">Date of birth</th>')[1].split("</tr>")[0]
    assert "<td>day and month swapped</td>" in dob_row
    assert "VA-1" in body and "MD-1" in body  # each candidate's registry record
    assert "1979-05-06" in body and "1979-06-05" in body  # the registry's and the hit's DOB side by side
    # the hit read, and each registrant shown on it, are in the access log
    assert AccessLog.objects.filter(user=world.analyst, action="view", object_id=str(hit.pk)).exists()
    assert AccessLog.objects.filter(
        user=world.analyst, action="view", object_type="registrants.registrant", object_id=str(hit_people.ali.pk)
    ).exists()


def test_detail_scores_are_rounded_down_so_a_review_never_reads_as_certain(client, world, hit_people, cbp):
    hit = HitFactory(submitting_agency=cbp, status=HitStatus.AWAITING_REVIEW)
    HitCandidateFactory(hit=hit, registrant=hit_people.smith, rank=1, score=0.99876, decision="review")
    HitCandidateFactory(hit=hit, registrant=hit_people.ali, rank=2, score=0.3, decision="review")
    client.force_login(world.analyst)
    body = client.get(f"/cases/hits/{hit.pk}/").content.decode()
    assert "score 0.998, review" in body and "score 0.300, review" in body
    assert "score 1.00" not in body
    assert "), score 0.998</option>" in body  # the decision form's choice of candidate


def test_detail_shows_a_sora_only_its_candidates_and_other_agencies_get_404(client, world, hit_people, settings):
    settings.MATCH_REVIEW_THRESHOLD = 0.2  # both namesakes (no date of birth reported) are candidates
    hit = ingest(world.analyst, source_id="D-2", given_name="Mohamed", surname="Aly", sex="M")
    md_candidate = hit.candidates.get(registrant=hit_people.ali_md)
    services.hit_decide(actor=world.analyst, hit=hit, decision="confirmed_match", candidate=md_candidate)
    client.force_login(world.md_staff)
    body = client.get(f"/cases/hits/{hit.pk}/").content.decode()
    assert body.count('data-testid="candidate"') == 1
    assert "MD-1" in body and "VA-1" not in body and "Mohammed" not in body
    assert "Record decision" not in body  # only NSOTC decides
    client.force_login(world.va_staff)
    assert client.get(f"/cases/hits/{hit.pk}/").status_code == 404
    assert AccessLog.objects.filter(user=world.va_staff, outcome="denied", object_id=str(hit.pk)).exists()
    assert client.post(f"/cases/hits/{hit.pk}/decide/", {"decision": "false_match"}).status_code == 404


def test_decision_form_records_who_when_and_what(client, world, hit_people):
    hit = review_hit(world)
    candidate = hit.candidates.get(registrant=hit_people.smith)
    client.force_login(world.analyst)
    body = client.get(f"/cases/hits/{hit.pk}/").content.decode()
    assert "Record decision" in body
    response = client.post(f"/cases/hits/{hit.pk}/decide/", {"decision": "needs_information", "note": ""})
    assert response.status_code == 400
    assert "Say why in a note." in response.content.decode()
    response = client.post(f"/cases/hits/{hit.pk}/decide/", {"decision": "confirmed_match"})
    assert response.status_code == 400
    assert "Choose the candidate" in response.content.decode()
    response = client.post(
        f"/cases/hits/{hit.pk}/decide/",
        {"decision": "confirmed_match", "candidate": str(candidate.pk), "note": "Photo matches."},
    )
    assert response.status_code == 302
    hit.refresh_from_db()
    assert (hit.status, hit.registrant) == (HitStatus.CONFIRMED, hit_people.smith)
    assert hit.history.first().history_user == world.analyst
    body = client.get(f"/cases/hits/{hit.pk}/").content.decode()
    assert "Photo matches." in body and ">analyst<" in body
    # The registrant's page shows the confirmed hit on the timeline.
    client.force_login(world.md_staff)
    body = client.get(f"/registrants/{hit_people.smith.pk}/").content.decode()
    assert f"/cases/hits/{hit.pk}/" in body and "Departure from a port confirmed" in body


def test_false_match_form_and_rematch(client, world, hit_people):
    hit = review_hit(world)
    client.force_login(world.analyst)
    response = client.post(f"/cases/hits/{hit.pk}/decide/", {"decision": "false_match", "note": "Other woman."})
    assert response.status_code == 302
    assert FalseMatch.objects.filter(registrant=hit_people.smith, source_id="R-1").exists()
    response = client.post(f"/cases/hits/{hit.pk}/rematch/")
    assert response.status_code == 302
    assert not Hit.objects.get(pk=hit.pk).candidates.filter(registrant=hit_people.smith).exists()
    client.force_login(world.md_staff)
    assert client.post(f"/cases/hits/{hit.pk}/rematch/").status_code == 404


def test_manual_entry(client, world, hit_people):
    form = {
        "event_type": "port_arrival", "source": "manual", "source_id": "PHONE-1", "occurred_at": "2026-11-20T10:30",
        "port_code": "iad", "given_name": "Mohammed", "surname": "Ali", "date_of_birth": "1979-05-06", "sex": "M",
        "nationality": "US", "passport_number": "P1234567", "passport_country": "US",
    }  # fmt: skip
    client.force_login(world.va_staff)
    assert client.get("/cases/hits/new/").status_code == 403
    assert client.post("/cases/hits/new/", form).status_code == 403
    client.force_login(world.analyst)
    assert client.get("/cases/hits/new/").status_code == 200
    bad = client.post("/cases/hits/new/", {**form, "nationality": "ZZ", "date_of_birth": "1979-02-30"})
    assert bad.status_code == 400
    assert bad.context["form"].errors.keys() >= {"nationality", "date_of_birth"}
    assert not Hit.objects.exists()
    # the rules across fields come with the fields' own errors, in one round
    bad = client.post(
        "/cases/hits/new/", {**form, "event_type": "", "date_of_birth": "2090-01-01", "passport_country": ""}
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert errors["event_type"] == ["This field is required."]
    assert errors["date_of_birth"] == ["The date of birth cannot be in the future."]
    assert errors["passport_country"] == ["Give the issuing country of the passport."]
    assert not Hit.objects.exists()
    response = client.post("/cases/hits/new/", form)
    assert response.status_code == 302
    hit = Hit.objects.get()
    assert (hit.submitting_agency, hit.submitted_by, hit.port_code) == (world.nsotc, world.analyst, "IAD")
    assert hit.status == HitStatus.CONFIRMED and hit.registrant == hit_people.ali
    # the same source record again: the stored hit, nothing new
    assert client.post("/cases/hits/new/", form)["Location"] == f"/cases/hits/{hit.pk}/"
    assert Hit.objects.count() == 1


def test_upload_preview_then_confirm(client, world, hit_people):
    client.force_login(world.va_staff)
    assert client.get("/cases/hits/import/").status_code == 403
    client.force_login(world.analyst)
    upload = SimpleUploadedFile("manifest.csv", csv_bytes(GOOD[0], BAD[0], GOOD[1]), content_type="text/csv")
    response = client.post("/cases/hits/import/", {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "created 2" in body and "rejected 1" in body and "event_type" in body
    assert not Hit.objects.exists()  # a preview stores nothing
    token = response.context["token"]
    response = client.post("/cases/hits/import/", {"confirm": token})
    assert response.status_code == 200
    assert Hit.objects.count() == 2
    assert {h.history.first().history_user for h in Hit.objects.all()} == {world.analyst}
    # the preview token is spent
    response = client.post("/cases/hits/import/", {"confirm": token})
    assert response.status_code == 302
    bad = client.post("/cases/hits/import/", {"file": SimpleUploadedFile("m.txt", b"x")})
    assert bad.status_code == 400


def test_nav_shows_hits_to_nsotc(client, world):
    client.force_login(world.analyst)
    assert 'href="/cases/hits/"' in client.get("/home/").content.decode()
