"""Audited writes for records with no rules of their own: applicants, teams, exchanges, spellings.

Also the audit of a record's page being opened. Audit rows carry field names, never values.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db import models, transaction

from casework.models import AuditEvent
from casework.services.audit import audit_record

Actor = User | AnonymousUser


@transaction.atomic
def record_save(*, obj: models.Model, actor: Actor, changed: Iterable[str]) -> models.Model:
    """Create or update `obj` and audit which fields changed (names only)."""
    creating = obj.pk is None
    obj.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.CHANGE,
        obj=obj,
        detail={"fields": sorted(changed)},
    )
    return obj


@transaction.atomic
def record_delete(*, obj: models.Model, actor: Actor) -> None:
    """Delete `obj`; the audit keeps its reference and nothing else."""
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=obj)
    obj.delete()


def record_view_audit(*, obj: models.Model, actor: Actor) -> AuditEvent:
    """Record that `actor` opened the page of a record holding personal data."""
    return audit_record(actor=actor, action=AuditEvent.Action.VIEW, obj=obj)
