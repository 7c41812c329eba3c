"""Writes for cases and their timelines: saves, deletes and the audit of views and searches.

Audit rows name fields and count results; they never carry a value, a name or a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework import permissions
from casework.exceptions import LegalHoldError, OpenClocksError
from casework.models import Applicant, AuditEvent, Case, Deadline, Serviceman, Team, TimelineEntry
from casework.selectors import case_live_deadlines
from casework.services.audit import audit_record
from casework.services.submissions import submitted_once

Actor = User | AnonymousUser

# What a caseworker writes on the timeline by hand, for staff only, never shown to the family;
# the other kinds are written by services.
INTERNAL_TIMELINE_KINDS = (
    TimelineEntry.Kind.NOTE,
    TimelineEntry.Kind.CALL,
    TimelineEntry.Kind.MESSAGE_IN,
)
# Entries written by a person; a message to the family comes only from family_message_post.
MANUAL_TIMELINE_KINDS = (*INTERNAL_TIMELINE_KINDS, TimelineEntry.Kind.MESSAGE_OUT)


@transaction.atomic
def case_create(*, case: Case, actor: Actor) -> Case:
    """Save a new case and audit its creation (reference only)."""
    case.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case)
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: Actor | None,
    changed: Iterable[str],
    cancel_clocks_reason: str | None = None,
) -> Case:
    """Save exactly the changed fields and audit their names, never their values.

    The status the family sees is not one of them: it changes through family_status_set.
    Closing the case is refused (OpenClocksError, nothing saved) while it has open or missed
    clocks, unless `cancel_clocks_reason` says why they are cancelled: then they are, with the
    reason on the timeline. A closed case with a live clock would never be erased, and nobody
    would be reminded of it either.
    """
    fields = sorted(set(changed) & {f.name for f in Case._meta.concrete_fields})
    if "family_status" in fields:
        raise ValueError("family_status changes through services.family.family_status_set")
    if not fields:
        return case
    saved = [*fields, "updated_at"]
    detail: dict[str, object] = {"fields": fields}
    if "status" in fields:
        # The lock orders this against the purge and a hold, and makes closing happen once.
        stored = Case.objects.select_for_update().only("status").get(pk=case.pk)
        closing = case.status == Case.Status.CLOSED and stored.status != Case.Status.CLOSED
        if closing:
            cancelled = _clocks_cancel_for_closing(case, actor, cancel_clocks_reason)
            if cancelled:
                case.next_deadline = None  # every open clock was just cancelled
                saved.append("next_deadline")
                detail["cancelled_clocks"] = cancelled
        # The retention clock (purge_expired) runs from closing; reopening stops it.
        closed = case.status == Case.Status.CLOSED
        case.closed_at = (case.closed_at or timezone.now()) if closed else None
        saved.append("closed_at")
    case.save(update_fields=saved)
    audit_record(actor=actor, action=AuditEvent.Action.CHANGE, obj=case, detail=detail)
    return case


# Statuses triage may set; closing a case happens on its own page, where its open clocks are
# dealt with first.
TRIAGE_STATUSES = (Case.Status.TRIAGE, Case.Status.ACTIVE, Case.Status.WAITING, Case.Status.ON_HOLD)


@transaction.atomic
def case_triage(
    *,
    case: Case,
    actor: User,
    assignee: User | None = None,
    team: Team | None = None,
    status: str | None = None,
) -> bool:
    """Assign a person, move to a team and/or set the status of one case (a coordinator's bulk
    action calls it per case, each in its own transaction). Audited by `case_update` (field
    names only). False when nothing changed."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_TRIAGE)
    if status is not None and status not in TRIAGE_STATUSES:
        raise ValueError(f"triage does not set the status {status!r}")
    case = Case.objects.select_for_update().get(pk=case.pk)
    wanted = {"assignee": assignee, "team": team, "status": status}
    changed = [
        name for name, value in wanted.items() if value is not None and getattr(case, name) != value
    ]
    for name in changed:
        setattr(case, name, wanted[name])
    case_update(case=case, actor=actor, changed=changed)
    return bool(changed)


@transaction.atomic
def case_close(*, case: Case, actor: User | None, cancel_clocks_reason: str | None = None) -> Case:
    """Close the case once (closing a closed case changes nothing). With open or missed clocks
    it is refused (OpenClocksError, nothing changed) unless `cancel_clocks_reason` says why they
    are cancelled. `actor=None` is the system itself."""
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_EDIT)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status == Case.Status.CLOSED:
        return locked
    locked.status = Case.Status.CLOSED
    return case_update(
        case=locked, actor=actor, changed=["status"], cancel_clocks_reason=cancel_clocks_reason
    )


def _clocks_cancel_for_closing(case: Case, actor: Actor | None, reason: str | None) -> list[int]:
    """Cancel the case's live clocks for a closing, with the reason on the timeline; returns
    their ids. Refuses (OpenClocksError) when there are some and no reason was given."""
    live = list(
        case_live_deadlines(case).select_for_update(of=("self",)).values_list("pk", flat=True)
    )
    if not live:
        return []
    reason = (reason or "").strip()
    if not reason:
        raise OpenClocksError(
            ngettext(
                "This case has %(count)d open or missed clock. Cancel it, giving the reason, "
                "or keep the case open.",
                "This case has %(count)d open or missed clocks. Cancel them, giving the reason, "
                "or keep the case open.",
                len(live),
            )
            % {"count": len(live)},
            fields={"clocks": len(live)},
        )
    Deadline.objects.filter(pk__in=live).update(
        state=Deadline.State.CANCELLED, closed_at=timezone.now()
    )
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Case closed; clocks cancelled (%(count)d): %(reason)s") % {
            "count": len(live),
            "reason": reason,
        }
    TimelineEntry.objects.create(
        case=case,
        kind=TimelineEntry.Kind.STATUS,
        text=note,
        author=actor if isinstance(actor, User) else None,
    )
    return live


@transaction.atomic
def case_legal_hold_set(*, case: Case, actor: User, reason: str) -> Case:
    """Put the case on legal hold (coordinators): nothing erases it, neither the retention purge
    nor a deletion, until the hold is lifted. Audited; a case already on hold is left as it is."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.LEGAL_HOLD)
    reason = reason.strip()
    if not reason:
        raise LegalHoldError(_("Give the reason for the legal hold."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.legal_hold_at is None:
        locked.legal_hold_at, locked.legal_hold_by, locked.legal_hold_reason = (
            timezone.now(),
            actor,
            reason[:2000],
        )
        locked.save(
            update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"]
        )
        # The reason may name a court or a person: it stays in the (encrypted) field only.
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked, detail={"legal_hold": "set"}
        )
    return locked


@transaction.atomic
def case_legal_hold_lift(*, case: Case, actor: User) -> Case:
    """Lift the case's legal hold (coordinators), audited; retention applies again from here."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.LEGAL_HOLD)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.legal_hold_at is not None:
        since = locked.legal_hold_at
        locked.legal_hold_at, locked.legal_hold_by, locked.legal_hold_reason = None, None, ""
        locked.save(
            update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=locked,
            detail={"legal_hold": "lifted", "held_since": since.isoformat()},
        )
    return locked


@transaction.atomic
def case_delete(*, case: Case, actor: Actor | None) -> None:
    """Erase the case: timeline, filings, deadlines, files, and the serviceman and applicant
    unless a remaining case still lists them. The audit keeps only the reference. Refused
    (LegalHoldError, nothing erased) while the case is on legal hold.

    Used for a family's deletion request (a coordinator, in the admin) and by the retention
    purge (`purge_expired`, actor None). Raises NotFoundError / PermissionDeniedError for an
    actor who may not see the case or may not delete it.
    """
    from casework.services.attachments import attachment_files_delete

    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_DELETE)
    # The lock orders the erasure after a hold being set at this moment, and before any clock
    # being opened on the case (its insert waits on the row, then finds it gone).
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        return  # already erased
    if locked.legal_hold_at is not None:
        raise LegalHoldError(_("The case is on legal hold: it cannot be erased."))
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=locked)
    files = list(locked.attachments.values_list("public_id", flat=True))
    serviceman_id, applicant_id = locked.serviceman_id, locked.applicant_id
    locked.delete()
    remaining = Case.objects.all()
    if applicant_id and not remaining.filter(applicant_id=applicant_id).exists():
        # She is also listed on each case of the man she wrote about (the case page shows his
        # family), so she stays while one of those remains.
        her_man = Applicant.objects.filter(pk=applicant_id).values_list("serviceman_id", flat=True)
        if not remaining.filter(serviceman_id__in=her_man).exists():
            Applicant.objects.filter(pk=applicant_id).delete()
    if not remaining.filter(serviceman_id=serviceman_id).exists():
        # His relatives go with him, except one still the applicant of a remaining case (a merge
        # gave her case to another man's record): she stays, no longer linked to him.
        Applicant.objects.filter(serviceman_id=serviceman_id, cases__isnull=False).update(
            serviceman=None
        )
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
    if visible_to_family and kind != TimelineEntry.Kind.MESSAGE_OUT:
        # One place writes to the family (family_message_post); a note never becomes visible.
        raise ValueError("only a message to the family is shown to the family")
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
def timeline_entry_hide_from_family(*, entry: TimelineEntry, actor: Actor) -> TimelineEntry:
    """Take an entry off the family's status page (a message posted by mistake); the only change
    an entry allows. Nothing is ever made visible here: family_message_post does that."""
    stored = TimelineEntry.objects.select_for_update().select_related("case").get(pk=entry.pk)
    if not stored.visible_to_family:
        return stored
    stored.visible_to_family = False
    stored.save(update_fields=["visible_to_family"])
    entry.visible_to_family = False
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=stored,
        reference=stored.case.reference,
        detail={"entry": stored.pk, "fields": ["visible_to_family"]},
    )
    return stored
