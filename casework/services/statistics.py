"""Recording that someone read or downloaded the statistics (the figures are read by
selectors/statistics.py; only the fact of the reading is written)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from casework.models import AuditEvent
from casework.services.audit import audit_record


@transaction.atomic
def statistics_read_record(*, actor: User | AnonymousUser, download: bool) -> None:
    """One audit event per page view or CSV download (no figure and no unit in it)."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT if download else AuditEvent.Action.VIEW,
        object_type="statistics",
        reference="statistics",
        detail={"format": "csv" if download else "page"},
    )
