"""Which cases a user may see (the single place that decides it), and reads of one case.

A caseworker sees cases of their teams and cases assigned to them; a coordinator sees all. Any
other object (serviceman, applicant, timeline entry, filing, attachment) is visible exactly when
one of its cases is. Something not visible is reported as not existing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from casework.exceptions import NotFoundError
from casework.models import Attachment, Case, CaseFact, Filing, Team, TimelineEntry
from casework.roles import AnyUser, Role, has_role, is_coordinator

# "Due soon" on the overview, in the lists and in the reminders' first stage.
DUE_SOON = timedelta(days=7)


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


def case_get_by_reference_for_user(*, user: AnyUser, reference: str) -> Case:
    """Like `case_get_for_user`, by the case reference (what the API and families use)."""
    case = cases_visible_to(user).filter(reference=reference).first()
    if case is None:
        raise NotFoundError("No such case.")
    return case


def case_given_reference_match(*, user: AnyUser, case: Case) -> Case | None:
    """The case the family says they already have (intake's "I already have a case number"),
    if this user may see it; None for an unknown number, one of another team, or none given."""
    if not case.given_reference:
        return None
    return (
        cases_visible_to(user)
        .filter(reference=case.given_reference)
        .exclude(pk=case.pk)
        .only("pk", "reference", "status")
        .first()
    )


def overdue_cases_q(now: datetime) -> Q:
    """Cases with a clock that ran out (see `overdue_deadlines`), for the case list filter."""
    return Q(next_deadline__lt=now) | Q(
        pk__in=Filing.objects.filter(status=Filing.Status.OVERDUE).values("case_id")
    )


# --- The family's side: the case a code opens and the messages shown to it ---------------------

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


def family_sent(*, case: Case, limit: int = 50) -> list[TimelineEntry]:
    """What the family sent (the intake form, their words from the status page and the names
    of their files), newest first, for their own status session only. A caseworker's note of a
    call from the family is not theirs to see: only entries the family wrote (`by_family`), and
    of the intake entry (a note in the staff's words) only that it came and its files."""
    return list(
        TimelineEntry.objects.filter(case=case)
        .filter(Q(by_family=True) | Q(kind=TimelineEntry.Kind.INTAKE))
        .only("pk", "kind", "text", "created_at")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.filter(source=Attachment.Source.FAMILY).only(
                    "pk", "timeline_entry_id", "filename", "created_at"
                ),
            )
        )
        .order_by("-created_at", "-pk")[:limit]
    )


def case_for_status_session(*, pk: int) -> Case | None:
    """The few columns a family's status session checks on every page (its code's issue time)."""
    return Case.objects.filter(pk=pk).only("pk", "access_code_issued_at").first()


def due_soon_cases_q(now: datetime) -> Q:
    """Cases whose earliest open clock falls within the next DUE_SOON."""
    return Q(next_deadline__gte=now, next_deadline__lt=now + DUE_SOON)


def case_facts(case: Case) -> QuerySet[CaseFact]:
    """The case's dated facts in the chronology's order (the case page shows them: its view is
    audited)."""
    return CaseFact.objects.filter(case=case).select_related("created_by").order_by(*CaseFact.ORDER)


def case_chronology(case: Case) -> list[CaseFact]:
    """The facts marked for documents, in date order: what a draft's chronology prints."""
    return list(CaseFact.objects.filter(case=case, use_in_documents=True).order_by(*CaseFact.ORDER))


def case_current_place(case: Case) -> CaseFact | None:
    """Where he is now: the latest "moved to a place" fact (the latest recorded among those of
    one day), or None when none is recorded."""
    return (
        CaseFact.objects.filter(case=case, kind=CaseFact.Kind.MOVED)
        .order_by(*[f"-{name}" for name in CaseFact.ORDER])
        .first()
    )
