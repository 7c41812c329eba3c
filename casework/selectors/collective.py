"""Collective complaints: the cases of one unit, exchange or office, their anonymised summary
(small counts suppressed as in the statistics), and the families who agreed to be named.

The unit is found by its keyed hash (`Serviceman.unit_index`, under every index key, so rows
not yet re-indexed after a rotation are found too): no unit number is compared in plain.
Consent is read at the moment of each call, never cached: a family who withdrew it is not
listed and does not sign.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet

from casework.crypto import blind_index_all_keys, unit_skeleton
from casework.models import (
    Applicant,
    AuthorityOffice,
    Case,
    DocumentTemplate,
    Exchange,
    Filing,
    Serviceman,
)
from casework.selectors.statistics import SUPPRESS_BELOW, Cell, Table, suppress_table

# The code every collective complaint template starts with (seeded per jurisdiction).
TEMPLATE_CODE_PREFIX = "collective-complaint"
# The facts a summary counts: case flags that are common to many complaints.
FACT_FLAGS = ("injured", "in_captivity", "under_25")


def unit_hashes(unit: str) -> list[str]:
    """The keyed hashes a unit is grouped under, under every configured index key."""
    skeleton = unit_skeleton(unit) or unit.strip()
    return [value for _kid, value in blind_index_all_keys("unit", skeleton)] if skeleton else []


def collective_cases(
    *, unit: str = "", exchange: Exchange | None = None, office: AuthorityOffice | None = None
) -> QuerySet[Case]:
    """The cases of the selection (merged duplicates left out); none when nothing is chosen."""
    cases = Case.objects.filter(merged_into__isnull=True)
    if unit:
        return cases.filter(serviceman__unit_index__in=unit_hashes(unit))
    if exchange is not None:
        return cases.filter(serviceman__exchange=exchange)
    if office is not None:
        return cases.filter(pk__in=Filing.objects.filter(office=office).values("case_id"))
    return cases.none()


def _cell(value: int) -> Cell:
    return None if 0 < value < SUPPRESS_BELOW else value


@dataclass(frozen=True)
class CollectiveSummary:
    cases: Cell
    men: Cell
    opened_from: str  # "MM.YYYY"; "" when the selection is too small to show dates
    opened_to: str
    statuses: tuple[tuple[str, Cell], ...]  # the men's status (Serviceman.Status), suppressed
    facts: tuple[tuple[str, Cell], ...]  # FACT_FLAGS: cases with the flag
    filings: Cell
    unanswered: Cell  # filings still awaiting an answer or overdue


def collective_summary(cases: QuerySet[Case]) -> CollectiveSummary:
    """Counts only, each under SUPPRESS_BELOW hidden; the men's statuses with secondary
    suppression (their total is shown); dates only when at least SUPPRESS_BELOW cases."""
    totals = cases.aggregate(
        cases=Count("pk"),
        men=Count("serviceman", distinct=True),
        first=Min("created_at"),
        last=Max("created_at"),
        **{flag: Count("pk", filter=Q(**{flag: True})) for flag in FACT_FLAGS},
    )
    men = Serviceman.objects.filter(pk__in=cases.values("serviceman_id"))
    by_status = dict(men.values_list("status").annotate(n=Count("pk")).order_by())
    statuses = [key for key, _label in Serviceman.Status.choices if by_status.get(key)]
    table = suppress_table(statuses, ["men"], {(key, "men"): by_status[key] for key in statuses})
    filings = Filing.objects.filter(case__in=cases)
    filing_counts = filings.aggregate(
        all=Count("pk"), unanswered=Count("pk", filter=Q(status__in=Filing.ANSWERABLE))
    )
    # Each count beside its complement (answered / not; flagged / not), suppressed together as a
    # row whose total is shown: a small complement must not be worked out by subtraction.
    answers = _pair(filing_counts["all"] - filing_counts["unanswered"], filing_counts["unanswered"])
    shown_dates = totals["cases"] >= SUPPRESS_BELOW
    return CollectiveSummary(
        cases=_cell(totals["cases"]),
        men=_cell(totals["men"]),
        opened_from=f"{totals['first']:%m.%Y}" if shown_dates else "",
        opened_to=f"{totals['last']:%m.%Y}" if shown_dates else "",
        statuses=tuple(zip(statuses, (row[0] for row in table.cells), strict=True)),
        facts=tuple(
            (flag, _pair(totals[flag], totals["cases"] - totals[flag]).cells[0][0])
            for flag in FACT_FLAGS
        ),
        filings=answers.total,
        unanswered=answers.cells[0][1],
    )


def _pair(first: int, second: int) -> Table:
    return suppress_table(
        ["row"], ["first", "second"], {("row", "first"): first, ("row", "second"): second}
    )


def collective_signatories(cases: QuerySet[Case]) -> list[Applicant]:
    """The family members of these cases who agree, now, to be named; oldest first."""
    of_cases = Q(pk__in=cases.filter(applicant__isnull=False).values("applicant_id"))
    of_the_men = Q(serviceman__in=cases.values("serviceman_id"))
    return list(
        Applicant.objects.filter(of_cases | of_the_men, consent_collective=True).order_by(
            "created_at", "pk"
        )
    )


def collective_templates() -> list[DocumentTemplate]:
    """The newest active version of each collective complaint template."""
    newest: dict[str, DocumentTemplate] = {}
    for template in DocumentTemplate.objects.filter(
        code__startswith=TEMPLATE_CODE_PREFIX, is_active=True
    ).order_by("code", "-version"):
        newest.setdefault(template.code, template)
    return list(newest.values())
