"""Who may act, walked through the services themselves (not only the admin that offers them).

For each role and each action the service either does it, or refuses with NotFoundError (the
case is not visible: it does not exist for them) or PermissionDeniedError (visible, not theirs
to do), and a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from casework.exceptions import NotFoundError, PermissionDeniedError
from casework.models import AuditEvent, AuthorityOffice, Case, Deadline, Filing, TimelineEntry
from casework.permissions import Action, may
from casework.roles import Role
from casework.services.access_codes import access_code_reissue
from casework.services.cases import (
    case_close,
    case_legal_hold_set,
    case_triage,
    timeline_entry_add,
)
from casework.services.family import family_message_post
from casework.services.filings import deadline_hand_over, filing_create, filing_mark_sent
from casework.services.people import case_merge
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ALLOWED, HIDDEN, REFUSED = "allowed", "not found", "refused"


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


@pytest.fixture
def world() -> dict[str, Any]:
    """A case of team A; staff in every role, one caseworker of team A and one of team B."""
    team_a, team_b = TeamFactory(), TeamFactory()
    own = UserFactory(role=Role.CASEWORKER, teams=[team_a])
    case = CaseFactory(team=team_a, assignee=own)
    other = CaseFactory(team=team_a, serviceman=case.serviceman, applicant=case.applicant)
    draft = filing_create(
        case=case, office=office("ru_mod"), kind="complaint", signer="family", actor=None
    )
    sent = filing_create(
        case=case, office=office("ru_mod"), kind="complaint", signer="family", actor=None
    )
    filing_mark_sent(filing=sent, actor=None, sent_on=dt.date.today(), method="e_reception")
    return {
        "case": case,
        "other": other,
        "draft": draft,
        "deadline": Deadline.objects.get(filing=sent, kind=Deadline.Kind.RESPONSE_DUE),
        "users": {
            "caseworker of the team": own,
            "caseworker of another team": UserFactory(role=Role.CASEWORKER, teams=[team_b]),
            "coordinator": UserFactory(role=Role.COORDINATOR),
            "administrator": UserFactory(role=Role.ADMINISTRATOR),
            "auditor": UserFactory(role=Role.AUDITOR),
            "no role": UserFactory(),
        },
    }


ACTIONS: dict[str, Callable[[dict[str, Any], Any], object]] = {
    "create a filing": lambda w, user: filing_create(
        case=w["case"], office=office("ru_mod"), kind="complaint", signer="family", actor=user
    ),
    "mark a filing sent": lambda w, user: filing_mark_sent(
        filing=w["draft"], actor=user, sent_on=dt.date.today(), method="e_reception"
    ),
    "hand a deadline over": lambda w, user: deadline_hand_over(
        deadline=w["deadline"], responsible=w["case"].assignee, actor=user
    ),
    "add a note": lambda w, user: timeline_entry_add(
        case=w["case"], actor=user, kind="note", text="Позвонили"
    ),
    "message the family": lambda w, user: family_message_post(
        case=w["case"], actor=user, text="Жалоба отправлена."
    ),
    "reissue the access code": lambda w, user: access_code_reissue(case=w["case"], actor=user),
    "triage a case": lambda w, user: case_triage(
        case=w["case"], actor=user, status=Case.Status.ACTIVE
    ),
    "merge two cases": lambda w, user: case_merge(
        survivor=w["case"], merged=w["other"], actor=user
    ),
    "close a case, cancelling its clocks": lambda w, user: case_close(
        case=w["case"], actor=user, cancel_clocks_reason="Семья отозвала обращение"
    ),
    "set a legal hold": lambda w, user: case_legal_hold_set(
        case=w["case"], actor=user, reason="Запрос суда"
    ),
}

# role -> action -> expected answer. Caseworkers work their team's cases; coordinators all;
# administrators and auditors see no case at all (so every case is "not found" for them).
MATRIX = {
    "caseworker of the team": {
        "create a filing": ALLOWED,
        "mark a filing sent": ALLOWED,
        "hand a deadline over": ALLOWED,
        "add a note": ALLOWED,
        "message the family": ALLOWED,
        "reissue the access code": REFUSED,
        "triage a case": REFUSED,
        "merge two cases": REFUSED,
        "close a case, cancelling its clocks": ALLOWED,
        "set a legal hold": REFUSED,
    },
    "caseworker of another team": dict.fromkeys(ACTIONS, HIDDEN),
    "coordinator": dict.fromkeys(ACTIONS, ALLOWED),
    "administrator": dict.fromkeys(ACTIONS, HIDDEN),
    "auditor": dict.fromkeys(ACTIONS, HIDDEN),
    "no role": dict.fromkeys(ACTIONS, HIDDEN),
}


def state() -> tuple[object, ...]:
    """Everything any of these actions writes."""
    return (
        list(Filing.objects.order_by("pk").values_list("pk", "status")),
        list(Deadline.objects.order_by("pk").values_list("pk", "responsible_id", "state")),
        TimelineEntry.objects.count(),
        list(
            Case.objects.order_by("pk").values_list(
                "pk", "access_code_hash", "merged_into", "status", "legal_hold_at"
            )
        ),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_role_matrix_holds_in_the_services(world, role, action):
    user, expected = world["users"][role], MATRIX[role][action]
    before = state()
    if expected == ALLOWED:
        ACTIONS[action](world, user)
        assert state() != before
        return
    error = NotFoundError if expected == HIDDEN else PermissionDeniedError
    with pytest.raises(error):
        ACTIONS[action](world, user)
    assert state() == before


def test_may_follows_the_role_permissions():
    caseworker, coordinator = UserFactory(role=Role.CASEWORKER), UserFactory(role=Role.COORDINATOR)
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    assert [may(caseworker, action) for action in Action] == [
        action
        not in {
            Action.CASE_MERGE,
            Action.CASE_DELETE,
            Action.ACCESS_CODE_MANAGE,
            Action.LEGAL_HOLD,
            Action.EXCHANGE_RECORD,
            Action.RULES_EDIT,
            Action.CASE_TRIAGE,
            Action.CASE_FILE_EXPORT,
            Action.CASES_IMPORT,
            Action.CASES_EXPORT,
            Action.COLLECTIVE_COMPLAINT,
        }
        for action in Action
    ]
    assert all(may(coordinator, action) for action in Action)
    assert not any(may(administrator, action) for action in Action)
    caseworker.is_active = False
    assert not any(may(caseworker, action) for action in Action)
