"""factory_boy factories for the domain (invented names only)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from casework.models import Applicant, Case, Serviceman, Team, TimelineEntry
from casework.roles import Role
from casework.services.people import serviceman_reindex

STAFF_PASSWORD = "correct horse battery staple"  # every UserFactory user's


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.django.Password(STAFF_PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Role | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted.value))

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            for team in extracted:
                team.members.add(self)


class ServicemanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Serviceman

    surname = factory.Iterator(["Загорулько", "Вершинин", "Толкачёв", "Бурмистров"])
    given_name = factory.Iterator(["Матвей", "Ростислав", "Тимофей"])
    patronymic = "Игоревич"
    birth_date = datetime.date(2001, 4, 17)
    unit_number = factory.Sequence(lambda n: f"в/ч {40000 + n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        serviceman = model_class(*args, **kwargs)
        serviceman_reindex(serviceman)  # as the services do
        serviceman.save()
        return serviceman


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    name = "Людмила Сергеевна"
    relationship = Applicant.Relationship.MOTHER
    phone = factory.Sequence(lambda n: f"+7 916 555 {n:04d}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    serviceman = factory.SubFactory(ServicemanFactory)
    applicant = factory.SubFactory(
        ApplicantFactory, serviceman=factory.SelfAttribute("..serviceman")
    )
    team = factory.SubFactory(TeamFactory)
    summary = "Обменян в мае, отправлен обратно в часть без ВВК."


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    case = factory.SubFactory(CaseFactory)
    text = "Позвонила мать, сын в госпитале."


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator-app device (the admin's second factor)."""

    class Meta:
        model = "casework.AuthenticatorDevice"

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


def api_token_for(user: object) -> str:
    """A fresh API token of `user` (made as the person makes it in the admin), for tests."""
    from casework.services.api_tokens import api_token_create

    return api_token_create(user=user, actor=user)[1]  # type: ignore[arg-type]
