"""Filings a user may see and what the ladder offers after one."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from casework.exceptions import NotFoundError
from casework.models import (
    AuthorityOffice,
    Case,
    Deadline,
    EscalationStep,
    Filing,
    ResponseRule,
)
from casework.roles import AnyUser
from casework.selectors.cases import case_visibility_q


def filings_visible_to(user: AnyUser) -> QuerySet[Filing]:
    """Filings of the cases this user may see."""
    return Filing.objects.filter(case_visibility_q(user, "case"))


def filing_get_for_user(*, user: AnyUser, pk: int | str) -> Filing:
    """The filing if its case is visible to this user; otherwise NotFoundError."""
    filing = filings_visible_to(user).filter(pk=pk).select_related("case", "office", "rule").first()
    if filing is None:
        raise NotFoundError("No such filing.")
    return filing


def filings_awaiting_under_other_version(rule: ResponseRule) -> QuerySet[Filing]:
    """Filings still awaiting an answer whose clock another version of this rule computed."""
    return Filing.objects.filter(rule__code=rule.code, status__in=Filing.AWAITING_RESPONSE).exclude(
        rule=rule
    )


def escalation_targets(filing: Filing) -> list[tuple[EscalationStep, AuthorityOffice | None]]:
    """Ladder steps after this filing, each with the office to use (parent first)."""
    trigger = "refused" if filing.outcome in Filing.ESCALATABLE_OUTCOMES else "overdue"
    steps = EscalationStep.objects.filter(
        jurisdiction=filing.office.jurisdiction,
        from_office_kind=filing.office.kind,
        trigger__in=[trigger, EscalationStep.Trigger.ANY],
    ).order_by("position", "pk")
    targets: list[tuple[EscalationStep, AuthorityOffice | None]] = []
    for step in steps:
        parent = filing.office.parent
        office: AuthorityOffice | None
        if parent is not None and parent.kind == step.to_office_kind and parent.is_active:
            office = parent
        else:
            office = office_of_kind(step.to_office_kind)
        targets.append((step, office))
    return targets


def office_of_kind(kind: str) -> AuthorityOffice | None:
    """The directory's first active office of a kind (the seeded generic row unless removed)."""
    return AuthorityOffice.objects.filter(kind=kind, is_active=True).order_by("pk").first()


def first_filings_after_release(
    jurisdiction: str,
) -> list[tuple[EscalationStep, AuthorityOffice | None]]:
    """The ladder's first rungs for a man who came back (trigger "released"), with their office."""
    steps = EscalationStep.objects.filter(
        jurisdiction=jurisdiction, trigger=EscalationStep.Trigger.RELEASED
    ).order_by("position", "pk")
    return [(step, office_of_kind(step.to_office_kind)) for step in steps]


def offices_active() -> QuerySet[AuthorityOffice]:
    """The directory's offices a new filing may go to, grouped as a caseworker looks for them."""
    return AuthorityOffice.objects.filter(is_active=True).order_by("jurisdiction", "kind", "name")


def case_filings(case: Case) -> QuerySet[Filing]:
    """The case's filings, newest first, with their offices (no encrypted column needed)."""
    return Filing.objects.filter(case=case).select_related("office").order_by("-created_at", "-pk")


# --- The legal rules filings run under ----------------------------------------------------------


def rule_is_used(rule: ResponseRule) -> bool:
    """A version some filing or deadline was computed under: it must never change again."""
    return Filing.objects.filter(rule=rule).exists() or Deadline.objects.filter(rule=rule).exists()


def rules_with_use(rules: QuerySet[ResponseRule]) -> QuerySet[ResponseRule]:
    """`rules` annotated with `used` (as `rule_is_used`), for a list page in one query."""
    return rules.annotate(
        used=Exists(Filing.objects.filter(rule=OuterRef("pk")))
        | Exists(Deadline.objects.filter(rule=OuterRef("pk")))
    )


def rule_newer_version(rule: ResponseRule) -> ResponseRule | None:
    """The newest version of the same rule code after this one, if any."""
    return (
        ResponseRule.objects.filter(code=rule.code, version__gt=rule.version)
        .order_by("version")
        .last()
    )


def live_filing_offices(*, case: Case, office_ids: list[int]) -> set[int]:
    """Of these offices, those the case already has a live filing with: a draft, or one still
    awaiting its answer (escalating to them again would ask twice)."""
    live = (Filing.Status.DRAFT, *Filing.AWAITING_RESPONSE)
    return set(
        Filing.objects.filter(case=case, office__in=office_ids, status__in=live).values_list(
            "office_id", flat=True
        )
    )
