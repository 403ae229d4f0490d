"""IMESA continuous vetting (DTM 15-003 att. 3): matches of DoD-affiliated people posted as hits,
idempotent, routed on arrival to the component's MCIO, the installation LEA, component HR (name
only) and, for Guard members, the NGB Provost Marshal; a Delayed Entry Program match to MEPCOM
as a name-only red flag; a foreign record to USNCB. Installation scoping of the hits."""

import io
from datetime import date

import pytest
from rest_framework.test import APIClient

from cases.choices_hits import HitEventType
from cases.hits_import import import_hits
from cases.models import Hit
from notifications.content import email_text, payload_for
from notifications.defaults import install_default_rules
from notifications.models import Notification
from registrants.services import registrant_create
from rsoits.choices import AgencyKind, JurisdictionType, Role
from tests.factories import AgencyFactory, InstallationFactory, member

pytestmark = pytest.mark.django_db


def federal(code, kind):
    return AgencyFactory(code=code, name=code, kind=kind, jurisdiction_type=JurisdictionType.FEDERAL, jurisdiction="US")


@pytest.fixture
def dod(world):
    install_default_rules()
    world.cid = federal("ARMY-CID", AgencyKind.MCIO)
    world.hr = federal("HR-ARMY", AgencyKind.COMPONENT_HR)
    world.ngb = federal("NGB-PM", AgencyKind.NGB_PM)
    world.mepcom = federal("MEPCOM", AgencyKind.MEPCOM)
    world.imesa = federal("IMESA", AgencyKind.DOD_IDENTITY)
    world.imesa_client = member(world.imesa, Role.SYSTEM_CLIENT, username="imesa_client")
    world.hr_user = member(world.hr, Role.COMPONENT_HR, username="army_hr")
    world.installation_b = InstallationFactory(code="FTMEADE", name="Fort Meade")
    world.lea_b_officer = member(world.installation_b.lea, Role.INSTALLATION_LEA, username="lea_b")
    world.rso = registrant_create(
        actor=None, registering_agency=world.va, external_id="VA-77", given_name="Victor", surname="Kaine",
        date_of_birth=date(1985, 4, 12), sex="M", citizenships=["US"], conditions="No contact with minors",
        identifiers=[{"kind": "fbi_ucn", "value": "123456AB7"}],
    )  # fmt: skip
    return world


def imesa_hit(**overrides):
    data = {
        "event_type": "imesa_match", "source": "imesa", "source_id": "IM-1", "occurred_at": "2026-11-20T08:00:00Z",
        "installation": "FTBELVOIR", "given_name": "Victor", "surname": "Kaine", "date_of_birth": "1985-04-12",
        "sex": "M", "nationality": "US", "dod_component": "army", "dod_affiliation": "service_member",
        "dod_population": "deers",
    }  # fmt: skip
    data.update(overrides)
    return data


def post(user, data):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/hits/", data, format="json")


def told(**filters):
    return {(n.agency.code, n.content_level) for n in Notification.objects.filter(**filters).select_related("agency")}


def test_service_member_match_goes_to_mcio_installation_lea_and_hr_name_only(dod):
    response = post(dod.imesa_client, imesa_hit())
    assert response.status_code == 201, response.json()
    hit = Hit.objects.get()
    assert hit.registrant == dod.rso  # RSOITS's own match names the registrant
    recipients = told(event_type="imesa_match")
    assert {code for code, _ in recipients} == {"ARMY-CID", dod.lea.code, "HR-ARMY"}
    assert {level for code, level in recipients if code == "HR-ARMY"} == {"name_only"}
    assert "NGB-PM" not in {code for code, _ in recipients}  # not a Guard member
    # the resend is the same hit and tells nobody again
    before = Notification.objects.count()
    again = post(dod.imesa_client, imesa_hit())
    assert again.status_code == 200 and again.json()["id"] == hit.pk
    assert Hit.objects.count() == 1 and Notification.objects.count() == before


def test_guard_member_also_goes_to_the_ngb_provost_marshal(dod):
    assert post(dod.imesa_client, imesa_hit(national_guard=True, dod_component="army")).status_code == 201
    assert "NGB-PM" in {code for code, _ in told(event_type="imesa_match")}


def test_delayed_entry_match_is_a_name_only_red_flag_to_mepcom(dod):
    data = imesa_hit(source_id="IM-2", installation=None, dod_population="delayed_entry", dod_affiliation="visitor",
                     given_name="Nadia", surname="Unregistered", date_of_birth="2007-01-01")  # fmt: skip
    assert post(dod.imesa_client, data).status_code == 201, post(dod.imesa_client, data).json()
    assert told(event_type="imesa_dep_match") == {("MEPCOM", "name_only")}
    assert not Notification.objects.filter(event_type="imesa_match").exists()
    flag = Notification.objects.get(event_type="imesa_dep_match")
    payload = payload_for(flag)
    assert payload["name"] == "Nadia Unregistered"  # no registry record: the name as reported
    assert {"registrant", "context", "reason"}.isdisjoint(payload)
    assert "2007" not in email_text(flag)


def test_foreign_record_goes_to_usncb(dod):
    data = imesa_hit(source_id="IM-3", foreign_record=True, given_name="Jean", surname="Etranger",
                     date_of_birth="1970-01-01", nationality="FR")  # fmt: skip
    assert post(dod.imesa_client, data).status_code == 201
    assert told(event_type="foreign_convicted_in_dod") == {("USNCB", "link")}


def test_hr_gets_the_name_and_no_criminal_justice_information(dod):
    post(dod.imesa_client, imesa_hit())
    note = Notification.objects.get(event_type="imesa_match", agency=dod.hr)
    payload = payload_for(note)
    assert payload["name"] == dod.rso.full_name
    text = email_text(note) + repr(payload)
    for secret in ("123456AB7", "1985", "No contact with minors", "VA-77", "fugitive"):
        assert secret not in text
    # HR sees no registry record and no hit either
    client = APIClient()
    client.force_authenticate(dod.hr_user)
    assert client.get(f"/api/v1/registrants/{dod.rso.pk}/").status_code == 404
    assert client.get("/api/v1/hits/").json()["results"] == []


def test_imesa_field_errors_name_each_field(dod):
    bad = post(dod.imesa_client, imesa_hit(dod_component="", dod_affiliation="alien", installation=None))
    assert bad.status_code == 400
    assert {"dod_affiliation"} <= set(bad.json())
    bad = post(dod.imesa_client, imesa_hit(dod_component="", dod_population="deers", installation=None))
    assert bad.status_code == 400 and {"dod_component", "installation"} <= set(bad.json())
    assert not Hit.objects.exists() and not Notification.objects.exists()


def test_installation_scoping_of_imesa_hits(dod):
    post(dod.imesa_client, imesa_hit())
    hit = Hit.objects.get()
    lea_a, lea_b = APIClient(), APIClient()
    lea_a.force_authenticate(dod.lea_officer)
    lea_b.force_authenticate(dod.lea_b_officer)
    assert [row["id"] for row in lea_a.get("/api/v1/hits/").json()["results"]] == [hit.pk]
    assert lea_b.get("/api/v1/hits/").json()["results"] == []
    assert lea_b.get(f"/api/v1/hits/{hit.pk}/").status_code == 404
    assert APIClient().get("/api/v1/hits/").status_code in (401, 403)


def test_batch_import_of_imesa_results_is_idempotent_and_routed(dod):
    header = (
        "record_id,event_type,source,occurred_at,location,given_name,middle_name,surname,date_of_birth,sex,"
        "nationality,passport_number,passport_country,visa_number,flight,dod_component,dod_affiliation,"
        "dod_population,national_guard,foreign_record"
    )
    rows = [
        "IM-10,imesa_match,imesa,2026-11-20T08:00:00Z,FTBELVOIR,Victor,,Kaine,1985-04-12,M,US,,,,,army,"
        "service_member,deers,no,no",
        "IM-11,imesa_match,imesa,2026-11-20T08:00:00Z,FTBELVOIR,Ann,,Other,1990-01-01,F,US,,,,,army,"
        "civilian,local,maybe,no",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    result = import_hits(io.BytesIO(data), "imesa.csv", agency=dod.imesa, actor=dod.imesa_client)
    assert (result.created, result.rejected) == (1, 1)
    assert [(e.row, e.field) for e in result.errors] == [(3, "national_guard")]
    assert Hit.objects.get().event_type == HitEventType.IMESA_MATCH
    routed = Notification.objects.filter(event_type="imesa_match").count()
    assert routed == 3
    again = import_hits(io.BytesIO(data), "imesa.csv", agency=dod.imesa, actor=dod.imesa_client)
    assert (again.created, again.existing) == (0, 1)
    assert Notification.objects.filter(event_type="imesa_match").count() == routed


def test_an_inbound_foreign_notice_becomes_a_hit_once(world):
    from cases.services.foreign import inbound_notice_log

    AgencyFactory(code="NCB-FR", name="NCB Paris", kind=AgencyKind.FOREIGN_NCB,
                  jurisdiction_type=JurisdictionType.COUNTRY, jurisdiction="FR")  # fmt: skip
    fields = {
        "country": "FR", "foreign_reference": "FR-2026-1", "received_on": date(2026, 11, 20), "given_name": "Jean",
        "surname": "Dupont", "date_of_birth": date(1970, 3, 4), "sex": "M", "nationality": "FR",
        "passport_number": "12AB34567", "passport_country": "FR", "arrival_date": date(2026, 12, 1),
    }  # fmt: skip
    inbound_notice_log(actor=world.usncb_officer, **fields)
    hit = Hit.objects.get()
    assert (hit.event_type, hit.source, hit.source_id) == ("foreign_inbound", "interpol", "FR-FR-2026-1")
    assert hit.submitting_agency == world.usncb and hit.passport_norm == "12AB34567"
    assert hit.history.first().history_user == world.usncb_officer
    client = APIClient()
    client.force_authenticate(world.usncb_officer)
    assert [row["id"] for row in client.get("/api/v1/hits/").json()["results"]] == [hit.pk]
