"""A case as the family sees it after intake, and what caseworkers show the family.

Families (through the status page) add information and files and may change their choice about
a collective complaint. Caseworkers post messages the family can read (for FAMILY_MESSAGE_DAYS)
and set the status the family sees. Every write is audited; nothing personal goes into the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework import permissions
from casework.models import Applicant, AuditEvent, Case, Notification, TimelineEntry
from casework.selectors import notice_recipients_for_team
from casework.services.attachments import (
    Upload,
    attachments_record,
    uploads_discard,
    uploads_store,
)
from casework.services.audit import audit_record
from casework.services.cases import timeline_entry_add, timeline_entry_hide_from_family
from casework.services.notifications import notifications_queue
from casework.services.submissions import submitted_once

# --- From the family --------------------------------------------------------------------------


def family_information_add(
    *, case: Case, text: str, uploads: Sequence[Upload], token: str | None = None
) -> TimelineEntry:
    """Add the family's text and files to the timeline and flag the case for a caseworker.

    With the form's one-time `token`, a repeat (reload, double tap, even at the same moment)
    adds nothing and returns the first entry (see services/submissions.py).
    """
    stored = uploads_store(uploads)

    def add(token: str | None) -> TimelineEntry:
        if text:
            kind, note = TimelineEntry.Kind.MESSAGE_IN, text
        else:
            kind = TimelineEntry.Kind.UPLOAD
            with translation.override(settings.LANGUAGE_CODE):
                note = _("Files from the family: %(count)d") % {"count": len(stored)}
        entry = TimelineEntry.objects.create(
            case=case, kind=kind, text=note, submission_token=token, by_family=True
        )
        attachments_record(case=case, entry=entry, stored=stored, source="family")
        # update(), not save(): the case row may be open in a caseworker's form right now.
        Case.objects.filter(pk=case.pk).update(needs_attention=True, updated_at=timezone.now())
        audit_record(
            actor=None,
            action=AuditEvent.Action.CREATE,
            obj=entry,
            reference=case.reference,
            detail={"by": "family", "entry": entry.pk, "files": len(stored)},
        )
        notifications_queue(
            kind=Notification.Kind.FAMILY_MESSAGE,
            key=str(entry.pk),
            recipients=_people_to_tell(case),
            case=case,
        )
        return entry

    try:
        entry, created = submitted_once(TimelineEntry, token=token, create=add, case=case)
    except BaseException:
        uploads_discard(stored)
        raise
    if not created:
        uploads_discard(stored)  # the first submission's copies are the ones on record
    return entry


def _people_to_tell(case: Case) -> list[User]:
    assignee = case.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee]
    return notice_recipients_for_team(team=case.team)


@transaction.atomic
def family_collective_consent_set(*, case: Case, agrees: bool) -> Applicant | None:
    """Record the family's choice about being named in a collective complaint (revocable)."""
    if case.applicant_id is None:
        return None
    applicant = Applicant.objects.select_for_update(no_key=True).get(pk=case.applicant_id)
    if applicant.consent_collective == agrees:
        return applicant
    applicant.consent_collective = agrees
    applicant.save(update_fields=["consent_collective", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        note = (
            _("The family agrees to be named in a collective complaint.")
            if agrees
            else _("The family withdrew its agreement to be named in a collective complaint.")
        )
    TimelineEntry.objects.create(case=case, kind=TimelineEntry.Kind.NOTE, text=note)
    audit_record(
        actor=None,
        action=AuditEvent.Action.CHANGE,
        obj=applicant,
        detail={"by": "family", "fields": ["consent_collective"]},
    )
    return applicant


# --- From caseworkers -------------------------------------------------------------------------


def family_message_post(
    *, case: Case, actor: User, text: str, token: str | None = None
) -> TimelineEntry:
    """A message the family reads on the status page until FAMILY_MESSAGE_DAYS have passed.

    With the form's one-time `token`, a repeat posts nothing and returns the first message.
    """
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_EDIT)

    return timeline_entry_add(
        case=case,
        actor=actor,
        kind=TimelineEntry.Kind.MESSAGE_OUT,
        text=text,
        visible_to_family=True,
        visible_for=timedelta(days=settings.FAMILY_MESSAGE_DAYS),
        token=token,
    )


def family_message_withdraw(*, case: Case, entry_id: int, actor: User) -> bool:
    """The family no longer sees this message of the case (posted by mistake); audited, kept
    for staff. False if the case shows the family no such entry."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_EDIT)
    entry = TimelineEntry.objects.filter(case=case, pk=entry_id, visible_to_family=True).first()
    if entry is None:
        return False
    timeline_entry_hide_from_family(entry=entry, actor=actor)
    return True


@transaction.atomic
def family_status_set(*, case: Case, actor: User, family_status: str) -> Case:
    """Set the status the family sees; the same status again is a no-op."""
    status = Case.FamilyStatus(family_status)  # ValueError for anything else
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    if case.family_status == status:
        return case
    case.family_status = status
    case.save(update_fields=["family_status", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Status shown to the family: %(status)s") % {"status": status.label}
    TimelineEntry.objects.create(case=case, kind=TimelineEntry.Kind.STATUS, text=note, author=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=case,
        detail={"fields": ["family_status"], "family_status": status.value},
    )
    return case
