"""Editing legal rules safely: preview which open deadlines a new rule version would move, then
apply it on confirmation (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.exceptions import RuleError
from casework.models import AuditEvent, Deadline, Filing, ResponseRule, Verification
from casework.rules.store import term_rule
from casework.selectors import filings_awaiting_under_other_version, rule_is_used
from casework.services.audit import audit_record
from casework.services.filings import (
    CLOCK_FIELDS,
    case_next_deadline_refresh,
    filing_clock_recompute,
    filing_due_under,
)


@dataclass(frozen=True)
class Move:
    filing: Filing
    old_due: datetime | None
    new_due: datetime | None


def _affected(rule: ResponseRule) -> list[Filing]:
    """Live filings computed under another version of the same rule code."""
    return list(
        filings_awaiting_under_other_version(rule)
        .select_related("office", "case", "rule")
        .order_by("pk")
    )


def rule_change_preview(*, rule: ResponseRule) -> list[Move]:
    """What adopting `rule` would do to each live filing's response deadline (nothing saved)."""
    moves = []
    for filing in _affected(rule):
        try:
            due = filing_due_under(
                filing, rule, extensions=min(filing.extensions, rule.max_extensions)
            )
            new_due: datetime | None = due.due_at
        except ValueError:
            new_due = None  # the new version cannot compute this filing (shown as such)
        moves.append(Move(filing=filing, old_due=filing.due_at, new_due=new_due))
    return moves


@transaction.atomic
def rule_change_apply(*, rule: ResponseRule, actor: User) -> int:
    """Move live filings of this rule code onto `rule` and recompute their open deadlines."""
    count = 0
    for filing in _affected(rule):
        filing = (
            Filing.objects.select_for_update().select_related("office", "case").get(pk=filing.pk)
        )
        filing.rule = rule
        filing.extensions = min(filing.extensions, rule.max_extensions)
        filing_clock_recompute(filing)
        filing.save(update_fields=["rule", "extensions", *CLOCK_FIELDS, "updated_at"])
        case_next_deadline_refresh(filing.case_id)
        count += 1
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=rule,
        reference=str(rule),
        detail={"applied_to_filings": count},
    )
    return count


# --- Versions and verification (the admin's rule editing) ---------------------------------------

# What a lawyer edits; code and version identify a row, verification has its own service.
RULE_TERM_FIELDS = (
    "title",
    "jurisdiction",
    "office_kinds",
    "filing_kinds",
    "unit",
    "amount",
    "start_from",
    "registration_lag_days",
    "ceiling_days",
    "extension_amount",
    "extension_unit",
    "max_extensions",
    "early_check_days",
    "roll_forward",
    "who_may_file",
    "life_or_health_at_risk",
    "clock",
    "valid_from",
    "valid_to",
    "source",
    "verification",
    "notes",
)


def rule_check_terms(rule: ResponseRule) -> None:
    """Refuse a rule the calendar engine could not compute with (RuleError with the reason)."""
    try:
        term_rule(rule, time_zone="UTC")
    except ValueError as exc:
        raise RuleError(_("These terms cannot be computed: %(reason)s") % {"reason": exc}) from exc
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        raise RuleError(_("The rule cannot end before it starts."))
    if rule.verification == Verification.VERIFIED and rule.verified_by_id is None:
        raise RuleError(_("Use “mark verified”, which records who checked the rule."))


@transaction.atomic
def rule_version_create(*, base: ResponseRule, actor: User, values: dict[str, Any]) -> ResponseRule:
    """Save `values` as the next version of `base`'s rule code; no existing version changes.

    Filings keep the version they were computed under until `rule_change_apply` moves them.
    """
    new = ResponseRule(code=base.code)
    for name in RULE_TERM_FIELDS:
        setattr(new, name, values.get(name, getattr(base, name)))
    if new.verification == Verification.VERIFIED:
        # A changed rule has not been checked in its new form; verifying is a separate step.
        new.verification = Verification.SOURCED
    rule_check_terms(new)
    latest = ResponseRule.objects.filter(code=base.code).aggregate(v=Max("version"))["v"] or 0
    new.version = latest + 1
    try:
        with transaction.atomic():  # a savepoint: a concurrent save of the same code collides
            new.save()
    except IntegrityError as exc:
        raise RuleError(
            _("Someone saved another version of this rule at the same time; try again.")
        ) from exc
    changed = sorted(name for name in RULE_TERM_FIELDS if getattr(new, name) != getattr(base, name))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=new,
        reference=str(new),
        detail={"from_version": base.version, "fields": changed},
    )
    return new


@transaction.atomic
def rule_create(*, rule: ResponseRule, actor: User) -> ResponseRule:
    """Save a rule with a new code as its version 1."""
    if ResponseRule.objects.filter(code=rule.code).exists():
        raise RuleError(_("A rule with this code exists; save a new version of it instead."))
    rule.version = 1
    rule.verified_by, rule.verified_at = None, None
    if rule.verification == Verification.VERIFIED:
        rule.verification = Verification.SOURCED
    rule_check_terms(rule)
    rule.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=rule, reference=str(rule))
    return rule


@transaction.atomic
def rule_update_unused(*, rule: ResponseRule, actor: User, changed: list[str]) -> ResponseRule:
    """Correct a version nothing was computed under yet; a used or verified one is refused."""
    # The row lock conflicts with the key-share lock a new filing takes when it points at the
    # rule, so "unused" cannot change between this check and the save.
    current = ResponseRule.objects.select_for_update().get(pk=rule.pk)
    if rule_is_used(current):
        raise RuleError(_("Filings already use this version; save your changes as a new version."))
    if current.is_verified:
        raise RuleError(_("A verified version is not edited; save a new version."))
    fields = sorted(set(changed) & set(RULE_TERM_FIELDS))
    if not fields:
        return current
    rule_check_terms(rule)
    rule.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=rule,
        reference=str(rule),
        detail={"fields": fields},
    )
    return rule


@transaction.atomic
def rule_mark_verified(*, rule: ResponseRule, actor: User) -> ResponseRule:
    """Record that a lawyer checked this version (who and when); its clocks lose the
    "unverified" mark. Marking it again changes nothing."""
    rule = ResponseRule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_verified:
        return rule
    rule.verification = Verification.VERIFIED
    rule.verified_by, rule.verified_at = actor, timezone.now()
    rule.save(update_fields=["verification", "verified_by", "verified_at"])
    cleared = Deadline.objects.filter(rule=rule, unverified=True).update(unverified=False)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=rule,
        reference=str(rule),
        detail={"fields": ["verification"], "deadlines_cleared": cleared},
    )
    return rule
