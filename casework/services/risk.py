"""The suicide-risk protocol on a case: each step done once, recorded in the timeline."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation

from casework import permissions
from casework.models import AuditEvent, Case, ProtocolStep, TimelineEntry
from casework.services.audit import audit_record


@transaction.atomic
def protocol_step_record(*, case: Case, actor: User, step: str, note: str) -> ProtocolStep:
    """Record one protocol step on the case once (a repeat returns the first record), with a
    timeline entry saying what was done; never visible to the family."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.NOTE_ADD)
    if step not in ProtocolStep.Step.values:
        raise ValueError(f"no protocol step {step!r}")
    # The case row serialises two caseworkers ticking the same step at the same moment.
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    done = ProtocolStep.objects.filter(case=case, step=step).first()
    if done is not None:
        return done
    now = timezone.now()
    # Stored in the staff's language, like the intake's labels: the timeline is read by staff.
    with translation.override(settings.LANGUAGE_CODE):
        label = str(ProtocolStep.Step(step).label)
    entry = TimelineEntry.objects.create(
        case=case,
        kind=TimelineEntry.Kind.PROTOCOL,
        text=f"{label}: {note}" if note else label,
        author=actor,
        created_at=now,
    )
    record = ProtocolStep.objects.create(
        case=case, step=step, entry=entry, done_by=actor, done_at=now
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=entry,
        reference=case.reference,
        detail={"entry": entry.pk, "kind": TimelineEntry.Kind.PROTOCOL, "step": step},
    )
    return record
