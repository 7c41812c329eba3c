"""Follow-ups: a caseworker's own reminders on a case ("call the mother on Friday").

They are not statutory clocks, but they are Deadline rows of kind FOLLOW_UP, so the overview,
the deadline list, `Case.next_deadline` and the reminder sweep and digest treat them like any
clock, in one place. Their words (`Deadline.note`) may be personal: encrypted, never audited,
never in a reminder email (the digest says "follow-up" and the case reference).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.exceptions import CaseworkError
from casework.models import AuditEvent, Case, Deadline
from casework.selectors import users_who_see_case
from casework.services.audit import audit_record
from casework.services.filings import case_next_deadline_refresh

# What may still be closed: open, or missed and still waiting for someone.
CLOSABLE = (Deadline.State.OPEN, Deadline.State.MISSED)


class FollowUpError(CaseworkError):
    code = "follow_up_refused"


@transaction.atomic
def follow_up_add(
    *, case: Case, actor: User | None, due_at: datetime, text: str, responsible: User | None
) -> Deadline:
    """A follow-up due at `due_at` for `responsible` (the actor when not named), with the
    case's team as backup; refused for a moment already past or someone who cannot see the case.
    """
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.FOLLOW_UP_ADD)
    text = text.strip()[:1000]
    if not text:
        raise FollowUpError(_("Say what is to be done."))
    if due_at <= timezone.now():
        raise FollowUpError(_("A follow-up is due at a moment still to come."))
    responsible = responsible or actor
    if responsible is not None and not users_who_see_case(case).filter(pk=responsible.pk).exists():
        raise FollowUpError(_("Only someone who can open this case can answer for it."))
    deadline = Deadline.objects.create(
        case=case,
        kind=Deadline.Kind.FOLLOW_UP,
        due_at=due_at,
        responsible=responsible,
        backup_team_id=case.team_id,
        note=text,
    )
    case_next_deadline_refresh(case.pk)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=deadline,
        reference=case.reference,
        detail={"deadline": deadline.pk, "kind": Deadline.Kind.FOLLOW_UP},
    )
    return deadline


@transaction.atomic
def follow_up_close(*, deadline: Deadline, actor: User | None, done: bool) -> Deadline:
    """Done (met) or no longer needed (cancelled): nobody is reminded of it any more. Refused
    for a statutory clock (those close with their filing) and for one already closed."""
    if actor is not None:
        permissions.case_act_check(
            user=actor, case=deadline.case, action=permissions.Action.FOLLOW_UP_CLOSE
        )
    deadline = (
        Deadline.objects.select_for_update(of=("self",)).select_related("case").get(pk=deadline.pk)
    )
    if deadline.kind != Deadline.Kind.FOLLOW_UP:
        raise FollowUpError(
            _("Only a follow-up is closed by hand; a legal clock closes with its filing.")
        )
    if deadline.state not in CLOSABLE:
        raise FollowUpError(_("This follow-up is closed already."))
    deadline.state = Deadline.State.MET if done else Deadline.State.CANCELLED
    deadline.closed_at = timezone.now()
    deadline.reminded_stage = Deadline.ReminderStage.DONE
    deadline.save(update_fields=["state", "closed_at", "reminded_stage"])
    case_next_deadline_refresh(deadline.case_id)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=deadline,
        reference=deadline.case.reference,
        detail={"deadline": deadline.pk, "state": deadline.state},
    )
    return deadline
