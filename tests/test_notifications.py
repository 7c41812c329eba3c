"""Staff notices: queued once, sent once, retried on failure, re-queued by the sweep."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from casework.models import Notification
from casework.services.notifications import (
    MAX_SEND_ATTEMPTS,
    NotificationDeliveryError,
    notification_send,
    notifications_queue,
    notifications_requeue_stale,
    notifications_send,
)
from casework.tasks import send_notifications, sweep_portal
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


def test_a_refusing_mail_server_counts_attempts_and_finally_fails(settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    case, user = CaseFactory(), UserFactory(email="a@org.example")
    [pk] = queue_for(case, user)
    for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
        with pytest.raises(NotificationDeliveryError):
            notification_send(notification_id=pk)
        notice = Notification.objects.get()
        assert notice.attempts == attempt
    assert notice.state == "failed"
    assert notification_send(notification_id=pk) is False  # never tried again


def test_a_recipient_without_email_fails_without_sending():
    case, user = CaseFactory(), UserFactory(email="")
    notification_send(notification_id=queue_for(case, user)[0])
    assert Notification.objects.get().state == "failed" and mail.outbox == []


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
    assert notifications_send(notification_ids=ids) == 2
    assert notifications_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 2
