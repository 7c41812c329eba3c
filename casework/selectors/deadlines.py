"""Deadlines (legal clocks): which a user may see, which ran out or fall due soon, the overview's
counts, and when the reminder sweep last ran."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.formats import format_due, zone_for
from casework.models import (
    Case,
    Deadline,
    Filing,
    Heartbeat,
    Team,
)
from casework.roles import AnyUser
from casework.selectors.cases import DUE_SOON, case_visibility_q, cases_visible_to


def deadlines_visible_to(user: AnyUser) -> QuerySet[Deadline]:
    """Deadlines of the cases this user may see."""
    return Deadline.objects.filter(case_visibility_q(user, "case"))


def overdue_deadlines(deadlines: QuerySet[Deadline], now: datetime) -> QuerySet[Deadline]:
    """Clocks that ran out and still need someone: open past due (the sweep has not run yet), or
    a missed response clock whose filing is still overdue (neither answered nor escalated)."""
    return _with_filing_status(deadlines).filter(
        Q(state=Deadline.State.OPEN, due_at__lt=now) | _MISSED_AND_STILL_OVERDUE
    )


# A missed response clock still needs someone while its filing is overdue (neither answered
# late nor escalated); rows must carry `filing_status` (`_with_filing_status`).
_MISSED_AND_STILL_OVERDUE = Q(
    state=Deadline.State.MISSED,
    kind__in=Deadline.RESPONSE_CLOCKS,
    filing_status=Filing.Status.OVERDUE,
)


def _with_filing_status(deadlines: QuerySet[Deadline]) -> QuerySet[Deadline]:
    # The filing's status is read per row through its primary key (a correlated lookup), not by
    # joining every filing: only missed rows ever need it, and there are few of those per user.
    return deadlines.annotate(
        filing_status=Subquery(
            Filing.objects.filter(pk=OuterRef("filing_id")).order_by().values("status")[:1]
        )
    )


def due_soon_deadlines_q(now: datetime) -> Q:
    return Q(state=Deadline.State.OPEN, due_at__gte=now, due_at__lt=now + DUE_SOON)


def awaiting_response_deadlines_q() -> Q:
    return Q(state=Deadline.State.OPEN, kind__in=Deadline.RESPONSE_CLOCKS)


@dataclass(frozen=True)
class DashboardCounts:
    overdue: int = 0
    due_soon: int = 0
    new_intakes: int = 0
    awaiting_response: int = 0


@dataclass(frozen=True)
class TeamDashboardRow:
    team_id: int
    team_name: str
    counts: DashboardCounts


def _clock_counts(deadlines: QuerySet[Deadline], now: datetime) -> QuerySet[Deadline]:
    """Open clocks and missed response clocks whose filing is still overdue, ready to count."""
    return _with_filing_status(deadlines).filter(
        Q(state=Deadline.State.OPEN) | _MISSED_AND_STILL_OVERDUE
    )


def _count_clocks(now: datetime) -> tuple[Count, Count, Count]:
    """Counts of overdue, due-soon and awaiting clocks among `_clock_counts` rows."""
    overdue = Q(state=Deadline.State.OPEN, due_at__lt=now) | Q(state=Deadline.State.MISSED)
    return (
        Count("pk", filter=overdue),
        Count("pk", filter=due_soon_deadlines_q(now)),
        Count("pk", filter=awaiting_response_deadlines_q()),
    )


def dashboard_counts_for_user(
    *, user: AnyUser, now: datetime | None = None, new_intakes: int | None = None
) -> DashboardCounts:
    """The user's own numbers, in two queries: the clocks they answer for (overdue, due within
    7 days, awaiting an authority's answer) and the new intakes they can see (one query fewer
    when the caller already knows that number, e.g. from the team rows)."""
    now = now or timezone.now()
    overdue, due_soon, awaiting = _count_clocks(now)
    mine = _clock_counts(deadlines_visible_to(user).filter(responsible=user.pk), now).aggregate(
        overdue=overdue, due_soon=due_soon, awaiting_response=awaiting
    )
    return DashboardCounts(
        overdue=mine["overdue"],
        due_soon=mine["due_soon"],
        awaiting_response=mine["awaiting_response"],
        new_intakes=cases_visible_to(user).filter(status=Case.Status.NEW).count()
        if new_intakes is None
        else new_intakes,
    )


def dashboard_team_rows(*, now: datetime | None = None) -> tuple[TeamDashboardRow, ...]:
    """Every team's numbers (for coordinators), in two queries: one GROUP BY over the clocks,
    one over the teams with their new intakes counted on the (team, status) index."""
    now = now or timezone.now()
    overdue, due_soon, awaiting = _count_clocks(now)
    clocks = {
        team: DashboardCounts(overdue=late, due_soon=soon, awaiting_response=waiting)
        for team, late, soon, waiting in _clock_counts(Deadline.objects.all(), now)
        .values("case__team")
        .annotate(overdue=overdue, due_soon=due_soon, awaiting_response=awaiting)
        .order_by()
        .values_list("case__team", "overdue", "due_soon", "awaiting_response")
    }
    new_intakes = (
        Case.objects.filter(team=OuterRef("pk"), status=Case.Status.NEW)
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )
    team_rows = (
        Team.objects.order_by("name")
        .annotate(new_intakes=Coalesce(Subquery(new_intakes), 0))
        .values_list("pk", "name", "new_intakes")
    )
    return tuple(
        TeamDashboardRow(
            team_id=pk,
            team_name=name,
            counts=DashboardCounts(
                overdue=clocks.get(pk, DashboardCounts()).overdue,
                due_soon=clocks.get(pk, DashboardCounts()).due_soon,
                awaiting_response=clocks.get(pk, DashboardCounts()).awaiting_response,
                new_intakes=new,
            ),
        )
        for pk, name, new in team_rows
    )


@dataclass(frozen=True)
class ReminderLine:
    """One reminder as the overview lists it: what a digest line says, nothing personal."""

    deadline_id: int
    case_reference: str
    filing_reference: str
    office_kind: str
    kind: str
    due: str
    missed: bool


def reminders_of(
    user: AnyUser, *, now: datetime | None = None, limit: int = 10
) -> list[ReminderLine]:
    """The reminders the sweep has for this person (the clocks they answer for that ran out or
    fall due within 7 days), nearest first, in one query: shown on the overview to someone
    whom no email reaches."""
    now = now or timezone.now()
    clocks = _with_filing_status(deadlines_visible_to(user).filter(responsible=user.pk)).filter(
        Q(state=Deadline.State.OPEN, due_at__lt=now + DUE_SOON)
        | Q(
            state=Deadline.State.MISSED,
            kind__in=Deadline.RESPONSE_CLOCKS,
            filing_status=Filing.Status.OVERDUE,
        )
    )
    rows = (
        clocks.select_related("case__serviceman", "filing__office")
        .only(
            "pk",
            "kind",
            "due_at",
            "state",
            "case__reference",
            "filing__reference",
            "filing__office__kind",
            "filing__office__time_zone",
            "case__serviceman__jurisdiction",
        )  # fmt: skip
        .order_by("due_at", "pk")[:limit]
    )
    return [
        ReminderLine(
            deadline_id=row.pk,
            case_reference=row.case.reference,
            filing_reference=row.filing.reference if row.filing else "",
            office_kind=row.filing.office.get_kind_display() if row.filing else "",
            kind=row.get_kind_display(),
            due=format_due(
                row.due_at,
                zone_for(
                    office_time_zone=row.filing.office.time_zone if row.filing else None,
                    jurisdiction=row.case.serviceman.jurisdiction,
                ),
            ),
            missed=row.state == Deadline.State.MISSED or row.due_at < now,
        )
        for row in rows
    ]


def last_sweep_at() -> datetime | None:
    """When the deadline sweep (what beat runs) last finished, or None if it never ran."""
    return Heartbeat.objects.filter(name=Heartbeat.SWEEP).values_list("at", flat=True).first()


def sweep_is_late(last: datetime | None, *, now: datetime | None = None) -> bool:
    """True when the last sweep is older than SWEEP_STALE_AFTER_SECONDS (None: never ran)."""
    if last is None:
        return False
    now = now or timezone.now()
    return now - last > timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)


def case_open_deadlines(case: Case) -> QuerySet[Deadline]:
    """The case's running clocks, nearest first."""
    return Deadline.objects.filter(case=case, state=Deadline.State.OPEN).order_by("due_at", "pk")


def case_follow_ups(case: Case) -> QuerySet[Deadline]:
    """The case's follow-ups still to do (open, or missed and not closed), nearest first."""
    return (
        Deadline.objects.filter(
            case=case, kind=Deadline.Kind.FOLLOW_UP, state__in=Deadline.REMINDED_STATES
        )
        .select_related("responsible")
        .order_by("due_at", "pk")
    )
