"""Staff email notices: queued as rows (pending -> sent), sent by a task, re-queued by a sweep.

Queuing is idempotent (a unique `dedupe_key` per notice and recipient) and so is sending (the row
is locked and must still be pending), so a retry or a redelivered message never sends twice.
An email carries a case reference and a link into the admin, never a name, contact or diagnosis.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.models import Case, Notification

MAX_SEND_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=2)


class NotificationDeliveryError(Exception):
    """The mail server refused or did not answer; the task retries later."""


def notifications_queue(
    *, kind: str, key: str, recipients: Iterable[User], case: Case | None = None
) -> list[int]:
    """Queue one notice per recipient, once: the same `kind` and `key` never make a second row.

    Call inside the transaction that creates what the notice is about, so the rows exist exactly
    when it does; the sending tasks are queued after commit.
    """
    rows = [
        Notification(
            kind=kind, recipient=user, case=case, dedupe_key=f"{kind}:{key}:{user.pk}"[:120]
        )
        for user in recipients
    ]
    if not rows:
        return []
    # A conflict "updates" the key to itself so PostgreSQL returns the existing row's id too;
    # sending an already sent notice is a no-op, so queuing it again is harmless.
    saved = Notification.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["dedupe_key"], update_fields=["dedupe_key"]
    )
    ids = [row.pk for row in saved if row.pk is not None]
    transaction.on_commit(lambda: _queue_sending(ids), robust=True)
    return ids


def _queue_sending(ids: Sequence[int]) -> None:
    from casework.tasks import send_notifications

    # One message for all of them: an intake tells every coordinator, and a publish per person
    # would cost the family's request a broker round trip each.
    if ids:
        send_notifications.delay(notification_ids=list(ids))


def notifications_send(*, notification_ids: Sequence[int]) -> int:
    """Send each pending notice once; returns how many were sent now.

    Every notice is tried even if one fails; a failure is raised at the end so the caller
    (the task) retries, and a retry skips what was sent.
    """
    sent, failure = 0, None
    for pk in notification_ids:
        try:
            sent += notification_send(notification_id=pk)
        except NotificationDeliveryError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return sent


def notification_send(*, notification_id: int) -> bool:
    """Send one pending notice and mark it sent; False if there was nothing (left) to send.

    The row stays locked while the mail server is talked to, so a concurrent duplicate task skips
    it instead of sending again. A refusal counts an attempt; after MAX_SEND_ATTEMPTS it fails.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "case")
            .filter(pk=notification_id, state=Notification.State.PENDING)
            .first()
        )
        if notification is None:
            return False  # sent, failed, deleted, or being sent by another worker right now
        notification.attempts += 1
        if not notification.recipient.email or not notification.recipient.is_active:
            notification.state = Notification.State.FAILED
            notification.save(update_fields=["attempts", "state"])
            return False
        try:
            _message(notification).send()
        except (smtplib.SMTPException, OSError) as exc:
            failure = exc
            if notification.attempts >= MAX_SEND_ATTEMPTS:
                notification.state = Notification.State.FAILED
            notification.save(update_fields=["attempts", "state"])
        else:
            notification.state, notification.sent_at = Notification.State.SENT, timezone.now()
            notification.save(update_fields=["attempts", "state", "sent_at"])
    if failure is not None:
        raise NotificationDeliveryError(type(failure).__name__) from failure
    return True


def notifications_requeue_stale() -> int:
    """Re-queue pending notices the broker may have lost (the database is the source of truth)."""
    ids = list(
        Notification.objects.filter(
            state=Notification.State.PENDING, created_at__lt=timezone.now() - STALE_AFTER
        )
        # Deadline reminders go out as digests; the deadline sweep re-queues those itself.
        .exclude(kind=Notification.Kind.DEADLINE_REMINDER)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    _queue_sending(ids)
    return len(ids)


def _admin_link(case: Case | None) -> str:
    if case is None:
        return f"{settings.SITE_URL}/admin/"
    try:
        path = reverse("admin:casework_case_change", args=[case.pk])
    except NoReverseMatch:
        path = "/admin/"
    return f"{settings.SITE_URL}{path}"


def _message(notification: Notification) -> EmailMessage:
    """Subject and body: a reference, a kind and a link. Nothing a mail server should not read."""
    reference = notification.case.reference if notification.case else ""
    with translation.override(settings.STAFF_EMAIL_LANGUAGE):
        if notification.kind == Notification.Kind.NEW_INTAKE:
            subject = _("New intake %(reference)s") % {"reference": reference}
            lead = _("A family has sent the intake form. Case: %(reference)s") % {
                "reference": reference
            }
        elif notification.kind == Notification.Kind.FAMILY_MESSAGE:
            subject = _("New information on %(reference)s") % {"reference": reference}
            lead = _("The family has added information on the status page. Case: %(reference)s") % {
                "reference": reference
            }
        else:
            subject = f"{notification.get_kind_display()} {reference}".strip()
            lead = subject
        body = "\n\n".join(
            [
                lead,
                _("Open it in Casework (sign-in required): %(link)s")
                % {"link": _admin_link(notification.case)},
                _("This email never contains names or contact details."),
            ]
        )
    return EmailMessage(
        subject=f"Casework: {subject}", body=body + "\n", to=[notification.recipient.email]
    )
