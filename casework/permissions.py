"""Who may do what, decided in one place: the admin, the API and the services themselves ask here.

Two questions, always in this order:
1. May this user *see* the case? (the selectors' visibility rule). If not, the answer is
   NotFoundError, exactly as if the case did not exist.
2. May this user *do* this action? (their role's permissions, ROLE_PERMISSIONS in roles.py, and
   the few actions only coordinators take). If not, PermissionDeniedError.

Services call the `*_act_check` helpers with their acting user, so a new caller (a view, a
command, an API endpoint) cannot forget a check; `actor=None` is the system itself (the sweep,
a task, a migration), which the services trust. The admin asks `may` to decide what to offer.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from casework.exceptions import NotFoundError, PermissionDeniedError
from casework.models import Case, Deadline, Filing
from casework.roles import AnyUser, is_coordinator
from casework.selectors import cases_visible_to


class Action(StrEnum):
    CASE_VIEW = "case_view"
    CASE_EDIT = "case_edit"  # the case's own fields, messages to the family
    NOTE_ADD = "note_add"
    FILING_CREATE = "filing_create"
    FILING_ACT = "filing_act"  # every step of a filing: sent, registered, answered, escalated …
    DEADLINE_HAND_OVER = "deadline_hand_over"
    CASE_MERGE = "case_merge"
    CASE_TRIAGE = "case_triage"  # assign, move to a team, set the status of many cases at once
    CASE_DELETE = "case_delete"  # a family asked: the case is erased as retention would
    ACCESS_CODE_MANAGE = "access_code_manage"  # reissue or revoke a family's code
    LEGAL_HOLD = "legal_hold"  # set or lift a case's legal hold
    EXCHANGE_RECORD = "exchange_record"
    RULES_EDIT = "rules_edit"
    CASE_FILE_EXPORT = "case_file_export"  # the whole case in one zip for a lawyer
    ATTACHMENT_ADD = "attachment_add"  # a scan or photo: a receipt, a delivery notice, an answer
    FACT_ADD = "fact_add"  # a dated fact of the chronology
    FACT_CHANGE = "fact_change"  # whether a fact is used in documents
    FOLLOW_UP_ADD = "follow_up_add"
    FOLLOW_UP_CLOSE = "follow_up_close"  # done, or no longer needed
    CASES_IMPORT = "cases_import"  # cases from an organisation's spreadsheet
    CASES_EXPORT = "cases_export"  # cases out to a spreadsheet
    COLLECTIVE_COMPLAINT = "collective_complaint"  # a summary across cases, a joint draft


# The Django permission each action needs (the roles' groups carry them, roles.py).
REQUIRED_PERMISSION: dict[Action, str] = {
    Action.CASE_VIEW: "casework.view_case",
    Action.CASE_EDIT: "casework.change_case",
    Action.NOTE_ADD: "casework.add_timelineentry",
    Action.FILING_CREATE: "casework.add_filing",
    Action.FILING_ACT: "casework.change_filing",
    Action.DEADLINE_HAND_OVER: "casework.change_deadline",
    Action.CASE_MERGE: "casework.change_case",
    Action.CASE_TRIAGE: "casework.change_case",
    Action.CASE_DELETE: "casework.delete_case",
    Action.ACCESS_CODE_MANAGE: "casework.change_case",
    Action.LEGAL_HOLD: "casework.change_case",
    Action.EXCHANGE_RECORD: "casework.add_exchange",
    Action.RULES_EDIT: "casework.change_responserule",
    Action.CASE_FILE_EXPORT: "casework.view_case",
    Action.ATTACHMENT_ADD: "casework.add_attachment",
    Action.FACT_ADD: "casework.add_casefact",
    Action.FACT_CHANGE: "casework.change_casefact",
    Action.FOLLOW_UP_ADD: "casework.add_deadline",
    Action.FOLLOW_UP_CLOSE: "casework.change_deadline",
    Action.CASES_IMPORT: "casework.add_case",
    Action.CASES_EXPORT: "casework.view_case",
    Action.COLLECTIVE_COMPLAINT: "casework.view_case",
}
# Actions that reach beyond one team's work: a merge joins two families' records, a new access
# code decides who can read a case from outside, triage moves cases between people and teams,
# a legal hold overrides what families were promised about erasure, erasing a case cannot be
# undone and answers a family, not a team's workload, and a case file carries everything about
# a family out of the system at once. Imports, exports and collective complaints reach across
# every team's cases at once.
COORDINATOR_ONLY = frozenset(
    {
        Action.CASE_MERGE,
        Action.CASE_DELETE,
        Action.ACCESS_CODE_MANAGE,
        Action.CASE_TRIAGE,
        Action.LEGAL_HOLD,
        Action.CASE_FILE_EXPORT,
        Action.CASES_IMPORT,
        Action.CASES_EXPORT,
        Action.COLLECTIVE_COMPLAINT,
    }
)


def may(user: AnyUser, action: Action) -> bool:
    """Whether the user's role allows the action at all (visibility of a case is separate)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if action in COORDINATOR_ONLY and not is_coordinator(user):
        return False
    return bool(user.has_perm(REQUIRED_PERMISSION[action]))


def action_check(*, user: AnyUser, action: Action) -> None:
    """Raise PermissionDeniedError unless the user's role allows the action."""
    if not may(user, action):
        raise PermissionDeniedError(_("You may not do this."))


def case_act_check(*, user: AnyUser, case: Case, action: Action) -> None:
    """NotFoundError unless the user may see the case; PermissionDeniedError unless they may act."""
    if not cases_visible_to(user).filter(pk=case.pk).exists():
        raise NotFoundError(_("No such case."))
    action_check(user=user, action=action)


def filing_act_check(*, user: AnyUser, filing: Filing, action: Action = Action.FILING_ACT) -> None:
    """As `case_act_check`, for a step on one of the case's filings."""
    if not cases_visible_to(user).filter(pk=filing.case_id).exists():
        raise NotFoundError(_("No such filing."))
    action_check(user=user, action=action)


def deadline_act_check(*, user: AnyUser, deadline: Deadline) -> None:
    """As `case_act_check`, for handing a clock over."""
    if not cases_visible_to(user).filter(pk=deadline.case_id).exists():
        raise NotFoundError(_("No such deadline."))
    action_check(user=user, action=Action.DEADLINE_HAND_OVER)
