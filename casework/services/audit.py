"""Writing audit events; called by services inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from casework.models import AuditEvent


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    reference: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one event. `detail` must hold no personal data (field names, counts, references)."""
    if obj is not None and not reference:
        reference = str(getattr(obj, "reference", None) or obj.pk)
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_reference=reference,
        detail=detail or {},
    )
