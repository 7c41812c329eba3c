"""Reads, and the single place where "what may this user see" is decided.

A caseworker sees cases of their teams and cases assigned to them; a coordinator sees all. Any
other object (serviceman, applicant, timeline entry, attachment) is visible exactly when one of
its cases is. Something not visible is reported as not existing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Q, QuerySet

from casework.crypto import blind_index_all_keys, name_skeleton
from casework.exceptions import NotFoundError
from casework.models import (
    Applicant,
    Case,
    GivenNameEquivalent,
    Serviceman,
    Team,
    TimelineEntry,
)
from casework.roles import AnyUser, Role, has_role, is_administrator, is_coordinator

# --- Visibility -----------------------------------------------------------------------------


def cases_visible_to(user: AnyUser) -> QuerySet[Case]:
    if is_coordinator(user):
        return Case.objects.all()
    if not has_role(user, Role.CASEWORKER):
        return Case.objects.none()
    # A subquery rather than a join on team members: no DISTINCT over a large list.
    return Case.objects.filter(Q(team__in=_team_ids(user)) | Q(assignee=user))


def _team_ids(user: AnyUser) -> QuerySet[Team]:
    return Team.objects.filter(members=user.pk).values("pk")  # type: ignore[return-value]


def case_visibility_q(user: AnyUser, prefix: str) -> Q:
    """The same rule as `cases_visible_to`, for objects reached through `prefix` (e.g. "cases")."""
    if is_coordinator(user):
        return Q()
    if not has_role(user, Role.CASEWORKER):
        return Q(pk__in=[])
    return Q(**{f"{prefix}__team__in": _team_ids(user)}) | Q(**{f"{prefix}__assignee": user})


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


def servicemen_visible_to(user: AnyUser) -> QuerySet[Serviceman]:
    if is_coordinator(user):
        return Serviceman.objects.all()
    return Serviceman.objects.filter(pk__in=cases_visible_to(user).values("serviceman_id"))


def applicants_visible_to(user: AnyUser) -> QuerySet[Applicant]:
    if is_coordinator(user):
        return Applicant.objects.all()
    return Applicant.objects.filter(pk__in=cases_visible_to(user).values("applicant_id"))


def timeline_visible_to(user: AnyUser) -> QuerySet[TimelineEntry]:
    if is_coordinator(user):
        return TimelineEntry.objects.all()
    return TimelineEntry.objects.filter(case__in=cases_visible_to(user).values("pk"))


def case_get_for_user(*, user: AnyUser, pk: int | str) -> Case:
    """The case if this user may see it; otherwise NotFoundError, exactly as if it did not exist."""
    case = cases_visible_to(user).filter(pk=pk).first()
    if case is None:
        raise NotFoundError("No such case.")
    return case


# --- Names: given-name equivalences and duplicate candidates -----------------------------------


class GivenNameTable(dict[str, str]):
    """Skeleton of every listed spelling -> its group, with a digest of the whole table: the
    digest is part of each serviceman's index version, so editing the table re-indexes them."""

    @cached_property
    def digest(self) -> str:
        # Only indexing asks (a search never does), so it is computed on first use.
        table = json.dumps(sorted(self.items()), ensure_ascii=False)
        return hashlib.sha256(table.encode()).hexdigest()[:16]


def given_name_groups() -> GivenNameTable:
    """The editable given-name equivalence table, as it is now."""
    return GivenNameTable(
        (name_skeleton(spelling), group)
        for group, spelling in GivenNameEquivalent.objects.values_list("group", "spelling")
    )


def given_name_key(given_name: str, groups: GivenNameTable | None = None) -> str:
    """Кирилл, Кирило, Kirill and Kyrylo share a key; an unlisted name keys on its skeleton."""
    skeleton = name_skeleton(given_name)
    if not skeleton:
        return ""
    groups = given_name_groups() if groups is None else groups
    return name_skeleton(groups.get(skeleton, skeleton))


@dataclass(frozen=True)
class Candidate:
    serviceman: Serviceman
    score: float
    reasons: tuple[str, ...]


def _score(
    serviceman: Serviceman,
    *,
    surname: str,
    given_key: str,
    patronymic: str,
    birth_date: date | None,
    groups: GivenNameTable,
) -> Candidate | None:
    # A truncated HMAC can collide; the decrypted skeleton must really match.
    if name_skeleton(serviceman.surname) != name_skeleton(surname):
        return None
    score, reasons = 0.5, ["surname"]
    other_key = given_name_key(serviceman.given_name, groups)
    if given_key and other_key:
        if given_key == other_key:
            score, reasons = score + 0.3, [*reasons, "given name"]
        elif given_key[0] == other_key[0]:
            score, reasons = score + 0.05, [*reasons, "initial"]
        else:
            score -= 0.4
    if patronymic and serviceman.patronymic:
        same = name_skeleton(patronymic)[:5] == name_skeleton(serviceman.patronymic)[:5]
        score += 0.1 if same else -0.1
        if same:
            reasons.append("patronymic")
    if birth_date and serviceman.birth_date:
        if birth_date == serviceman.birth_date:
            score, reasons = score + 0.3, [*reasons, "date of birth"]
        elif birth_date.year == serviceman.birth_date.year:
            score, reasons = score + 0.1, [*reasons, "year of birth"]
        else:
            score -= 0.5
    if score < 0.5:
        return None
    return Candidate(serviceman=serviceman, score=round(score, 2), reasons=tuple(reasons))


def serviceman_candidates(
    *,
    surname: str,
    given_name: str = "",
    patronymic: str = "",
    birth_date: date | None = None,
    exclude_pk: int | None = None,
    within: QuerySet[Serviceman] | None = None,
    limit: int = 20,
) -> list[Candidate]:
    """Servicemen who may be this person, best first: found by blind index, scored decrypted."""
    skeleton = name_skeleton(surname)
    if not skeleton:
        return []
    groups = given_name_groups()
    given_key = given_name_key(given_name, groups)
    # Under every key, so rows not yet re-indexed after a key rotation are still found.
    if given_key or birth_date:
        lookups = Q()
        if given_key:
            values = [
                v for _, v in blind_index_all_keys("surname_initial", f"{skeleton}:{given_key[0]}")
            ]
            lookups |= Q(surname_initial_index__in=values)
        if birth_date:
            values = [
                v for _, v in blind_index_all_keys("surname_year", f"{skeleton}:{birth_date.year}")
            ]
            lookups |= Q(surname_year_index__in=values)
    else:
        lookups = Q(surname_index__in=[v for _, v in blind_index_all_keys("surname", skeleton)])
    queryset = (within if within is not None else Serviceman.objects.all()).filter(lookups)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    rows = queryset.only(
        "pk", "reference", "surname", "given_name", "patronymic", "birth_date"
    ).order_by("-pk")[:500]
    scored = [
        c
        for c in (
            _score(
                s,
                surname=surname,
                given_key=given_key,
                patronymic=patronymic,
                birth_date=birth_date,
                groups=groups,
            )
            for s in rows
        )
        if c is not None
    ]
    scored.sort(key=lambda c: (-c.score, -c.serviceman.pk))
    return scored[:limit]


def cases_matching_name(*, user: AnyUser, query: str, limit: int = 50) -> QuerySet[Case]:
    """Visible cases whose serviceman may be the named person ("Surname [Given] [dd.mm.yyyy]")."""
    parts = query.split()
    if not parts:
        return Case.objects.none()
    birth: date | None = None
    words = []
    for part in parts:
        try:
            birth = date(*reversed([int(x) for x in part.split(".")]))  # dd.mm.yyyy
        except (TypeError, ValueError, OverflowError):
            words.append(part)
    if not words:
        return Case.objects.none()
    candidates = serviceman_candidates(
        surname=words[0],
        given_name=words[1] if len(words) > 1 else "",
        patronymic=words[2] if len(words) > 2 else "",
        birth_date=birth,
        within=servicemen_visible_to(user),
        limit=limit,
    )
    return cases_visible_to(user).filter(serviceman__in=[c.serviceman.pk for c in candidates])


# --- Admin reads: single objects, a case's people and its possible duplicates -------------------

from django.contrib.auth.models import User  # noqa: E402  (added with this section)

from casework.models import AuditEvent  # noqa: E402


def serviceman_get_for_user(*, user: AnyUser, pk: int | str) -> Serviceman:
    """The serviceman if this user may see him; otherwise NotFoundError, as if he did not exist."""
    serviceman = servicemen_visible_to(user).filter(pk=pk).first()
    if serviceman is None:
        raise NotFoundError("No such serviceman.")
    return serviceman


def case_applicants_for_user(*, user: AnyUser, case: Case) -> QuerySet[Applicant]:
    """The case's applicant and the serviceman's other family members this user may see."""
    return (
        applicants_visible_to(user)
        .filter(Q(pk=case.applicant_id) | Q(serviceman=case.serviceman_id))
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class DuplicateCandidate:
    serviceman: Serviceman
    score: float
    reasons: tuple[str, ...]
    cases: tuple[Case, ...]  # his open cases this user may see


@dataclass(frozen=True)
class CaseDuplicates:
    same_serviceman: tuple[Case, ...]  # other open cases of this case's serviceman
    candidates: tuple[DuplicateCandidate, ...]
    hidden_count: int  # candidates outside the user's visibility: a number, never details


def case_duplicates_for_user(*, user: AnyUser, case: Case, limit: int = 20) -> CaseDuplicates:
    """What may duplicate this case, limited to what the user may see, plus a count of the rest."""
    serviceman = case.serviceman

    def candidates(within: QuerySet[Serviceman] | None, limit: int) -> list[Candidate]:
        return serviceman_candidates(
            surname=serviceman.surname,
            given_name=serviceman.given_name,
            patronymic=serviceman.patronymic,
            birth_date=serviceman.birth_date,
            exclude_pk=serviceman.pk,
            within=within,
            limit=limit,
        )

    visible_servicemen = servicemen_visible_to(user)
    found = candidates(visible_servicemen, limit)
    hidden_count = 0
    if not is_coordinator(user):
        everyone = candidates(None, 500)
        seen = set(
            visible_servicemen.filter(pk__in=[c.serviceman.pk for c in everyone]).values_list(
                "pk", flat=True
            )
        )
        hidden_count = sum(1 for c in everyone if c.serviceman.pk not in seen)
    open_cases = (
        cases_visible_to(user)
        .filter(
            serviceman__in=[serviceman.pk, *(c.serviceman.pk for c in found)],
            merged_into__isnull=True,
        )
        .exclude(pk=case.pk)
        .select_related("team", "assignee")
        .order_by("created_at", "pk")
    )
    by_serviceman: dict[int, list[Case]] = {}
    for other in open_cases:
        by_serviceman.setdefault(other.serviceman_id, []).append(other)
    return CaseDuplicates(
        same_serviceman=tuple(by_serviceman.get(serviceman.pk, [])),
        candidates=tuple(
            DuplicateCandidate(
                serviceman=c.serviceman,
                score=c.score,
                reasons=c.reasons,
                cases=tuple(by_serviceman.get(c.serviceman.pk, [])),
            )
            for c in found
        ),
        hidden_count=hidden_count,
    )


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The audit trail is for coordinators, administrators and auditors; nobody else."""
    if is_coordinator(user) or is_administrator(user) or has_role(user, Role.AUDITOR):
        return AuditEvent.objects.all()
    return AuditEvent.objects.none()


def assignable_users() -> QuerySet[User]:
    """Staff who can be given a case."""
    return User.objects.filter(is_active=True, is_staff=True).order_by("username")


# --- Family portal reads: what a family sees, who hears of an intake, staff file access ---------

from datetime import timedelta  # noqa: E402  (added with this section)
from typing import cast  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.utils import timezone  # noqa: E402

from casework.models import Attachment  # noqa: E402

# A merged case points at its survivor; a chain longer than this is a data error, not a route.
_MERGE_HOPS = 5


def case_for_family(*, pk: int) -> Case | None:
    """The case a family's code opened, following merges to the case that is worked on now.

    A merge into another family's case is not followed: that family's messages and consent are
    theirs. The family then sees its own (closed) case.
    """
    case = Case.objects.filter(pk=pk).first()
    for _hop in range(_MERGE_HOPS):
        if case is None or case.merged_into_id is None:
            break
        target = Case.objects.filter(pk=case.merged_into_id).first()
        if target is None or target.applicant_id != case.applicant_id:
            break
        case = target
    return case


def family_messages(*, case: Case) -> QuerySet[TimelineEntry]:
    """Entries a caseworker marked visible to the family that have not yet expired.

    Without its own end date an entry expires FAMILY_MESSAGE_DAYS after it was written, so an
    entry marked visible in the admin does not stay on the family's page for ever.
    """
    now = timezone.now()
    return (
        TimelineEntry.objects.filter(case=case, visible_to_family=True)
        .filter(
            Q(visible_until__gt=now)
            | Q(
                visible_until__isnull=True,
                created_at__gt=now - timedelta(days=settings.FAMILY_MESSAGE_DAYS),
            )
        )
        .only("pk", "kind", "text", "created_at", "visible_until")
        .order_by("-created_at", "-pk")
    )


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


def attachment_get_for_user(*, user: AnyUser, public_id: str) -> Attachment:
    """The attachment if its case is visible to this user; otherwise NotFoundError."""
    attachment = (
        Attachment.objects.filter(public_id=public_id, case__in=cases_visible_to(user).values("pk"))
        .select_related("case")
        .first()
    )
    if attachment is None:
        raise NotFoundError("No such file.")
    return attachment


# --- Filings, deadlines and the admin dashboard -------------------------------------------------

from datetime import datetime  # noqa: E402  (added with this section)

from django.db.models import Count, Subquery  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402

from casework.models import Deadline, Filing, GeneratedDocument  # noqa: E402

# Filings whose authority has not answered yet and whose clock is still running.
AWAITING_RESPONSE = (Filing.Status.SENT, Filing.Status.REGISTERED, Filing.Status.EXTENDED)
# The clocks that wait for an authority's answer (one open per filing awaiting a response).
RESPONSE_CLOCKS = (Deadline.Kind.RESPONSE_DUE, Deadline.Kind.RAPORT_48H)
DUE_SOON = timedelta(days=7)


def document_get_for_user(*, user: AnyUser, pk: int | str) -> GeneratedDocument:
    """The generated document if its filing's case is visible to this user; else NotFoundError."""
    document = (
        GeneratedDocument.objects.filter(case_visibility_q(user, "filing__case"), pk=pk)
        .select_related("filing__case")
        .first()
    )
    if document is None:
        raise NotFoundError("No such document.")
    return document


def filings_visible_to(user: AnyUser) -> QuerySet[Filing]:
    """Filings of the cases this user may see."""
    return Filing.objects.filter(case_visibility_q(user, "case"))


def deadlines_visible_to(user: AnyUser) -> QuerySet[Deadline]:
    """Deadlines of the cases this user may see."""
    return Deadline.objects.filter(case_visibility_q(user, "case"))


def filing_get_for_user(*, user: AnyUser, pk: int | str) -> Filing:
    """The filing if its case is visible to this user; otherwise NotFoundError."""
    filing = filings_visible_to(user).filter(pk=pk).select_related("case", "office", "rule").first()
    if filing is None:
        raise NotFoundError("No such filing.")
    return filing


def overdue_deadlines(deadlines: QuerySet[Deadline], now: datetime) -> QuerySet[Deadline]:
    """Clocks that ran out and still need someone: open past due (the sweep has not run yet), or
    a missed response clock whose filing is still overdue (neither answered nor escalated)."""
    return _with_filing_status(deadlines).filter(
        Q(state=Deadline.State.OPEN, due_at__lt=now)
        | Q(
            state=Deadline.State.MISSED,
            kind__in=RESPONSE_CLOCKS,
            filing_status=Filing.Status.OVERDUE,
        )
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
    return Q(state=Deadline.State.OPEN, kind__in=RESPONSE_CLOCKS)


def overdue_cases_q(now: datetime) -> Q:
    """Cases with a clock that ran out (see `overdue_deadlines`), for the case list filter."""
    return Q(next_deadline__lt=now) | Q(
        pk__in=Filing.objects.filter(status=Filing.Status.OVERDUE).values("case_id")
    )


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


@dataclass(frozen=True)
class Dashboard:
    mine: DashboardCounts
    teams: tuple[TeamDashboardRow, ...]  # coordinators only: the same counts per case team


def _clock_counts(deadlines: QuerySet[Deadline], now: datetime) -> QuerySet[Deadline]:
    """Open clocks and missed response clocks whose filing is still overdue, ready to count."""
    return _with_filing_status(deadlines).filter(
        Q(state=Deadline.State.OPEN)
        | Q(
            state=Deadline.State.MISSED,
            kind__in=RESPONSE_CLOCKS,
            filing_status=Filing.Status.OVERDUE,
        )
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


def dashboard_for_user(*, user: AnyUser, now: datetime | None = None) -> Dashboard:
    """The admin index's numbers, in a fixed number of queries whatever the data size."""
    now = now or timezone.now()
    if not is_coordinator(user):
        return Dashboard(mine=dashboard_counts_for_user(user=user, now=now), teams=())
    teams = dashboard_team_rows(now=now)
    # A coordinator sees every case, and every case has a team: the teams' sum is theirs.
    everyone = sum(row.counts.new_intakes for row in teams)
    return Dashboard(
        mine=dashboard_counts_for_user(user=user, now=now, new_intakes=everyone), teams=teams
    )


def case_get_by_reference_for_user(*, user: AnyUser, reference: str) -> Case:
    """Like `case_get_for_user`, by the case reference (what the API and families use)."""
    case = cases_visible_to(user).filter(reference=reference).first()
    if case is None:
        raise NotFoundError("No such case.")
    return case
