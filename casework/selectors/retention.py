"""What keeps a case alive: its live clocks and legal hold, which closed cases the retention purge
may erase, and why the others (and the people on them) stay.

The plan is printed by `purge_expired --dry-run`, so it holds references and reasons only, never
a personal value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from casework.models import Applicant, Case, Deadline, Serviceman


@dataclass(frozen=True)
class Kept:
    """A case or person that stays, with why: references only."""

    kind: str  # "case", "serviceman" or "applicant"
    reference: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RetentionPlan:
    # (pk, reference) of the cases to erase, a merge's surviving case before the cases merged
    # into it: once it is gone they point nowhere and go too.
    erase: tuple[tuple[int, str], ...]
    kept_cases: tuple[Kept, ...]
    kept_people: tuple[Kept, ...]


def retention_cutoff(now: datetime) -> datetime:
    """Cases closed before this moment are past RETENTION_MONTHS_AFTER_CLOSE."""
    return now - timedelta(days=30 * settings.RETENTION_MONTHS_AFTER_CLOSE)


def case_live_deadlines(case: Case) -> QuerySet[Deadline]:
    """The case's clocks that are still somebody's work (`Deadline.objects.live`), nearest first."""
    return Deadline.objects.filter(case=case).live().order_by("due_at", "pk")


def _clock_reasons(counts: dict[str, int]) -> list[str]:
    words = {Deadline.State.OPEN: "open clock", Deadline.State.MISSED: "missed clock"}
    return [
        f"{counts[state]} {word}{'' if counts[state] == 1 else 's'}"
        for state, word in words.items()
        if counts.get(state)
    ]


def case_keep_reasons(case: Case) -> list[str]:
    """Why this case must not be erased now (empty: nothing keeps it). The purge asks again with
    the case row locked, just before erasing, so a clock or hold added meanwhile still counts."""
    counts = dict(
        case_live_deadlines(case)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    reasons = _clock_reasons(counts)
    if case.legal_hold_at is not None:
        reasons.append("legal hold")
    if case.merged_into_id is not None:
        # The purge erases a merge's surviving case before the cases merged into it, so a
        # survivor still here is one that stays: the old reference and code must lead to it.
        survivor = Case.objects.filter(pk=case.merged_into_id).values_list("reference", flat=True)
        if survivor:
            reasons.append(f"merged into {survivor[0]}, which stays")
    return reasons


def retention_plan(*, now: datetime) -> RetentionPlan:
    """Which closed cases past retention go, which stay and why, and which of the erased cases'
    people stay because a case that remains still lists them. A fixed number of queries."""
    expired = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=retention_cutoff(now))
    rows = {
        row["pk"]: row
        for row in expired.order_by("pk").values(
            "pk", "reference", "serviceman_id", "applicant_id", "merged_into_id", "legal_hold_at"
        )
    }
    reasons: dict[int, list[str]] = {pk: [] for pk in rows}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for case_id, state, n in (
        Deadline.objects.live()
        .filter(case__in=expired)
        .order_by()
        .values("case_id", "state")
        .annotate(n=Count("pk"))
        .values_list("case_id", "state", "n")
    ):
        counts[case_id][state] = n
    for pk, row in rows.items():
        reasons[pk] += _clock_reasons(counts[pk])
        if row["legal_hold_at"] is not None:
            reasons[pk].append("legal hold")
    erase = {pk for pk, why in reasons.items() if not why}

    # A case merged into another stays as long as that one does (its reference and the family's
    # code lead there); survivors are looked at until nothing changes, for chains of merges.
    survivors = {row["merged_into_id"] for row in rows.values()} - {None}
    references = {pk: row["reference"] for pk, row in rows.items()}
    references.update(
        Case.objects.filter(pk__in=survivors - rows.keys()).values_list("pk", "reference")
    )
    changed = True
    while changed:
        changed = False
        for pk in sorted(erase):
            survivor = rows[pk]["merged_into_id"]
            if survivor is not None and survivor not in erase and survivor in references:
                reasons[pk].append(f"merged into {references[survivor]}, which stays")
                erase.discard(pk)
                changed = True

    def depth(pk: int) -> int:  # hops to the last survivor that goes
        survivor = rows[pk]["merged_into_id"]
        return 0 if survivor not in erase else 1 + depth(survivor)

    order = sorted(erase, key=lambda pk: (depth(pk), pk))
    kept_cases = tuple(
        Kept("case", rows[pk]["reference"], tuple(why)) for pk, why in reasons.items() if why
    )
    return RetentionPlan(
        erase=tuple((pk, rows[pk]["reference"]) for pk in order),
        kept_cases=kept_cases,
        kept_people=_people_kept(rows, erase),
    )


def _people_kept(rows: Mapping[int, Any], erase: set[int]) -> tuple[Kept, ...]:
    """The servicemen and applicants of erased cases that a remaining case still lists: as the
    case's serviceman or applicant, or (an applicant) as a relative of its serviceman. The same
    rule as `services.cases.case_delete`, which decides it again case by case."""
    if not erase:
        return ()
    remaining = Case.objects.exclude(pk__in=erase).order_by("pk")
    servicemen = {rows[pk]["serviceman_id"] for pk in erase}
    applicants = {rows[pk]["applicant_id"] for pk in erase} - {None}
    their_men = set(
        Applicant.objects.filter(pk__in=applicants, serviceman__isnull=False).values_list(
            "serviceman_id", flat=True
        )
    )
    on_case: dict[int, str] = {}  # serviceman -> the first remaining case that lists him
    for serviceman_id, reference in remaining.filter(
        serviceman_id__in=servicemen | their_men
    ).values_list("serviceman_id", "reference"):
        on_case.setdefault(serviceman_id, reference)
    going = servicemen - on_case.keys()
    # Their applicants, and the relatives of men who go (who would go with them).
    candidates = Applicant.objects.filter(Q(pk__in=applicants) | Q(serviceman_id__in=going))
    applicant_of: dict[int, str] = {}
    for applicant_id, reference in remaining.filter(applicant__in=candidates).values_list(
        "applicant_id", "reference"
    ):
        applicant_of.setdefault(applicant_id, reference)
    kept = [
        Kept("serviceman", reference, (f"serviceman of case {on_case[pk]}",))
        for pk, reference in Serviceman.objects.filter(pk__in=servicemen & on_case.keys())
        .order_by("pk")
        .values_list("pk", "reference")
    ]
    for pk, reference, serviceman_id in candidates.order_by("pk").values_list(
        "pk", "reference", "serviceman_id"
    ):
        if pk in applicant_of:
            kept.append(Kept("applicant", reference, (f"applicant of case {applicant_of[pk]}",)))
        elif serviceman_id in on_case:
            why = f"relative of the serviceman of case {on_case[serviceman_id]}"
            kept.append(Kept("applicant", reference, (why,)))
    return tuple(kept)
