"""factory_boy factories for core records. Domain apps add theirs in tests/factories_<app>.py."""

import factory

from rsoits.choices import AgencyKind, DodComponent, EndpointKind, JurisdictionType, Role
from rsoits.models import Agency, AgencyContact, AgencyEndpoint, Installation, Membership, User
from rsoits.services import agency_group

TEST_PASSWORD = "correct-horse-battery-staple-42"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"AG{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Agency {o.code}")
    kind = AgencyKind.STATE_SORA
    jurisdiction_type = JurisdictionType.STATE
    jurisdiction = factory.LazyAttribute(lambda o: o.code[:2])
    ori = factory.Sequence(lambda n: f"XX{n:07d}")

    @factory.post_generation
    def with_group(obj, create, extracted, **kwargs):
        if create:
            agency_group(obj)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save()


def member(agency: Agency, *roles: str, username: str | None = None, **kwargs) -> User:
    """A user holding ``roles`` in ``agency``."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    for role in roles:
        Membership.objects.get_or_create(user=user, agency=agency, role=role)
    user.groups.add(agency_group(agency))
    return user


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyContact

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Faker("name")
    email = factory.Faker("safe_email")
    phone = "+1 202 555 0100"


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyEndpoint

    agency = factory.SubFactory(AgencyFactory)
    kind = EndpointKind.EMAIL
    address = factory.Sequence(lambda n: f"desk{n}@example.test")


class InstallationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installation

    code = factory.Sequence(lambda n: f"INST{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Installation {o.code}")
    component = DodComponent.ARMY
    state = "VA"
    lea = factory.SubFactory(
        AgencyFactory, kind=AgencyKind.INSTALLATION_LEA, jurisdiction_type=JurisdictionType.FEDERAL
    )


__all__ = ["Role"]
