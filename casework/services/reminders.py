"""The deadline sweep (what beat runs) and reminder digests to staff.

The database is the source of truth: the sweep marks missed clocks and writes one Notification
row per (deadline, stage, due moment). A digest claims its rows, sends, then marks them sent, as
single notices do (services/notifications.py): a retried or duplicated task never emails twice,
a failed send leaves the rows for the next try, and the next sweep re-queues rows whose message
was lost or whose sender died (at least once: only a crash right after the server accepted the
digest sends it again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.formats import format_due, zone_for
from casework.models import Deadline, Filing, Heartbeat, Notification
from casework.selectors import deadline_reminder_recipients
from casework.services.filings import case_next_deadline_refresh, filing_mark_overdue
from casework.services.notifications import (
    notifications_claim,
    notifications_refused,
    notifications_retryable_q,
    notifications_settle,
)
from casework.services.system import heartbeat_record

# Stage -> how long before the due moment it fires (a missed clock fires once, after).
STAGES = {"week": timedelta(days=7), "day": timedelta(days=1)}


@dataclass
class SweepReport:
    overdue_filings: int = 0
    missed_deadlines: int = 0
    queued: int = 0
    recipients: set[int] = field(default_factory=set)


def _queue(deadline: Deadline, stage: str, report: SweepReport) -> None:
    # The due moment is part of the key: a moved deadline is reminded again, an unmoved one never.
    key_base = f"deadline:{deadline.pk}:{stage}:{int(deadline.due_at.timestamp())}"
    for user in deadline_reminder_recipients(deadline):
        _, created = Notification.objects.get_or_create(
            dedupe_key=f"{key_base}:{user.pk}",
            defaults={
                "kind": Notification.Kind.DEADLINE_REMINDER,
                "recipient": user,
                "case_id": deadline.case_id,
                "deadline": deadline,
            },
        )
        if created:
            report.queued += 1
            report.recipients.add(user.pk)


def deadlines_sweep(*, now: datetime | None = None) -> SweepReport:
    """Mark missed clocks, move filings to overdue, queue reminders; then send digests."""
    now = now or timezone.now()
    report = SweepReport()
    stale = Filing.objects.filter(
        status__in=Filing.AWAITING_RESPONSE,
        pk__in=Deadline.objects.response_clocks_run_out(now).values("filing_id"),
    ).values_list("pk", flat=True)
    for filing_id in list(stale):
        report.overdue_filings += filing_mark_overdue(filing=Filing(pk=filing_id), now=now)
    with transaction.atomic():
        lapsed = Deadline.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            state=Deadline.State.OPEN, due_at__lt=now
        )
        for deadline in lapsed:
            deadline.state, deadline.closed_at = Deadline.State.MISSED, now
            deadline.save(update_fields=["state", "closed_at"])
            case_next_deadline_refresh(deadline.case_id)
            report.missed_deadlines += 1
        # Everything that ran out in this sweep (also the clocks of filings just made overdue),
        # except early checks, whose point has passed with the main clock.
        just_missed = Deadline.objects.filter(state=Deadline.State.MISSED, closed_at=now).exclude(
            kind=Deadline.Kind.EARLY_CHECK
        )
        for deadline in just_missed.select_related("responsible"):
            _queue(deadline, "missed", report)
        upcoming = Deadline.objects.filter(
            state=Deadline.State.OPEN, due_at__gte=now, due_at__lt=now + STAGES["week"]
        ).select_related("responsible")
        for deadline in upcoming:
            stage = "day" if deadline.due_at < now + STAGES["day"] else "week"
            _queue(deadline, stage, report)
        heartbeat_record(name=Heartbeat.SWEEP)
        # Rows from earlier sweeps (a lost message, a failed send, a dead sender) are retried.
        pending = Notification.objects.filter(
            notifications_retryable_q(), kind=Notification.Kind.DEADLINE_REMINDER
        ).values_list("recipient_id", flat=True)
        recipients = sorted(set(pending) | report.recipients)
        transaction.on_commit(lambda: _enqueue_digests(recipients))
    return report


def _enqueue_digests(user_ids: list[int]) -> None:
    from casework.tasks import send_reminder_digest

    for user_id in user_ids:
        send_reminder_digest.delay(user_id=user_id)


def reminder_digest_send(*, user: User) -> int:
    """Email one digest of this user's pending reminders; returns how many rows it covered.

    Call outside a transaction: the claim must be committed before the mail server is asked.
    A refused send puts the rows back to pending and raises, so the task (and the sweep) retry.
    """
    claimed = notifications_claim(
        Notification.objects.filter(recipient=user, kind=Notification.Kind.DEADLINE_REMINDER)
        .select_related("deadline__filing__office", "case")
        .annotate(jurisdiction=F("case__serviceman__jurisdiction"))
        .order_by("deadline__due_at")
    )
    if not claimed:
        return 0
    if not user.email:
        # Nowhere to send them: mark them failed (as single notices are) instead of retrying
        # forever; the dashboard still shows every deadline.
        notifications_settle(claimed, state=Notification.State.FAILED)
        return 0
    with translation.override(settings.STAFF_EMAIL_LANGUAGE):
        lines = [_digest_line(row) for row in claimed if row.deadline and row.case]
        body = "\n".join(
            [
                _("Deadlines that need you:"),
                "",
                *lines,
                "",
                _("Open the cases in Casework:"),
                f"{settings.SITE_URL}/admin/",
            ]
        )
        subject = _("Casework: %(count)d deadline reminder(s)") % {"count": len(claimed)}
    try:
        # References, deadline kinds and dates only: never a name, a contact or a diagnosis.
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError:  # SMTPException included; the rows wait for their next attempt
        notifications_refused(claimed)  # given up only once NOTICE_RETRY_HOURS have passed
        raise
    notifications_settle(claimed, state=Notification.State.SENT)
    return len(claimed)


def _digest_line(row: Notification) -> str:
    assert row.deadline is not None and row.case is not None
    deadline = row.deadline
    # As the admin writes it: in the office's zone (the server's is UTC, nobody's local time).
    office = deadline.filing.office if deadline.filing else None
    jurisdiction = getattr(row, "jurisdiction", None)
    when = format_due(
        deadline.due_at,
        zone_for(office_time_zone=office.time_zone if office else None, jurisdiction=jurisdiction),
    )
    state = _("MISSED") if deadline.state == Deadline.State.MISSED else when
    marks = []
    if deadline.unverified:
        marks.append(_("unverified rule — check with a lawyer"))
    if deadline.provisional:
        marks.append(_("provisional calendar"))
    suffix = f" ({'; '.join(marks)})" if marks else ""
    return f"- {row.case.reference}: {deadline.get_kind_display()}, {state}{suffix}"
