"""Outages change nothing for people: staff pages without Redis, limits that still hold, a daily
budget of files per client, and the staff emails that were given up shown to coordinators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from casework.models import Attachment, Case, Notification, RateCounter
from casework.roles import Role
from casework.selectors import notifications_given_up
from tests.factories import CaseFactory, UserFactory
from tests.portal_support import aged_stamp, gps_jpeg, intake_post
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: refused at once


@pytest.fixture
def redis_down(settings):  # type: ignore[no-untyped-def]
    """Redis gone for the cache, the rate limits and the broker (the database stays)."""
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_staff_sign_in_and_overview_work_while_redis_is_down(redis_down):
    coordinator = UserFactory(role=Role.COORDINATOR)
    CaseFactory(status=Case.Status.NEW)
    client = signed_in(coordinator)  # the sign-in's failure counters: in the database now
    for _ in range(2):  # the second view finds the cache still failing and does not ask it
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        assert response.context["dashboard"]["mine"].new_intakes == 1
    assert client.get(reverse("admin:casework_case_changelist")).status_code == 200


def test_a_sign_in_lockout_still_holds_while_redis_is_down(redis_down, settings):
    from django.test import Client

    from tests.factories import TOTPDeviceFactory
    from tests.security.staff_support import PASSWORD, code_for, sign_in_post, wrong_code_for

    user = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=user)
    client = Client()
    for _ in range(settings.STAFF_LOGIN_FAILURES):
        sign_in_post(client, user.username, PASSWORD, wrong_code_for(device))
    assert RateCounter.objects.exists()  # counted by keyed hashes, in the database
    response = sign_in_post(client, user.username, PASSWORD, code_for(device))
    assert response.status_code == 200  # the form again: locked for this client
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("media_root")
def test_a_client_has_a_daily_budget_of_files(client, settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "files": (3, 86400)}

    def photos(count: int) -> list[SimpleUploadedFile]:
        return [SimpleUploadedFile(f"p{n}.jpg", gps_jpeg(), "image/jpeg") for n in range(count)]

    client.post("/en/intake/", intake_post(uploads=photos(2), started=aged_stamp()))
    assert (Case.objects.count(), Attachment.objects.count()) == (1, 2)
    body = client.post(
        "/en/intake/", intake_post(uploads=photos(2), started=aged_stamp())
    ).content.decode()
    assert "Many files have been sent from your connection today" in body
    assert (Case.objects.count(), Attachment.objects.count()) == (1, 2)  # nothing more stored
    assert "Загорулько" in body  # everything typed is kept
    # The words still get through, without files.
    client.post("/en/intake/", intake_post(started=aged_stamp()))
    assert (Case.objects.count(), Attachment.objects.count()) == (2, 2)


def given_up_notice(**values: object) -> Notification:
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    return Notification.objects.create(
        kind=Notification.Kind.NEW_INTAKE,
        recipient=user,
        case=case,
        dedupe_key=f"t:{case.pk}",
        state=Notification.State.FAILED,
        failure=Notification.Failure.REFUSED,
        given_up_at=timezone.now(),
        **values,
    )


def test_coordinators_see_the_staff_emails_given_up_and_caseworkers_do_not():
    urgent = given_up_notice(urgent=True)
    ordinary = given_up_notice()
    old = given_up_notice()
    Notification.objects.filter(pk=old.pk).update(given_up_at=timezone.now() - timedelta(days=15))
    Notification.objects.create(  # still being retried: not listed
        kind=Notification.Kind.NEW_INTAKE,
        recipient=urgent.recipient,
        case=CaseFactory(),
        dedupe_key="t:pending",
    )
    page = signed_in(UserFactory(role=Role.COORDINATOR)).get(reverse("admin:index"))
    assert page.context["given_up"]["count"] == 2
    assert page.context["given_up"]["rows"] == [urgent, ordinary]  # urgent first
    body = page.content.decode()
    assert "2 staff emails given up in the last 14 days" in body
    assert urgent.case.reference in body and ordinary.case.reference in body
    assert old.case.reference not in body
    assert "the mail server refused it until the retry time ran out" in body
    assert notifications_given_up(limit=1) == (2, [urgent])  # a full list is counted
    caseworker_page = signed_in(UserFactory(role=Role.CASEWORKER)).get(reverse("admin:index"))
    assert "given_up" not in caseworker_page.context
    assert 'id="notices-given-up"' not in caseworker_page.content.decode()
