"""Retention: what the consent text promises families, kept by `manage.py purge_expired`.

Closed cases are erased RETENTION_MONTHS_AFTER_CLOSE months after closing; expired sessions,
links, counters, receipts and old notices go too, and audit events older than
AUDIT_RETENTION_MONTHS (through the one path the database allows). Safe to run any number of
times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from casework.models import Case, Notification, StaffInvitation
from casework.services import ratelimit
from casework.services.audit import audit_events_purge
from casework.services.cases import case_delete
from casework.services.intake import intake_receipts_expire

NOTIFICATION_DAYS = 90


@dataclass
class PurgeReport:
    cases: list[str] = field(default_factory=list)
    sessions: int = 0
    other_rows: int = 0
    audit_events: int = 0


def retention_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=30 * settings.RETENTION_MONTHS_AFTER_CLOSE)


def purge_expired(*, now: datetime | None = None) -> PurgeReport:
    now = now or timezone.now()
    report = PurgeReport()
    expired = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=retention_cutoff(now))
    for case in expired.order_by("pk"):
        report.cases.append(case.reference)
        case_delete(case=case, actor=None)  # each case in its own transaction
    report.sessions = Session.objects.filter(expire_date__lt=now).delete()[0]
    report.other_rows += StaffInvitation.objects.filter(
        expires_at__lt=now - timedelta(days=30)
    ).delete()[0]
    report.other_rows += Notification.objects.filter(
        state=Notification.State.SENT, sent_at__lt=now - timedelta(days=NOTIFICATION_DAYS)
    ).delete()[0]
    report.other_rows += ratelimit.purge_expired() + intake_receipts_expire()
    if settings.AUDIT_RETENTION_MONTHS > 0:
        before = now - timedelta(days=30 * settings.AUDIT_RETENTION_MONTHS)
        report.audit_events = audit_events_purge(before=before)
    return report
