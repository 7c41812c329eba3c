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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.models import Deadline, Filing, Heartbeat, Notification
from casework.roles import Role
from casework.services.filings import case_next_deadline_refresh, filing_mark_overdue
from casework.services.notifications import (
    notifications_claim,
    notifications_retryable_q,
    notifications_settle,
)
from casework.services.system import heartbeat_record

SWEEP_HEARTBEAT = "reminder_sweep"
# Stage -> how long before the due moment it fires (a missed clock fires once, after).
STAGES = {"week": timedelta(days=7), "day": timedelta(days=1)}


@dataclass
class SweepReport:
    overdue_filings: int = 0
    missed_deadlines: int = 0
    queued: int = 0
    recipients: set[int] = field(default_factory=set)


def _recipients(deadline: Deadline) -> list[User]:
    """The responsible person; else the backup team's coordinators; else every coordinator."""
    if deadline.responsible_id and deadline.responsible and deadline.responsible.is_active:
        return [deadline.responsible]
    coordinators = User.objects.filter(is_active=True, groups__name=Role.COORDINATOR.value)
    if deadline.backup_team_id:
        team_coordinators = list(coordinators.filter(teams=deadline.backup_team_id))
        if team_coordinators:
            return team_coordinators
    return list(coordinators)


def _queue(deadline: Deadline, stage: str, report: SweepReport) -> None:
    # The due moment is part of the key: a moved deadline is reminded again, an unmoved one never.
    key_base = f"deadline:{deadline.pk}:{stage}:{int(deadline.due_at.timestamp())}"
    for user in _recipients(deadline):
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
    stale = (
        Filing.objects.filter(
            status__in=[Filing.Status.SENT, Filing.Status.REGISTERED, Filing.Status.EXTENDED],
            deadlines__state=Deadline.State.OPEN,
            deadlines__kind__in=[Deadline.Kind.RESPONSE_DUE, Deadline.Kind.RAPORT_48H],
            deadlines__due_at__lt=now,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
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
        heartbeat_record(name=SWEEP_HEARTBEAT)
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
        .select_related("deadline", "case")
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
    except OSError:  # SMTPException included; the rows stay for a retry, never given up
        notifications_settle(claimed, state=Notification.State.PENDING)
        raise
    notifications_settle(claimed, state=Notification.State.SENT)
    return len(claimed)


def _digest_line(row: Notification) -> str:
    assert row.deadline is not None and row.case is not None
    deadline = row.deadline
    when = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M %Z")
    state = _("MISSED") if deadline.state == Deadline.State.MISSED else when
    marks = []
    if deadline.unverified:
        marks.append(_("unverified rule — check with a lawyer"))
    if deadline.provisional:
        marks.append(_("provisional calendar"))
    suffix = f" ({'; '.join(marks)})" if marks else ""
    return f"- {row.case.reference}: {deadline.get_kind_display()}, {state}{suffix}"


def last_sweep_at() -> datetime | None:
    return Heartbeat.objects.filter(name=SWEEP_HEARTBEAT).values_list("at", flat=True).first()
