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


def update_fields_for(model: type[models.Model], changed: Iterable[str]) -> list[str]:
    """The columns to save for these changed form fields: concrete columns only (a form's
    display-only or many-to-many fields are not columns), plus the model's auto_now stamps."""
    concrete = {f.name: f for f in model._meta.concrete_fields}
    stamps = [name for name, f in concrete.items() if getattr(f, "auto_now", False)]
    return sorted((set(changed) & set(concrete)) | set(stamps))


@transaction.atomic
def record_save(*, obj: models.Model, actor: Actor, changed: Iterable[str]) -> models.Model:
    """Create or update `obj` and audit which fields changed (names only)."""
    creating = obj.pk is None
    # An update writes only what the form changed: a concurrent edit of another field stays.
    obj.save(update_fields=None if creating else update_fields_for(type(obj), changed))
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
