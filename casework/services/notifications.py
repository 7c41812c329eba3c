"""Staff email notices: queued as rows, sent by a task, retried by a sweep.

Queuing is idempotent (a unique `dedupe_key` per notice and recipient). The rows are the queue:
after commit a worker is woken to send every notice not tried yet (`notifications_wake`), and the
sweep re-queues any left behind. Sending is deliberately at least once, in three steps: claim
the rows (pending -> sending, with `claimed_at`, committed), talk to the mail server outside any
transaction, then mark them sent. A repeated or concurrent task finds the rows claimed or sent
and sends nothing; a claim that never finished (the worker died) is retried once it is older than
CLAIM_TIMEOUT. Only a crash between the server's acceptance and the mark can send one email
twice; nothing is ever lost. Reminder digests (services/reminders.py) use the same claim.

A refused send puts the row back to pending with `next_attempt_at` a growing pause ahead
(`notification_retry_delay`), and no claim takes a row before that moment: whichever task,
sweep or redelivered message touches it, a row is tried once per pause, so several of them can
never spend its tries together. A row is given up (failed) by time, when a send is refused
NOTICE_RETRY_HOURS or more after it was queued, and then listed on the coordinators' overview.
An email carries a case reference and a link into the admin, never a name, contact or diagnosis.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.models import Case, Notification

# A notice younger than this may still be waiting for its woken sender; the sweep leaves it.
STALE_AFTER = timedelta(seconds=settings.NOTICE_REQUEUE_AFTER_SECONDS)
# Far longer than one send may take (EMAIL_TIMEOUT per connection step), so a live sender's
# claim is never taken over; a dead sender's rows wait this long before being retried.
CLAIM_TIMEOUT = timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
# One wake-up message serves every notice queued within this many seconds (see notifications_wake).
WAKE_SECONDS = 2
# How much later than the window's end the woken sender starts: room for the worker's clock to
# run ahead of the web server's.
WAKE_MARGIN_SECONDS = 3
# A woken sender sends at most this many notices, for at most this long (one send may wait on the
# mail server for EMAIL_TIMEOUT), well inside the task's time limit; then it wakes the next.
SEND_BATCH = 25
SEND_SECONDS = 60.0
# A retrying task waits at most this long in the broker (an ETA message is held by a worker,
# unacknowledged, and the broker hands it out again after its visibility timeout); a longer
# pause is left to the sweep, which runs every few minutes.
RETRY_TASK_MAX_SECONDS = 900


class NotificationDeliveryError(Exception):
    """The mail server refused or did not answer; the rows wait for their next attempt.

    `retry_at` is the earliest moment one of the refused rows may be tried again (None when
    every one of them was given up).
    """

    def __init__(self, reason: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


def notification_retry_delay(*, attempts: int, urgent: bool = False) -> timedelta:
    """The pause after the `attempts`-th refused send: doubling from the first, capped."""
    first = float(settings.NOTICE_RETRY_FIRST_SECONDS)
    cap = float(
        settings.NOTICE_URGENT_RETRY_MAX_SECONDS if urgent else settings.NOTICE_RETRY_MAX_SECONDS
    )
    # min() before the power would overflow: 2**1000 is fine for ints but not for floats.
    return timedelta(seconds=min(first * 2 ** min(max(attempts - 1, 0), 30), cap))


def notifications_queue(
    *,
    kind: str,
    key: str,
    recipients: Iterable[User],
    case: Case | None = None,
    urgent: bool = False,
) -> list[int]:
    """Queue one notice per recipient, once: the same `kind` and `key` never make a second row.

    Call inside the transaction that creates what the notice is about, so the rows exist exactly
    when it does; a sender is woken after commit. `urgent` notices go first and are retried
    with a shorter pause.
    """
    rows = [
        Notification(
            kind=kind,
            recipient=user,
            case=case,
            urgent=urgent,
            dedupe_key=f"{kind}:{key}:{user.pk}"[:120],
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
        .order_by("-urgent", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_send_untried(
    *, limit: int = SEND_BATCH, seconds: float = SEND_SECONDS
) -> tuple[list[int], bool]:
    """Send notices never tried, oldest first: at most `limit`, starting none after `seconds`.

    Returns the ids the mail server refused (pending again, waiting for their next attempt)
    and whether untried notices are left for another sender.
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
    """Send each pending notice that is due once; returns how many were sent now.

    Every notice is tried even if one fails; a failure is raised at the end, carrying the
    earliest next attempt, so the caller (the task) can come back then; a retry skips what was
    sent and what is not due yet.
    """
    sent, retry_at, failure = 0, list[datetime](), None
    for pk in notification_ids:
        try:
            sent += notification_send(notification_id=pk)
        except NotificationDeliveryError as exc:
            failure = exc
            if exc.retry_at is not None:
                retry_at.append(exc.retry_at)
    if failure is not None:
        raise NotificationDeliveryError(str(failure), retry_at=min(retry_at, default=None))
    return sent


def notification_send(*, notification_id: int) -> bool:
    """Send one notice unless it is sent, being sent or not due; False if nothing was sent.

    A refusal leaves it pending until its next attempt, or gives it up once the retry time
    (NOTICE_RETRY_HOURS since it was queued) has run out.
    """
    claimed = notifications_claim(
        Notification.objects.filter(pk=notification_id).select_related("recipient", "case")
    )
    if not claimed:
        return False  # sent, failed, deleted, not due, or being sent by another worker now
    notification = claimed[0]
    if not notification.recipient.email or not notification.recipient.is_active:
        failure = (
            Notification.Failure.NO_ADDRESS
            if not notification.recipient.email
            else Notification.Failure.INACTIVE
        )
        notifications_settle(claimed, state=Notification.State.FAILED, failure=failure)
        return False
    try:
        _message(notification).send()
    except (smtplib.SMTPException, OSError) as exc:
        retry_at = notifications_refused(claimed)
        raise NotificationDeliveryError(type(exc).__name__, retry_at=retry_at) from exc
    notifications_settle(claimed, state=Notification.State.SENT)
    return True


def notifications_retryable_q() -> Q:
    """Rows a sender may take: pending and due, or claimed by a sender that did not finish in
    time (the worker died: its row is due at once)."""
    now = timezone.now()
    return Q(state=Notification.State.PENDING, next_attempt_at__lte=now) | Q(
        state=Notification.State.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
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


def notifications_settle(
    claimed: Sequence[Notification], *, state: str, failure: str = "", **values: object
) -> None:
    """End this sender's claim: sent, back to pending, or failed for good (given up now, for
    `failure`, or for NO_ADDRESS when none is given).

    Rows whose claim lapsed and was taken by another sender meanwhile are that sender's now.
    """
    if not claimed:
        return
    values["state"] = state
    if state == Notification.State.SENT:
        values["sent_at"] = timezone.now()
    if state == Notification.State.FAILED:
        values["given_up_at"] = timezone.now()
        values["failure"] = failure or Notification.Failure.NO_ADDRESS
    Notification.objects.filter(
        pk__in=[row.pk for row in claimed],
        state=Notification.State.SENDING,
        claimed_at=claimed[0].claimed_at,  # one claim stamps all its rows alike
    ).update(**values)


def notifications_refused(claimed: Sequence[Notification]) -> datetime | None:
    """The mail server refused this claim's rows: each waits for its next attempt, or is given
    up when it was queued NOTICE_RETRY_HOURS ago or more. Returns the earliest next attempt.

    A row's last pause is cut short at the end of its retry time, so it gets one last try then.
    """
    now = timezone.now()
    window = timedelta(hours=float(settings.NOTICE_RETRY_HOURS))
    given_up, waiting = list[Notification](), dict[datetime, list[Notification]]()
    for row in claimed:
        ends = row.created_at + window
        if now >= ends:
            given_up.append(row)
            continue
        delay = notification_retry_delay(attempts=row.attempts, urgent=row.urgent)
        waiting.setdefault(min(now + delay, ends), []).append(row)
    notifications_settle(
        given_up, state=Notification.State.FAILED, failure=Notification.Failure.REFUSED
    )
    for next_attempt_at, rows in waiting.items():
        notifications_settle(
            rows, state=Notification.State.PENDING, next_attempt_at=next_attempt_at
        )
    return min(waiting, default=None)


def notifications_next_attempt(rows: QuerySet[Notification]) -> datetime | None:
    """When the earliest pending row among `rows` may be tried again (None: none pending)."""
    found: datetime | None = rows.filter(state=Notification.State.PENDING).aggregate(
        at=Min("next_attempt_at")
    )["at"]
    return found


def notifications_retry_countdown(retry_at: datetime | None) -> float | None:
    """Seconds a retrying task should wait for `retry_at` (a second late, so the row is due by
    then); None when the wait is longer than a task should be held and the sweep will do."""
    if retry_at is None:
        return None
    wait = (retry_at - timezone.now()).total_seconds() + 1
    return max(wait, 1.0) if wait <= RETRY_TASK_MAX_SECONDS else None


def notifications_requeue_stale() -> int:
    """Re-queue every notice not given up whose next attempt is due (the broker may have lost
    its message, or the retry was left to the sweep): the database is the source of truth."""
    ids = list(
        Notification.objects.filter(
            notifications_retryable_q(), created_at__lt=timezone.now() - STALE_AFTER
        )
        # Deadline reminders go out as digests; the deadline sweep re-queues those itself.
        .exclude(kind=Notification.Kind.DEADLINE_REMINDER)
        .order_by("-urgent", "pk")
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
