"""Staff email notices: queued as rows, sent by a task, retried by a sweep.

Queuing is idempotent (a unique `dedupe_key` per notice and recipient). The rows are the queue:
after commit a worker is woken to send every notice not tried yet (`notifications_wake`), and the
sweep re-queues any left behind. Sending is deliberately at least once, in three steps: claim
the rows (pending -> sending, with `claimed_at`, committed), talk to the mail server outside any
transaction, then mark them sent. A repeated or concurrent task finds the rows claimed or sent
and sends nothing; a refused send puts them back to pending, for a task that retries with a
growing pause; a claim that never finished (the worker died) is retried once it is older than
CLAIM_TIMEOUT. Only a crash between the server's acceptance and the mark can send one email
twice; nothing is ever lost. Reminder digests (services/reminders.py) use the same claim.
An email carries a case reference and a link into the admin, never a name, contact or diagnosis.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.models import Case, Notification

MAX_SEND_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=2)
# Far longer than one send may take (EMAIL_TIMEOUT per connection step), so a live sender's
# claim is never taken over; a dead sender's rows wait this long before being retried.
CLAIM_TIMEOUT = timedelta(minutes=15)
# One wake-up message serves every notice queued within this many seconds (see notifications_wake).
WAKE_SECONDS = 2
# How much later than the window's end the woken sender starts: room for the worker's clock to
# run ahead of the web server's.
WAKE_MARGIN_SECONDS = 3
# A woken sender sends at most this many notices, for at most this long (one send may wait on the
# mail server for EMAIL_TIMEOUT), well inside the task's time limit; then it wakes the next.
SEND_BATCH = 25
SEND_SECONDS = 60.0


class NotificationDeliveryError(Exception):
    """The mail server refused or did not answer; the task retries later."""


def notifications_queue(
    *, kind: str, key: str, recipients: Iterable[User], case: Case | None = None
) -> list[int]:
    """Queue one notice per recipient, once: the same `kind` and `key` never make a second row.

    Call inside the transaction that creates what the notice is about, so the rows exist exactly
    when it does; a sender is woken after commit.
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
    transaction.on_commit(notifications_wake, robust=True)
    return [row.pk for row in saved if row.pk is not None]


def notifications_wake() -> None:
    """Have a worker send the notices not tried yet, within a few seconds.

    A process publishes at most one wake-up per queue every WAKE_SECONDS, for a task that runs
    after that window has closed; a later call inside the window relies on that task, which
    starts after the caller's commit and so sees its rows. A burst of intakes (families writing
    in after an exchange is announced) thus costs a broker message every few seconds per web
    process instead of one per family: that publish was the costliest step left in the family's
    request. A message lost, or run early by a worker whose clock is more than
    WAKE_MARGIN_SECONDS ahead, loses nothing: the sweep sends what is left. Eager Celery (tests)
    runs the task at once, so it never skips.
    """
    from casework.tasks import send_pending_notifications

    conf = send_pending_notifications.app.conf
    if conf.task_always_eager:
        send_pending_notifications.delay()
        return
    now = time.monotonic()  # taken before the task's start time is, so that starts later
    queue = conf.task_default_queue
    if now - _woken_at.get(queue, -float("inf")) >= WAKE_SECONDS:
        send_pending_notifications.apply_async(countdown=WAKE_SECONDS + WAKE_MARGIN_SECONDS)
        _woken_at[queue] = now


# When this process last published a wake-up, per queue: a wake-up on one queue wakes no worker
# of another (a test's real worker reads a queue of its own, so an earlier test's wake-up never
# stands in for its own).
_woken_at: dict[str, float] = {}


def notifications_untried(*, limit: int) -> list[int]:
    """Ids of notices never tried, oldest first (a failed one is retried with backoff instead).

    Deadline reminders go out as digests (services/reminders.py), never one by one.
    """
    return list(
        Notification.objects.filter(state=Notification.State.PENDING, attempts=0)
        .exclude(kind=Notification.Kind.DEADLINE_REMINDER)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_send_untried(
    *, limit: int = SEND_BATCH, seconds: float = SEND_SECONDS
) -> tuple[list[int], bool]:
    """Send notices never tried, oldest first: at most `limit`, starting none after `seconds`.

    Returns the ids the mail server refused (pending again, for the retrying task) and whether
    untried notices are left for another sender.
    """
    ids, refused = notifications_untried(limit=limit), list[int]()
    started = time.monotonic()
    for pk in ids:
        if time.monotonic() - started > seconds:
            return refused, True
        try:
            notification_send(notification_id=pk)
        except NotificationDeliveryError:
            refused.append(pk)
    return refused, len(ids) == limit


def _queue_sending(ids: Sequence[int]) -> None:
    from casework.tasks import send_notifications

    # One message for all of them (a publish per notice would cost a broker round trip each).
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
    """Send one notice unless it is sent or being sent; False if there was nothing to send.

    A refusal counts an attempt and leaves it pending; after MAX_SEND_ATTEMPTS it fails.
    """
    claimed = notifications_claim(
        Notification.objects.filter(pk=notification_id).select_related("recipient", "case")
    )
    if not claimed:
        return False  # sent, failed, deleted, or being sent by another worker right now
    notification = claimed[0]
    if not notification.recipient.email or not notification.recipient.is_active:
        notifications_settle(claimed, state=Notification.State.FAILED)
        return False
    try:
        _message(notification).send()
    except (smtplib.SMTPException, OSError) as exc:
        given_up = notification.attempts >= MAX_SEND_ATTEMPTS
        notifications_settle(
            claimed, state=Notification.State.FAILED if given_up else Notification.State.PENDING
        )
        raise NotificationDeliveryError(type(exc).__name__) from exc
    notifications_settle(claimed, state=Notification.State.SENT)
    return True


def notifications_retryable_q() -> Q:
    """Rows a sender may take: pending, or claimed by a sender that did not finish in time."""
    lapsed = timezone.now() - CLAIM_TIMEOUT
    return Q(state=Notification.State.PENDING) | Q(
        state=Notification.State.SENDING, claimed_at__lt=lapsed
    )


def notifications_claim(rows: QuerySet[Notification]) -> list[Notification]:
    """Claim the retryable rows among `rows` for this sender (counting an attempt each).

    Committed before it returns, so call it outside any transaction: a repeated or concurrent
    sender then finds the rows taken and skips them while this one talks to the mail server.
    Locked rows are skipped, never waited for, so two senders cannot deadlock.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            rows.select_for_update(skip_locked=True, of=("self",)).filter(
                notifications_retryable_q()
            )
        )
        for row in claimed:
            row.state, row.claimed_at = Notification.State.SENDING, now
            row.attempts += 1
        Notification.objects.bulk_update(claimed, ["state", "claimed_at", "attempts"])
    return claimed


def notifications_settle(claimed: Sequence[Notification], *, state: str) -> None:
    """End this sender's claim: sent, back to pending for a retry, or failed for good.

    Rows whose claim lapsed and was taken by another sender meanwhile are that sender's now.
    """
    if not claimed:
        return
    values: dict[str, object] = {"state": state}
    if state == Notification.State.SENT:
        values["sent_at"] = timezone.now()
    Notification.objects.filter(
        pk__in=[row.pk for row in claimed],
        state=Notification.State.SENDING,
        claimed_at=claimed[0].claimed_at,  # one claim stamps all its rows alike
    ).update(**values)


def notifications_requeue_stale() -> int:
    """Re-queue pending notices the broker may have lost (the database is the source of truth)."""
    ids = list(
        Notification.objects.filter(
            notifications_retryable_q(), created_at__lt=timezone.now() - STALE_AFTER
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
