"""Writing audit events (called by services inside their own transaction), and the one path
that may delete them: the retention purge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, models, transaction

from casework.models import AuditEvent


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    reference: str = "",
    detail: dict[str, Any] | None = None,
    object_type: str = "",
) -> AuditEvent:
    """Record one event. `detail` must hold no personal data (field names, counts, references)."""
    if obj is not None and not reference:
        reference = str(getattr(obj, "reference", None) or obj.pk)
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else object_type,
        object_reference=reference,
        detail=detail or {},
    )


@contextmanager
def _audit_purge_allowed() -> Iterator[None]:
    """Open the database's append-only trigger (migration 0021) for this transaction only.

    PostgreSQL: the transaction-local setting `casework.audit_purge`. SQLite has no session
    settings: a row in `casework_audit_purge_permit`, inserted and removed inside the same
    transaction, so no other connection ever sees it (SQLite has one writer at a time).
    Both are shut again before the caller's transaction goes on, so nothing after the purge
    (in the same transaction) can delete an audit row either.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the audit purge runs inside a transaction")
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET LOCAL casework.audit_purge = 'on'")
        elif vendor == "sqlite":
            cursor.execute("INSERT INTO casework_audit_purge_permit (id) VALUES (1)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("SET LOCAL casework.audit_purge = 'off'")
            elif vendor == "sqlite":
                cursor.execute("DELETE FROM casework_audit_purge_permit")


@transaction.atomic
def audit_events_purge(*, before: datetime) -> int:
    """Delete audit events older than `before` (the retention purge's path, the only one the
    database allows) and record how many went, as an event of its own."""
    with _audit_purge_allowed():
        deleted = AuditEvent.objects.filter(at__lt=before).delete()[0]
    if deleted:
        audit_record(
            actor=None,
            action=AuditEvent.Action.DELETE,
            reference="retention",
            detail={"count": deleted, "before": before.date().isoformat()},
            object_type=AuditEvent._meta.model_name or "",
        )
    return deleted
