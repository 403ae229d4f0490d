"""Who sees which travel notices and cases, for every role: NSOTC all; a SORA its own agency's
notices and its registrants' cases; USNCB only forwarded cases (and their notices and
registrants); an installation LEA those of registrants affiliated with its installation,
read-only; everybody else nothing."""

import pytest

from cases.models import Case, CaseEvent, ItineraryLeg, TravelNotice
from cases.services import case_forward
from registrants.models import Registrant
from tests.cases.factories_travel import file_notice, vetted_case
from tests.factories import AgencyFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(world, people):
    class N:
        pass

    n = N()
    n.va = file_notice(world.va_staff, people.va)
    n.md = file_notice(world.md_staff, people.md)
    n.belvoir = file_notice(world.va_staff, people.belvoir)
    n.forwarded = file_notice(world.md_staff, people.md)
    case_forward(actor=world.analyst, case=vetted_case(world, n.forwarded))
    n.draft = file_notice(world.va_staff, people.va, submit=False)
    return n


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_nsotc_sees_all_and_changes_only_cases(world, notices):
    for user in (world.analyst, world.supervisor):
        assert ids(TravelNotice.objects.visible_to(user)) == ids(TravelNotice.objects.all())
        assert ids(Case.objects.visible_to(user)) == ids(Case.objects.all())
        assert not TravelNotice.objects.visible_to(user, "change").exists()
        assert ids(Case.objects.visible_to(user, "change")) == ids(Case.objects.all())


def test_sora_sees_own_agency(world, notices):
    va = {notices.va.pk, notices.belvoir.pk, notices.draft.pk}
    assert ids(TravelNotice.objects.visible_to(world.va_staff)) == va
    assert ids(TravelNotice.objects.visible_to(world.va_staff, "change")) == va
    assert ids(Case.objects.visible_to(world.va_staff)) == ids(Case.objects.filter(travel_notice__in=va))
    assert not Case.objects.visible_to(world.va_staff, "change").exists()
    md = {notices.md.pk, notices.forwarded.pk}
    assert ids(TravelNotice.objects.visible_to(world.md_staff)) == md
    assert ids(Case.objects.visible_to(world.md_staff)) == ids(Case.objects.filter(travel_notice__in=md))


def test_usncb_sees_only_forwarded(world, notices):
    forwarded = notices.forwarded.cases.get()
    assert ids(Case.objects.visible_to(world.usncb_officer)) == {forwarded.pk}
    assert ids(TravelNotice.objects.visible_to(world.usncb_officer)) == {notices.forwarded.pk}
    assert ids(Registrant.objects.visible_to(world.usncb_officer)) == {notices.forwarded.registrant_id}
    assert ids(ItineraryLeg.objects.visible_to(world.usncb_officer)) == ids(notices.forwarded.legs.all())
    assert ids(CaseEvent.objects.visible_to(world.usncb_officer)) == ids(forwarded.events.all())
    assert not TravelNotice.objects.visible_to(world.usncb_officer, "change").exists()
    assert not Case.objects.visible_to(world.usncb_officer, "change").exists()


def test_installation_lea_sees_its_affiliated_registrants_read_only(world, notices):
    assert ids(TravelNotice.objects.visible_to(world.lea_officer)) == {notices.belvoir.pk}
    assert ids(Case.objects.visible_to(world.lea_officer)) == ids(notices.belvoir.cases.all())
    assert not TravelNotice.objects.visible_to(world.lea_officer, "change").exists()
    assert not Case.objects.visible_to(world.lea_officer, "change").exists()


@pytest.mark.parametrize("who", ["va_admin", "md_admin", "sysadmin", "auditor"])
def test_other_roles_see_nothing(world, notices, who):
    user = getattr(world, who)
    assert not TravelNotice.objects.visible_to(user).exists()
    assert not Case.objects.visible_to(user).exists()
    assert not CaseEvent.objects.visible_to(user).exists()


def test_a_user_without_membership_or_anonymous_sees_nothing(world, notices):
    from django.contrib.auth.models import AnonymousUser

    from tests.factories import UserFactory

    for user in (UserFactory(username="nobody"), AnonymousUser()):
        assert not TravelNotice.objects.visible_to(user).exists()
        assert not Case.objects.visible_to(user).exists()


def test_a_second_usncb_agency_member_sees_the_share_only_through_the_group(world, notices):
    other_usncb_agency = AgencyFactory(code="USNCB2", kind="usncb", jurisdiction_type="federal")
    officer = member(other_usncb_agency, "usncb_officer", username="usncb2")
    # Forwarded before this agency existed: nothing was shared with it.
    assert not Case.objects.visible_to(officer).exists()
