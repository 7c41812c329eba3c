"""Staff: who sees a case, who may be given one, who hears of an intake, who reads the audit,
and which staff emails were given up."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casework.models import (
    AuditEvent,
    Case,
    Deadline,
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


def deadline_reminder_recipients(deadline: Deadline) -> list[User]:
    """The responsible person; else the backup team's coordinators; else every coordinator."""
    if deadline.responsible_id and deadline.responsible and deadline.responsible.is_active:
        return [deadline.responsible]
    coordinators = User.objects.filter(is_active=True, groups__name=Role.COORDINATOR.value)
    if deadline.backup_team_id:
        team_coordinators = list(coordinators.filter(teams=deadline.backup_team_id))
        if team_coordinators:
            return team_coordinators
    return list(coordinators)


def teams_by_name() -> list[tuple[int, str]]:
    """(id, name) of every team, for list filters."""
    return list(Team.objects.order_by("name").values_list("pk", "name"))


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
