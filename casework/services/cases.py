"""Writes for cases and their timelines: saves, deletes and the audit of views and searches.

Audit rows name fields and count results; they never carry a value, a name or a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from casework import permissions
from casework.models import Applicant, AuditEvent, Case, Serviceman, TimelineEntry
from casework.services.audit import audit_record
from casework.services.submissions import submitted_once

Actor = User | AnonymousUser

# What a caseworker may write on the timeline by hand; the rest is written by services.
MANUAL_TIMELINE_KINDS = (
    TimelineEntry.Kind.NOTE,
    TimelineEntry.Kind.CALL,
    TimelineEntry.Kind.MESSAGE_IN,
    TimelineEntry.Kind.MESSAGE_OUT,
)


@transaction.atomic
def case_create(*, case: Case, actor: Actor) -> Case:
    """Save a new case and audit its creation (reference only)."""
    case.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case)
    return case


@transaction.atomic
def case_update(*, case: Case, actor: Actor, changed: Iterable[str]) -> Case:
    """Save exactly the changed fields and audit their names, never their values.

    The status the family sees is not one of them: it changes through family_status_set.
    """
    fields = sorted(set(changed) & {f.name for f in Case._meta.concrete_fields})
    if "family_status" in fields:
        raise ValueError("family_status changes through services.family.family_status_set")
    if not fields:
        return case
    saved = [*fields, "updated_at"]
    if "status" in fields:
        # The retention clock (purge_expired) runs from closing; reopening stops it.
        closed = case.status == Case.Status.CLOSED
        case.closed_at = (case.closed_at or timezone.now()) if closed else None
        saved.append("closed_at")
    case.save(update_fields=saved)
    audit_record(actor=actor, action=AuditEvent.Action.CHANGE, obj=case, detail={"fields": fields})
    return case


@transaction.atomic
def case_delete(*, case: Case, actor: Actor | None) -> None:
    """Erase the case: timeline, filings, deadlines, files, and the serviceman and applicant
    unless another case still needs them. The audit keeps only the reference.

    Used for a family's deletion request (a coordinator, in the admin) and by the retention
    purge (`purge_expired`, actor None). Raises NotFoundError / PermissionDeniedError for an
    actor who may not see the case or may not delete it.
    """
    from casework.services.attachments import attachment_files_delete

    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_DELETE)
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=case)
    files = list(case.attachments.values_list("public_id", flat=True))
    serviceman_id, applicant_id = case.serviceman_id, case.applicant_id
    case.delete()
    if applicant_id and not Case.objects.filter(applicant_id=applicant_id).exists():
        Applicant.objects.filter(pk=applicant_id).delete()
    if not Case.objects.filter(serviceman_id=serviceman_id).exists():
        Serviceman.objects.filter(pk=serviceman_id).delete()
    # Files go only once the rows are surely gone; they are encrypted meanwhile anyway.
    transaction.on_commit(lambda: attachment_files_delete(files))


def case_view_record(*, case: Case, actor: Actor) -> AuditEvent:
    """Record that `actor` opened the case page."""
    return audit_record(actor=actor, action=AuditEvent.Action.VIEW, obj=case)


def case_search_record(*, actor: Actor, result_count: int) -> AuditEvent:
    """Record a name search by its number of results; the query itself is never stored."""
    return audit_record(
        actor=actor, action=AuditEvent.Action.SEARCH, detail={"results": result_count}
    )


def timeline_entry_add(
    *,
    case: Case,
    actor: User,
    kind: str,
    text: str,
    visible_to_family: bool = False,
    visible_for: timedelta | None = None,
    token: str | None = None,
) -> TimelineEntry:
    """Add a note, call or message written by `actor`; other kinds belong to other services.

    A message for the family may be shown only `visible_for` (it then expires on the status page).

    With a one-time `token` (a form's, or an API idempotency key), a repeat adds nothing and
    returns the first entry.
    """
    if kind not in MANUAL_TIMELINE_KINDS:
        raise ValueError(f"timeline entries of kind {kind!r} are not written by hand")
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.NOTE_ADD)

    def add(token: str | None) -> TimelineEntry:  # in submitted_once's transaction
        now = timezone.now()
        entry = TimelineEntry.objects.create(
            case=case,
            kind=kind,
            text=text,
            visible_to_family=visible_to_family,
            visible_until=now + visible_for if visible_for else None,
            created_at=now,
            author=actor,
            submission_token=token,
        )
        detail: dict[str, object] = {"entry": entry.pk, "kind": kind}
        if visible_to_family:
            detail["visible_to_family"] = True
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=entry,
            reference=case.reference,
            detail=detail,
        )
        return entry

    entry, _created = submitted_once(
        TimelineEntry, token=token, create=add, case=case, author=actor
    )
    return entry


@transaction.atomic
def timeline_entry_set_visibility(
    *, entry: TimelineEntry, actor: Actor, visible_to_family: bool
) -> TimelineEntry:
    """Show or hide an entry on the family's status page; the only change an entry allows."""
    # Compare with the stored row, not `entry`: a bound admin form has already set the new value.
    stored = TimelineEntry.objects.select_for_update().select_related("case").get(pk=entry.pk)
    if stored.visible_to_family == visible_to_family:
        return stored
    stored.visible_to_family = visible_to_family
    stored.save(update_fields=["visible_to_family"])
    entry.visible_to_family = visible_to_family
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=stored,
        reference=stored.case.reference,
        detail={"entry": stored.pk, "fields": ["visible_to_family"]},
    )
    return stored
