"""Staff: who sees a case, who may be given one, who hears of an intake, who reads the audit,
and which staff emails were given up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Protocol, cast

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casework.models import (
    ApiToken,
    AuditEvent,
    Case,
    Notification,
    Team,
)
from casework.roles import AnyUser, Role, has_role, is_administrator, is_coordinator


def users_who_see_case(case: Case) -> QuerySet[User]:
    """Active staff for whom `cases_visible_to` includes this case: the same rule read from the
    case's side (coordinators and superusers; the case's team's caseworkers; its assignee if a
    caseworker). A deadline is only ever handed to one of them."""
    caseworker = Q(groups__name=Role.CASEWORKER.value)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=Role.COORDINATOR.value)
            | (caseworker & (Q(teams=case.team_id) | Q(pk=case.assignee_id)))
        )
        .distinct()
        .order_by("username")
    )


def assignable_users() -> QuerySet[User]:
    """Staff who can be given a case."""
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


def notice_recipients_for_team(*, team: Team) -> list[User]:
    """Active coordinators with an email who belong to `team`, or every such coordinator."""
    coordinators = list(
        User.objects.filter(is_active=True, groups__name=Role.COORDINATOR.value)
        .exclude(email="")
        .annotate(
            in_team=Exists(Team.members.through.objects.filter(team=team, user=OuterRef("pk")))
        )
        .order_by("pk")
        .distinct()
    )
    in_team = [user for user in coordinators if user.in_team]
    return cast(list[User], in_team or coordinators)


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The audit trail is for coordinators, administrators and auditors; nobody else."""
    if is_coordinator(user) or is_administrator(user) or has_role(user, Role.AUDITOR):
        return AuditEvent.objects.all()
    return AuditEvent.objects.none()


def staff_away_until(user: AnyUser) -> date | None:
    """The last day of the person's absence, or None (no profile row yet: never away).

    Read through the user's profile, which every signed-in request has loaded already (the
    session check reads its generation), so the overview pays no query for it."""
    profile = getattr(user, "staff_profile", None)
    return profile.away_until if profile is not None else None


def _reachable(*, active: bool, email: str, away_until: date | None, today: date) -> bool:
    """A reminder email can reach this person today: active, an address, not away."""
    return active and bool(email) and (away_until is None or away_until < today)


class ReminderClock(Protocol):
    """What the recipients of a clock's reminder depend on: a Deadline, or the sweep's tuple."""

    @property
    def responsible_id(self) -> int | None: ...

    @property
    def backup_team_id(self) -> int | None: ...


def deadline_reminder_recipients(
    wanted: Sequence[tuple[ReminderClock, bool]], *, today: date | None = None
) -> list[list[int]]:
    """Who each reminder goes to, for each (deadline, escalation) pair: ids, in two queries.

    Every reminder reaches a person who can read it. It goes to the clock's responsible person
    when an email can reach them today (active, an address, not away); otherwise to the
    coordinators of the clock's backup team (its case's team) who can be reached, else to every
    such coordinator. An escalation (a clock still missed ESCALATE_MISSED_DAYS after its due
    moment) always goes to those coordinators, and to nobody when none can be reached (the
    responsible person has the missed reminder). Only when no coordinator at all can be reached
    does a reminder stay with the responsible person (their overview lists it) or, with nobody
    responsible, go to every active coordinator.
    """
    today = today or timezone.localdate()
    person_ids = {deadline.responsible_id for deadline, _ in wanted if deadline.responsible_id}
    people = {
        pk: _reachable(active=True, email=email, away_until=away, today=today)
        for pk, email, away in User.objects.filter(is_active=True, pk__in=person_ids).values_list(
            "pk", "email", "staff_profile__away_until"
        )
    }
    by_team: dict[int, list[int]] = {}
    reachable: list[int] = []
    active: list[int] = []
    coordinators = (
        User.objects.filter(is_active=True, groups__name=Role.COORDINATOR.value)
        .order_by("pk", "teams")
        .values_list("pk", "teams", "email", "staff_profile__away_until")
    )
    for pk, team_id, email, away in coordinators:  # one row per (coordinator, team)
        if active[-1:] != [pk]:
            active.append(pk)
            if _reachable(active=True, email=email, away_until=away, today=today):
                reachable.append(pk)
        if team_id is not None and reachable[-1:] == [pk]:
            by_team.setdefault(team_id, []).append(pk)
    answer = []
    for deadline, escalation in wanted:
        team = by_team.get(deadline.backup_team_id or 0, [])
        if not escalation and people.get(deadline.responsible_id or 0):
            answer.append([cast(int, deadline.responsible_id)])
        elif team or reachable:
            answer.append(team or reachable)
        elif escalation:
            # Nobody above to tell: the responsible person has the missed reminder already.
            answer.append([])
        elif deadline.responsible_id in people:
            answer.append([cast(int, deadline.responsible_id)])
        else:
            answer.append(active)
    return answer


def teams_ordered() -> QuerySet[Team]:
    """Every team, by name."""
    return Team.objects.order_by("name")


def teams_by_name() -> list[tuple[int, str]]:
    """(id, name) of every team, for list filters."""
    return list(teams_ordered().values_list("pk", "name"))


def api_tokens_visible_to(user: AnyUser) -> QuerySet[ApiToken]:
    """Administrators list everyone's API tokens (to revoke them); anyone else their own."""
    tokens = ApiToken.objects.select_related("user")
    if is_administrator(user):
        return tokens
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return tokens.none()
    return tokens.filter(user_id=user.pk)


# How long a given-up notice or reminder stays listed on the coordinators' overview (the
# overview's heading says "14 days": change both together).
NOTICE_GIVEN_UP_SHOWN_DAYS = 14


def notifications_given_up(*, limit: int = 20) -> tuple[int, list[Notification]]:
    """Notices and reminders given up in the last NOTICE_GIVEN_UP_SHOWN_DAYS: how many, and the
    most pressing `limit` of them (urgent first, then newest)."""
    since = timezone.now() - timedelta(days=NOTICE_GIVEN_UP_SHOWN_DAYS)
    rows = Notification.objects.filter(state=Notification.State.FAILED, given_up_at__gte=since)
    shown = list(
        rows.select_related("case", "recipient").order_by("-urgent", "-given_up_at", "-pk")[:limit]
    )
    # Counted only when the list is full: the overview usually has none, and one query then.
    return (rows.count() if len(shown) == limit else len(shown)), shown
