"""Retention: what the consent text promises families, kept by `manage.py purge_expired`.

Closed cases are erased RETENTION_MONTHS_AFTER_CLOSE months after closing, unless they are still
live work: a case with an open or missed clock, a legal hold, or a case merged into one that
stays is kept, and a person a remaining case still lists stays when their closed case goes.
Expired sessions, links, counters, receipts and old notices go too, and audit events older
than AUDIT_RETENTION_MONTHS (through the one path the database allows). Safe to run any number of
times; `dry_run` changes nothing and says what would go and why the rest stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from casework.models import AuditEvent, Case, Notification, StaffInvitation
from casework.selectors import Kept, case_keep_reasons, retention_cutoff, retention_plan
from casework.services import ratelimit
from casework.services.audit import audit_events_purge
from casework.services.cases import case_delete
from casework.services.intake import intake_receipts_expire

NOTIFICATION_DAYS = 90


@dataclass
class PurgeReport:
    """References and counts only: the command prints it."""

    dry_run: bool = False
    cases: list[str] = field(default_factory=list)  # erased (or, in a dry run, to be erased)
    kept_cases: list[Kept] = field(default_factory=list)
    kept_people: list[Kept] = field(default_factory=list)
    sessions: int = 0
    other_rows: int = 0
    audit_events: int = 0


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase what retention allows, each case in its own transaction; or, with `dry_run`, only
    report it (expired counters and unconfirmed receipts, which the portal sweep also clears
    every few minutes, are not counted then)."""
    now = now or timezone.now()
    plan = retention_plan(now=now)
    report = PurgeReport(
        dry_run=dry_run, kept_cases=list(plan.kept_cases), kept_people=list(plan.kept_people)
    )
    sessions = Session.objects.filter(expire_date__lt=now)
    invitations = StaffInvitation.objects.filter(expires_at__lt=now - timedelta(days=30))
    notices = Notification.objects.filter(
        state=Notification.State.SENT, sent_at__lt=now - timedelta(days=NOTIFICATION_DAYS)
    )
    audit_before = (
        now - timedelta(days=30 * settings.AUDIT_RETENTION_MONTHS)
        if settings.AUDIT_RETENTION_MONTHS > 0
        else None
    )
    if dry_run:
        report.cases = [reference for _pk, reference in plan.erase]
        report.sessions = sessions.count()
        report.other_rows = invitations.count() + notices.count()
        if audit_before is not None:
            report.audit_events = AuditEvent.objects.filter(at__lt=audit_before).count()
        return report
    cutoff = retention_cutoff(now)
    for pk, reference in plan.erase:
        reasons = _case_erase_if_expired(case_id=pk, cutoff=cutoff)
        if reasons is None:
            report.cases.append(reference)
        elif reasons:  # something changed since the plan was made: it stays
            report.kept_cases.append(Kept("case", reference, tuple(reasons)))
    report.sessions = sessions.delete()[0]
    report.other_rows += invitations.delete()[0] + notices.delete()[0]
    report.other_rows += ratelimit.purge_expired() + intake_receipts_expire()
    if audit_before is not None:
        report.audit_events = audit_events_purge(before=audit_before)
    return report


@transaction.atomic
def _case_erase_if_expired(*, case_id: int, cutoff: datetime) -> list[str] | None:
    """Erase the case if it is still closed past the cutoff and nothing keeps it, deciding with
    its row locked; returns None when erased, else why not (empty: reopened or already gone)."""
    case = (
        Case.objects.select_for_update()
        .filter(pk=case_id, status=Case.Status.CLOSED, closed_at__lt=cutoff)
        .first()
    )
    if case is None:
        return []
    reasons = case_keep_reasons(case)
    if reasons:
        return reasons
    case_delete(case=case, actor=None)
    return None
