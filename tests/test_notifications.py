"""Staff notices and reminder digests: queued once, claimed before sending, sent once, retried
on failure and after a dead sender's claim lapses, re-queued by the sweeps."""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from casework.models import AuthorityOffice, Notification
from casework.roles import Role
from casework.services.filings import filing_create, filing_mark_sent
from casework.services.notifications import (
    CLAIM_TIMEOUT,
    NotificationDeliveryError,
    notification_send,
    notifications_claim,
    notifications_queue,
    notifications_requeue_stale,
    notifications_send,
)
from casework.services.reminders import deadlines_sweep, reminder_digest_send
from casework.tasks import send_notifications, send_reminder_digest, sweep_portal
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("gone")


def queue_for(case, *users):  # type: ignore[no-untyped-def]
    return notifications_queue(
        kind=Notification.Kind.NEW_INTAKE, key=str(case.pk), recipients=users, case=case
    )


def test_queuing_twice_makes_one_row_per_recipient(django_capture_on_commit_callbacks):
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = queue_for(case, user)
        second = queue_for(case, user)
    assert first == second and Notification.objects.count() == 1
    assert len(callbacks) == 2  # both queue the send; the second finds nothing to do


def test_a_notice_is_sent_once_however_often_the_task_runs():
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    [pk] = queue_for(case, user)
    assert notification_send(notification_id=pk) is True
    assert notification_send(notification_id=pk) is False
    send_notifications.delay(notification_ids=[pk])
    assert len(mail.outbox) == 1
    notice = Notification.objects.get()
    assert notice.state == "sent" and notice.sent_at and notice.attempts == 1


def test_the_email_carries_a_reference_and_a_link_only(settings):
    settings.SITE_URL = "https://casework.example.org"
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    notification_send(notification_id=queue_for(case, user)[0])
    email = mail.outbox[0]
    assert email.to == ["a@org.example"]
    assert case.reference in email.subject
    assert f"https://casework.example.org/admin/casework/case/{case.pk}/change/" in email.body
    for personal in (case.serviceman.surname, case.applicant.name, case.applicant.phone):
        assert personal not in email.subject + email.body


def test_a_refused_notice_waits_a_growing_pause_and_is_given_up_only_by_time(settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    settings.NOTICE_RETRY_FIRST_SECONDS, settings.NOTICE_RETRY_MAX_SECONDS = 60, 600
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    [pk] = queue_for(case, user)
    pauses = []
    for attempt in range(1, 9):
        before = timezone.now()
        with pytest.raises(NotificationDeliveryError) as refused:
            notification_send(notification_id=pk)
        notice = Notification.objects.get()
        assert (notice.state, notice.attempts) == ("pending", attempt)
        assert refused.value.retry_at == notice.next_attempt_at
        pauses.append(round((notice.next_attempt_at - before).total_seconds() / 60))
        # Any sender, task or sweep before that moment finds nothing to take.
        assert notification_send(notification_id=pk) is False
        assert notifications_requeue_stale() == 0
        Notification.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    assert pauses == [1, 2, 4, 8, 10, 10, 10, 10]  # doubling, capped; never failed by a count
    # Queued NOTICE_RETRY_HOURS ago: the next refusal gives it up.
    queued = timezone.now() - timedelta(hours=settings.NOTICE_RETRY_HOURS)
    Notification.objects.filter(pk=pk).update(created_at=queued)
    with pytest.raises(NotificationDeliveryError) as refused:
        notification_send(notification_id=pk)
    assert refused.value.retry_at is None
    notice = Notification.objects.get()
    assert (notice.state, notice.failure, notice.attempts) == ("failed", "refused", 9)
    assert notice.given_up_at is not None
    assert notification_send(notification_id=pk) is False  # never tried again
    assert mail.outbox == []


def test_the_last_pause_ends_with_the_retry_time_for_one_last_try(settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    settings.NOTICE_RETRY_FIRST_SECONDS = 3600
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    [pk] = queue_for(case, user)
    queued = timezone.now() - timedelta(hours=settings.NOTICE_RETRY_HOURS) + timedelta(minutes=5)
    Notification.objects.filter(pk=pk).update(created_at=queued)
    with pytest.raises(NotificationDeliveryError):
        notification_send(notification_id=pk)
    notice = Notification.objects.get()
    ends = queued + timedelta(hours=settings.NOTICE_RETRY_HOURS)
    assert (notice.state, notice.next_attempt_at) == ("pending", ends)


def test_an_urgent_intake_is_sent_first_and_retried_sooner(settings):
    from casework.services.notifications import notification_retry_delay, notifications_untried

    settings.NOTICE_RETRY_FIRST_SECONDS = 60
    settings.NOTICE_RETRY_MAX_SECONDS, settings.NOTICE_URGENT_RETRY_MAX_SECONDS = 3600, 300
    user = UserFactory(email="a@org.example")
    [ordinary] = queue_for(CaseFactory(), user)
    urgent_case = CaseFactory(suicide_risk=True)
    [urgent] = notifications_queue(
        kind=Notification.Kind.NEW_INTAKE,
        key=str(urgent_case.pk),
        recipients=[user],
        case=urgent_case,
        urgent=True,
    )
    assert notifications_untried(limit=10) == [urgent, ordinary]
    assert notification_retry_delay(attempts=10, urgent=True) == timedelta(minutes=5)
    assert notification_retry_delay(attempts=10) == timedelta(hours=1)


def test_a_recipient_without_email_fails_without_sending():
    case, user = CaseFactory(), UserFactory(email="")
    notification_send(notification_id=queue_for(case, user)[0])
    notice = Notification.objects.get()
    assert (notice.state, notice.failure) == ("failed", "no_address") and mail.outbox == []
    assert notice.given_up_at is not None


def test_the_sweep_requeues_stale_pending_notices_only(django_capture_on_commit_callbacks):
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    with django_capture_on_commit_callbacks(execute=False):
        [stale] = queue_for(case, user)
        [fresh] = queue_for(CaseFactory(), user)
    Notification.objects.filter(pk=stale).update(created_at=timezone.now() - timedelta(hours=1))
    assert notifications_requeue_stale() == 1
    assert Notification.objects.get(pk=stale).state == "sent"  # eager: sent by the re-queue
    assert Notification.objects.get(pk=fresh).state == "pending"
    Notification.objects.filter(pk=fresh).update(created_at=timezone.now() - timedelta(hours=1))
    sweep_portal.delay()
    assert Notification.objects.get(pk=fresh).state == "sent"
    assert len(mail.outbox) == 2


def test_a_batch_tries_every_notice_and_reports_a_failure_at_the_end(settings):
    case = CaseFactory()
    first, second = UserFactory(email="a@org.example"), UserFactory(email="b@org.example")
    ids = queue_for(case, first, second)
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    with pytest.raises(NotificationDeliveryError):
        notifications_send(notification_ids=ids)
    assert list(Notification.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_send(notification_ids=ids) == 0  # not due again yet
    Notification.objects.update(next_attempt_at=timezone.now())
    assert notifications_send(notification_ids=ids) == 2
    assert notifications_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 2


def test_a_notice_whose_sender_died_is_retried_only_after_its_claim_lapses(
    django_capture_on_commit_callbacks,
):
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    with django_capture_on_commit_callbacks(execute=False):
        [pk] = queue_for(case, user)
    Notification.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(hours=1))
    notifications_claim(Notification.objects.filter(pk=pk))  # a worker that died mid-send
    assert notification_send(notification_id=pk) is False  # a repeat while it may be sending
    assert notifications_requeue_stale() == 0 and mail.outbox == []
    lapsed = timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1)
    Notification.objects.filter(pk=pk).update(claimed_at=lapsed)
    assert notifications_requeue_stale() == 1  # eager: sent by the re-queue
    notice = Notification.objects.get()
    assert (notice.state, notice.attempts, len(mail.outbox)) == ("sent", 2, 1)


# --- Reminder digests, through a real SMTP server -------------------------------------------


@pytest.fixture
def real_smtp(settings, smtp_server):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    return smtp_server


def overdue_for(user) -> list[str]:  # type: ignore[no-untyped-def]
    """A case of `user` whose complaint went unanswered: the sweep queues reminders (pending;
    its after-commit digest task does not run in these tests unless captured)."""
    case = CaseFactory(assignee=user)
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    on = dt.date(2025, 1, 10)
    filing_mark_sent(filing=filing, actor=None, sent_on=on, method="e_reception", received_on=on)
    deadlines_sweep()
    return list(Notification.objects.filter(recipient=user).values_list("state", flat=True))


def states(user) -> set[str]:  # type: ignore[no-untyped-def]
    return set(Notification.objects.filter(recipient=user).values_list("state", flat=True))


def test_a_digest_goes_out_once_however_often_it_is_asked(real_smtp):
    user = UserFactory(role=Role.CASEWORKER, email="night.shift@example.org")
    queued = overdue_for(user)
    assert queued and set(queued) == {"pending"}
    assert reminder_digest_send(user=user) == len(queued)
    assert reminder_digest_send(user=user) == 0
    send_reminder_digest.delay(user_id=user.pk)  # a redelivered task
    assert len(real_smtp.messages) == 1
    assert "night.shift@example.org" in real_smtp.messages[0].decode()
    assert states(user) == {"sent"}


def test_a_refused_digest_stays_retryable_and_the_next_sweep_sends_it(
    real_smtp, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.CASEWORKER, email="night.shift@example.org")
    overdue_for(user)
    real_smtp.stop()
    with pytest.raises(OSError):
        reminder_digest_send(user=user)
    assert states(user) == {"pending"} and real_smtp.messages == []
    real_smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()  # before the next attempt is due: nothing is sent
    assert real_smtp.messages == [] and states(user) == {"pending"}
    Notification.objects.filter(recipient=user).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert len(real_smtp.messages) == 1 and states(user) == {"sent"}
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert len(real_smtp.messages) == 1


def test_a_digest_whose_sender_died_is_resent_only_after_its_claim_lapses(
    real_smtp, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.CASEWORKER, email="night.shift@example.org")
    overdue_for(user)
    notifications_claim(Notification.objects.filter(recipient=user))  # then the worker died
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert reminder_digest_send(user=user) == 0
    assert real_smtp.messages == [] and states(user) == {"sending"}
    lapsed = timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1)
    Notification.objects.filter(recipient=user).update(claimed_at=lapsed)
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert len(real_smtp.messages) == 1 and states(user) == {"sent"}


# --- Waking the sender: the rows are the queue ----------------------------------------------


def test_the_woken_sender_sends_untried_notices_only():
    from casework.tasks import send_pending_notifications

    case, user = CaseFactory(), UserFactory(email="a@org.example")
    [fresh] = queue_for(case, user)
    [tried] = queue_for(CaseFactory(), user)
    Notification.objects.filter(pk=tried).update(attempts=1)  # failed once: retried with backoff
    reminder = Notification.objects.create(
        kind=Notification.Kind.DEADLINE_REMINDER, recipient=user, dedupe_key="digest:1"
    )
    send_pending_notifications.delay()
    states = dict(Notification.objects.values_list("pk", "state"))
    assert states == {fresh: "sent", tried: "pending", reminder.pk: "pending"}
    assert len(mail.outbox) == 1 and case.reference in mail.outbox[0].subject


@pytest.fixture
def unconsumed_queue(settings):  # type: ignore[no-untyped-def]
    """Tasks go, not eagerly, to a Redis queue no worker reads; yields a function counting them."""
    import json
    import uuid

    import redis

    from config.celery import app

    queue = f"test-wake-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        yield lambda: [json.loads(raw)["headers"] for raw in client.lrange(queue, 0, -1)]
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
        client.delete(queue)


def test_a_burst_of_notices_publishes_one_wake_up_per_window(unconsumed_queue, monkeypatch):
    from casework.services import notifications
    from config.celery import app

    before = timezone.now()
    for _ in range(5):
        notifications.notifications_wake()
    [message] = unconsumed_queue()
    assert message["task"] == "casework.tasks.send_pending_notifications"
    # It starts after the window, so every notice committed inside the window is visible to it.
    eta = dt.datetime.fromisoformat(message["eta"])
    margin = notifications.WAKE_MARGIN_SECONDS
    assert eta >= before + timedelta(seconds=notifications.WAKE_SECONDS + margin)
    # Once the window has passed, the next notice wakes a sender again.
    queue = app.conf.task_default_queue
    woken_at = notifications._woken_at[queue] - notifications.WAKE_SECONDS
    monkeypatch.setitem(notifications._woken_at, queue, woken_at)
    notifications.notifications_wake()
    assert len(unconsumed_queue()) == 2


def test_a_wake_up_on_another_queue_does_not_stand_in_for_this_ones(unconsumed_queue):
    from casework.services import notifications

    notifications._woken_at["another-queue"] = time.monotonic()  # a moment ago, elsewhere
    notifications.notifications_wake()
    assert len(unconsumed_queue()) == 1


@pytest.mark.integration
def test_a_burst_of_intakes_on_a_real_worker_emails_every_coordinator_once(
    celery_worker, smtp_server, monkeypatch
):
    from django.contrib.auth.models import Group
    from django.test import Client

    from casework.services import notifications
    from casework.tasks import send_pending_notifications
    from tests.conftest import wait_for
    from tests.factories import TeamFactory
    from tests.portal_support import aged_stamp, intake_post, reference_from

    team = TeamFactory(receives_intake=True)
    for address in ("a@org.example", "b@org.example"):
        user = UserFactory(email=address)
        user.groups.add(Group.objects.get(name=Role.COORDINATOR.value))
        team.members.add(user)
    # A window long enough for three requests on a slow machine; the sender starts after it.
    monkeypatch.setattr(notifications, "WAKE_SECONDS", 6)
    published = []
    real_publish = send_pending_notifications.apply_async
    monkeypatch.setattr(
        send_pending_notifications,
        "apply_async",
        lambda *args, **kwargs: published.append(kwargs) or real_publish(*args, **kwargs),
    )
    client = Client()
    references = [
        reference_from(
            client.post("/ru/intake/", intake_post(started=aged_stamp())).content.decode()
        )
        for _ in range(3)
    ]
    assert len(published) == 1  # one wake-up for the burst
    assert wait_for(lambda: len(smtp_server.messages) == 6, timeout=60)
    mails = [message.decode() for message in smtp_server.messages]
    for reference in references:
        assert sum(reference in text for text in mails) == 2  # each coordinator, once
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert not wait_for(lambda: len(smtp_server.messages) > 6, timeout=4)


def test_a_refused_notice_goes_to_the_retrying_task_and_the_rest_are_still_sent(
    settings, monkeypatch
):
    from casework.tasks import send_notifications, send_pending_notifications

    case = CaseFactory()
    refused_user, fine_user = UserFactory(email="a@org.example"), UserFactory(email="")
    [refused] = queue_for(case, refused_user)
    [no_address] = queue_for(case, fine_user)
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    handed_over = []
    monkeypatch.setattr(
        send_notifications, "apply_async", lambda **kwargs: handed_over.append(kwargs)
    )
    send_pending_notifications.delay()
    [retry] = handed_over
    assert retry["kwargs"] == {"notification_ids": [refused]}
    # It comes back when the notice is due again: the first pause, and a second to spare.
    assert (
        settings.NOTICE_RETRY_FIRST_SECONDS
        <= retry["countdown"]
        <= (settings.NOTICE_RETRY_FIRST_SECONDS + 1)
    )
    states = dict(Notification.objects.values_list("pk", "state"))
    assert states == {refused: "pending", no_address: "failed"}
    assert Notification.objects.get(pk=refused).attempts == 1
    assert mail.outbox == []


def test_a_woken_sender_stops_at_its_batch_or_its_time_and_says_more_are_waiting():
    from casework.services.notifications import notifications_send_untried

    user = UserFactory(email="a@org.example")
    ids = [queue_for(CaseFactory(), user)[0] for _ in range(3)]
    assert notifications_send_untried(limit=3, seconds=-1) == ([], True)  # out of time at once
    assert set(Notification.objects.values_list("state", flat=True)) == {"pending"}
    assert notifications_send_untried(limit=2) == ([], True)
    assert list(Notification.objects.filter(state="sent").values_list("pk", flat=True)) == ids[:2]
    assert notifications_send_untried(limit=2) == ([], False)
    assert len(mail.outbox) == 3
