"""The deadline sweep (what beat runs) and reminder digests to staff.

The database is the source of truth: the sweep marks missed clocks and writes one Notification
row per (deadline, stage, due moment, recipient). A digest claims its rows, sends, then marks
them sent, as single notices do (services/notifications.py): a retried or duplicated task never
emails twice, a failed send leaves the rows for the next try, and the next sweep re-queues rows
whose message was lost or whose sender died (at least once: only a crash right after the server
accepted the digest sends it again).

The sweep's cost follows the work, not the data. Each clock remembers the last reminder stage
queued for it (`Deadline.reminded_stage`: week, day, missed, done), so a sweep reads only the
clocks whose stage is behind their due moment, through a partial index that holds no finished
clock. It works in batches of SWEEP_BATCH clocks, each in a short transaction that takes its
rows with SKIP LOCKED (a second sweep running at the same time takes others, never waits) and
runs a fixed number of set-based statements: the updates, one bulk insert of reminder rows
(ON CONFLICT DO NOTHING on their key), one update of the stages. Batches are read as tuples and
written from them (services/bulk.py): no model instance per row, whose building once cost more
than the database's work. A sweep with nothing to do sends three reads that find nothing in
their index ranges (the reminder read is six of them), records its heartbeat, asks who waits for
a digest and writes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.formats import format_due, zone_for
from casework.models import Deadline, Filing, Heartbeat, Notification
from casework.rules.store import CourtLimitSource
from casework.selectors import deadline_reminder_recipients
from casework.services.bulk import ids_in, rows_insert
from casework.services.filings import cases_next_deadline_refresh, filings_mark_overdue
from casework.services.notifications import (
    notifications_claim,
    notifications_refused,
    notifications_retryable_q,
    notifications_settle,
)

Stage = Deadline.ReminderStage
# Stage -> how long before the due moment it fires (a missed clock fires once, after; an
# escalation ESCALATE_MISSED_DAYS after that).
STAGES = {Stage.WEEK: timedelta(days=7), Stage.DAY: timedelta(days=1)}
# The reminder row of an escalation (the stage a clock reaches with it is DONE).
ESCALATED = "escalated"


@dataclass
class SweepReport:
    overdue_filings: int = 0
    missed_deadlines: int = 0
    queued: int = 0
    escalated: int = 0
    batches: int = 0
    recipients: set[int] = field(default_factory=set)


def deadlines_sweep(*, now: datetime | None = None, batch: int | None = None) -> SweepReport:
    """Mark overdue filings and missed clocks, queue the reminders whose stage came, in batches;
    then, after commit, a digest task per person with reminders waiting."""
    now = now or timezone.now()
    batch = batch or settings.SWEEP_BATCH
    report = SweepReport()
    source = CourtLimitSource()  # each jurisdiction's court rules and calendar read once
    while True:  # filings first: their clocks run out as "missed" with the court limit opened
        taken = filings_mark_overdue(now=now, limit=batch, source=source)
        report.overdue_filings += taken
        report.batches += 1
        if taken < batch:
            break
    while True:  # every other clock that ran out (court limits and custom clocks included)
        taken = _missed_mark(now=now, limit=batch)
        report.missed_deadlines += taken
        report.batches += 1
        if taken < batch:
            break
    while True:
        taken = _reminders_queue(now=now, limit=batch, report=report)
        report.batches += 1
        if taken < batch:
            break
    heartbeat_touch(now)
    # Rows from earlier sweeps too (a lost message, a failed send, a dead sender) are retried.
    recipients = sorted(
        set(
            Notification.objects.filter(
                notifications_retryable_q(), kind=Notification.Kind.DEADLINE_REMINDER
            )
            .order_by()
            .values_list("recipient_id", flat=True)
            .distinct()
        )
    )
    report.recipients.update(recipients)
    if recipients:
        transaction.on_commit(lambda: _enqueue_digests(recipients))
    return report


def heartbeat_touch(now: datetime) -> None:
    """Record that the sweep ran: one UPDATE (an INSERT only the very first time)."""
    if not Heartbeat.objects.filter(name=Heartbeat.SWEEP).update(at=now):
        Heartbeat.objects.get_or_create(name=Heartbeat.SWEEP, defaults={"at": now})


@transaction.atomic
def _missed_mark(*, now: datetime, limit: int) -> int:
    """Up to `limit` open clocks past their due moment become missed (three statements).

    Not the response clock of a filing still awaiting an answer: that one runs out with its
    filing (`filings_mark_overdue`), which a busy filing only postpones to the next sweep."""
    lapsed = list(
        Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        .run_out(now)
        .exclude(kind__in=Deadline.RESPONSE_CLOCKS, filing__status__in=Filing.AWAITING_RESPONSE)
        .order_by()  # any order: SKIP LOCKED never waits, so no lock order is needed
        .values_list("pk", "case_id")[:limit]
    )
    if not lapsed:
        return 0
    Deadline.objects.filter(pk__in=[pk for pk, _case in lapsed]).update(
        state=Deadline.State.MISSED, closed_at=now
    )
    cases_next_deadline_refresh({case_id for _pk, case_id in lapsed})
    return len(lapsed)


class Clock(NamedTuple):
    """What the sweep reads of a clock whose reminder stage came (a tuple, not an instance:
    a batch is thousands of clocks)."""

    pk: int
    case_id: int
    filing_id: int | None
    kind: str
    due_at: datetime
    state: str
    reminded_stage: str
    responsible_id: int | None
    backup_team_id: int | None
    filing_status: str | None


def _needs_someone(clock: Clock) -> bool:
    """A missed clock still waits for someone: not an early check (its point passed with the
    main clock), and a response clock only while its filing is overdue (neither answered late
    nor escalated since)."""
    if clock.kind == Deadline.Kind.EARLY_CHECK:
        return False
    if clock.kind in Deadline.RESPONSE_CLOCKS and clock.filing_id is not None:
        return clock.filing_status == Filing.Status.OVERDUE
    return True


def _stages_due(clock: Clock, *, now: datetime) -> tuple[list[str], str]:
    """The reminder rows this clock needs now, and the stage it reaches with them."""
    current = clock.reminded_stage
    if clock.state == Deadline.State.OPEN:
        stage = Stage.DAY if clock.due_at < now + STAGES[Stage.DAY] else Stage.WEEK
        return [stage], stage
    if not _needs_someone(clock):
        return [], Stage.DONE
    rows = [] if current == Stage.MISSED else [Stage.MISSED.value]
    if clock.due_at < now - timedelta(days=settings.ESCALATE_MISSED_DAYS):
        return [*rows, ESCALATED], Stage.DONE
    return rows, Stage.MISSED


def reminders_work_ranges(now: datetime) -> list[Q]:
    """Clocks whose reminder stage is behind their due moment, as six conditions: each fixes
    the state and the stage and bounds the due moment, so it is one range of the partial index
    `deadline_reminder_work` (state, reminded_stage, due_at), which holds no finished clock."""
    open_, missed = Deadline.State.OPEN, Deadline.State.MISSED
    day, week = now + STAGES[Stage.DAY], now + STAGES[Stage.WEEK]
    escalate_before = now - timedelta(days=settings.ESCALATE_MISSED_DAYS)
    return [
        Q(state=open_, reminded_stage=Stage.NONE, due_at__gte=now, due_at__lt=week),
        Q(state=open_, reminded_stage=Stage.WEEK, due_at__gte=now, due_at__lt=day),
        *(Q(state=missed, reminded_stage=stage) for stage in (Stage.NONE, Stage.WEEK, Stage.DAY)),
        Q(state=missed, reminded_stage=Stage.MISSED, due_at__lt=escalate_before),
    ]


def reminders_work_q(now: datetime) -> Q:
    """Any of the ranges: the test a clock passes once it is locked."""
    ranges = reminders_work_ranges(now)
    return reduce(or_, ranges[1:], ranges[0])


def _reminders_work_ids(now: datetime, limit: int) -> QuerySet[Deadline, Any]:
    """Up to `limit` ids from each range, oldest first: UNION ALL of six limited index range
    scans.

    Written as one OR, or with a list of stages in a range, PostgreSQL plans the read from its
    estimates, which treat state, stage and due moment as unrelated; once bursts of missed
    clocks wait for their escalation day (a million deadlines) it read the whole table, 0.1-0.3 s
    for a sweep with nothing to do, growing with the data. A range ordered by its index's last
    column is read in index order: empty, or `limit` rows long, whatever the table holds."""
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (the embedded default: one machine, a few thousand clocks) allows no LIMIT in
        # a compound statement's branches; its one read of the OR is quick at that size.
        return Deadline.objects.filter(reminders_work_q(now)).values("pk")
    first, *rest = [
        Deadline.objects.filter(q).order_by("due_at").values("pk")[:limit]
        for q in reminders_work_ranges(now)
    ]
    return first.union(*rest, all=True)


@transaction.atomic
def _reminders_queue(*, now: datetime, limit: int, report: SweepReport) -> int:
    """Queue the reminders of up to `limit` clocks whose stage came, in a fixed number of
    statements: read the clocks, their recipients (two), insert the rows, move the stages."""
    filing_status = Subquery(
        Filing.objects.filter(pk=OuterRef("filing_id")).order_by().values("status")[:1]
    )
    clocks = [
        Clock(*row)
        for row in Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        # Locked by primary key from the ids the ranges give; the condition is tested again on
        # the locked row, which a concurrent sweep may have moved on since the ids were read.
        .filter(reminders_work_q(now), pk__in=_reminders_work_ids(now, limit))
        .annotate(filing_status=filing_status)
        .order_by()  # no ORDER BY ... LIMIT: it tempts a walk of the primary key
        .values_list(*Clock._fields)[:limit]
    ]
    if not clocks:
        return 0
    plans = [(clock, *_stages_due(clock, now=now)) for clock in clocks]
    wanted = [(clock, stage == ESCALATED) for clock, stages, _ in plans for stage in stages]
    recipients = iter(deadline_reminder_recipients(wanted, today=timezone.localdate(now)))
    rows = []
    kind = Notification.Kind.DEADLINE_REMINDER.value
    for clock, stages, _reached in plans:
        # The due moment is part of the key: a clock reopened at another moment is reminded
        # again; one already reminded at this moment (an earlier sweep, a concurrent one) never.
        key_base = f"deadline:{clock.pk}:{{stage}}:{int(clock.due_at.timestamp())}"
        for stage in stages:
            report.escalated += stage == ESCALATED
            key_stage = key_base.format(stage=stage)
            for user_id in next(recipients):
                rows.append((kind, user_id, clock.case_id, clock.pk, f"{key_stage}:{user_id}", now))
    # One INSERT ... ON CONFLICT DO NOTHING: a row some sweep already wrote stays as it is.
    rows_insert(
        Notification,
        ("kind", "recipient_id", "case_id", "deadline_id", "dedupe_key", "created_at"),
        rows,
        ignore_conflicts=True,
    )
    report.queued += len(rows)
    by_stage: dict[str, list[int]] = {}
    for clock, _rows, stage in plans:
        by_stage.setdefault(stage, []).append(clock.pk)
    reached = SqlCase(
        *[When(ids_in("pk", ids), then=Value(stage)) for stage, ids in by_stage.items()],
        default=F("reminded_stage"),
    )
    Deadline.objects.filter(ids_in("pk", [clock.pk for clock in clocks])).update(
        reminded_stage=reached, reminded_at=now
    )
    return len(clocks)


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


def reminder_stage_of(row: Notification) -> str:
    """The stage a reminder row was queued for (week, day, missed, escalated): part of its key."""
    parts = row.dedupe_key.split(":")
    return parts[2] if len(parts) > 2 else ""


def _digest_line(row: Notification) -> str:
    """One clock: the case and filing references, the office's kind, the clock's kind and its
    due moment in the office's zone. Never a name, a contact, a unit or a diagnosis."""
    assert row.deadline is not None and row.case is not None
    deadline = row.deadline
    filing = deadline.filing
    # As the admin writes it: in the office's zone (the server's is UTC, nobody's local time).
    office = filing.office if filing else None
    jurisdiction = getattr(row, "jurisdiction", None)
    when = format_due(
        deadline.due_at,
        zone_for(office_time_zone=office.time_zone if office else None, jurisdiction=jurisdiction),
    )
    if deadline.state == Deadline.State.MISSED:
        state = _("MISSED (was due %(when)s)") % {"when": when}
    else:
        state = _("due %(when)s") % {"when": when}
    what = deadline.get_kind_display()
    if filing is not None and office is not None:
        what = _("%(kind)s of %(filing)s to %(office)s") % {
            "kind": what,
            "filing": filing.reference,
            "office": office.get_kind_display(),
        }
    marks = []
    if reminder_stage_of(row) == ESCALATED:
        marks.append(
            _("still missed after %(days)d days: sent to the team's coordinators")
            % {"days": settings.ESCALATE_MISSED_DAYS}
        )
    if deadline.unverified:
        marks.append(_("unverified rule — check with a lawyer"))
    if deadline.provisional:
        marks.append(_("provisional calendar"))
    suffix = f" ({'; '.join(marks)})" if marks else ""
    return f"- {row.case.reference}: {what}, {state}{suffix}"
