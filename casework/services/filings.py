"""Filings to authorities and their legal clocks: every transition opens, moves or closes deadlines.

draft → sent → registered → extended → answered (granted / refused / formal / forwarded),
or → overdue (set by the sweep) → escalated. Each service locks the filing, validates the
transition, recomputes deadlines under the rule version recorded on the filing, writes an audit
event and refreshes `Case.next_deadline`, all in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.exceptions import RuleError, TransitionError
from casework.formats import due_day, seeded_text
from casework.models import (
    Attachment,
    AuditEvent,
    AuthorityOffice,
    Case,
    Deadline,
    Filing,
    FilingKind,
    ResponseRule,
    Serviceman,
    TimelineEntry,
)
from casework.rules import calendar as engine
from casework.rules.store import CourtLimitSource, rule_for, term_rule, working_calendar_for
from casework.selectors import escalation_targets, users_who_see_case
from casework.services.attachments import (
    StoredUpload,
    Upload,
    staff_upload_record,
    upload_kept,
)
from casework.services.audit import audit_record
from casework.services.bulk import ids_in, rows_insert
from casework.services.documents import document_request_if_possible
from casework.services.submissions import submitted_once

S = Filing.Status
logger = logging.getLogger(__name__)
OPEN = Deadline.State.OPEN


def _locked(filing: Filing, actor: User | None) -> Filing:
    """The filing, locked, once `actor` may act on it (None: the system itself, e.g. the sweep)."""
    if actor is not None:
        permissions.filing_act_check(user=actor, filing=filing)
    return (
        Filing.objects.select_for_update(of=("self",))
        .select_related("office", "case", "rule")
        .get(pk=filing.pk)
    )


def _require(filing: Filing, allowed: tuple[str, ...], action: str) -> None:
    if filing.status not in allowed:
        raise TransitionError(
            _("A filing that is %(status)s cannot be %(action)s.")
            % {"status": filing.get_status_display(), "action": action}
        )


def case_next_deadline_refresh(case_id: int) -> None:
    """Keep the denormalised earliest open deadline (sorting and filtering the case list)."""
    earliest = Deadline.objects.filter(case_id=case_id, state=OPEN).aggregate(m=Min("due_at"))["m"]
    Case.objects.filter(pk=case_id).update(next_deadline=earliest)


def cases_next_deadline_refresh(case_ids: Iterable[int]) -> None:
    """`case_next_deadline_refresh` for many cases in one statement (the sweep's batches)."""
    earliest = (
        Deadline.objects.filter(case_id=OuterRef("pk"), state=OPEN)
        .order_by()
        .values("case_id")
        .annotate(earliest=Min("due_at"))
        .values("earliest")
    )
    Case.objects.filter(ids_in("pk", list(case_ids))).update(next_deadline=Subquery(earliest))


def _close_deadlines(filing: Filing, *, kinds: list[str] | None = None, answered: bool) -> None:
    now = timezone.now()
    open_deadlines = Deadline.objects.filter(filing=filing, state=OPEN)
    if kinds is not None:
        open_deadlines = open_deadlines.filter(kind__in=kinds)
    # Answered in time is "met"; a clock that had already run out stays "missed" on the record.
    open_deadlines.filter(due_at__gte=now).update(
        state=Deadline.State.MET if answered else Deadline.State.CANCELLED, closed_at=now
    )
    open_deadlines.filter(due_at__lt=now).update(
        state=Deadline.State.MISSED if answered else Deadline.State.CANCELLED, closed_at=now
    )


def _open_deadline(
    filing: Filing, *, kind: str, due_at: datetime, provisional: bool, basis: str
) -> Deadline:
    case = filing.case
    rule = filing.rule
    return Deadline.objects.create(
        case=case,
        filing=filing,
        kind=kind,
        due_at=due_at,
        responsible_id=case.assignee_id,
        backup_team_id=case.team_id,
        rule=rule,
        provisional=provisional,
        unverified=bool(rule and not rule.is_verified),
        basis=basis[:200],
    )


def filing_clock_recompute(filing: Filing) -> None:
    """(Re)open the response and early-check deadlines from the filing's recorded rule."""
    _close_deadlines(
        filing,
        kinds=list(Deadline.FILING_CLOCKS),
        answered=False,
    )
    rule = filing.rule
    if rule is None:
        filing.due_at, filing.due_provisional = None, False
        return
    try:
        due = filing_due_under(filing, rule, extensions=filing.extensions)
    except engine.ExtensionNotAllowed as exc:
        raise RuleError(
            _("The rule %(rule)s allows only %(count)d extension(s).")
            % {"rule": str(rule), "count": rule.max_extensions}
        ) from exc
    except engine.TermOutOfRange as exc:
        raise _out_of_bounds(rule) from exc
    except (engine.MissingStartDate, ValueError) as exc:
        raise RuleError(_("The date the clock runs from is missing.")) from exc
    filing.due_at, filing.due_provisional = due.due_at, due.provisional
    kind = (
        Deadline.Kind.RAPORT_48H
        if rule.unit == ResponseRule.Unit.HOURS
        else Deadline.Kind.RESPONSE_DUE
    )
    _open_deadline(
        filing, kind=kind, due_at=due.due_at, provisional=due.provisional, basis=due.basis
    )
    if due.early_check_at and due.early_check_at > timezone.now():
        _open_deadline(
            filing,
            kind=Deadline.Kind.EARLY_CHECK,
            due_at=due.early_check_at,
            provisional=due.provisional,
            basis=f"early check, {rule}",
        )


def filing_due_under(filing: Filing, rule: ResponseRule, *, extensions: int) -> engine.DueResult:
    """When `rule` makes the filing's answer due, with `extensions`: from its registration,
    receipt (assumed on the sending day until known) or moment of receipt, and the date an
    extension notice named where the rule allows it. Raises the engine's errors (ValueError)."""
    due = engine.compute_due(
        term_rule(rule, time_zone=filing.office.time_zone),
        registered_on=filing.registered_on,
        received_on=filing.received_on or filing.sent_on,
        received_at=filing.received_at,
        extensions=extensions,
        calendar=working_calendar_for(filing.office.jurisdiction),
    )
    if extensions and filing.extended_to is not None:
        due = engine.notice_date_applied(due, filing.extended_to, time_zone=filing.office.time_zone)
    return due


def _out_of_bounds(rule: ResponseRule) -> RuleError:
    """A rule row saved before the bounds existed, or written by hand: refused, never a 500."""
    return RuleError(
        _(
            "The rule %(rule)s cannot be computed: its term is out of bounds. A coordinator "
            "must correct it (as a new version)."
        )
        % {"rule": str(rule)}
    )


def _open_court_limit(filing: Filing, *, learned_on: date) -> None:
    """KAS 219: a claim within 3 months of a refusal or non-answer, where a court rule exists.
    Not after a court claim: a court's decision is appealed, not claimed against again."""
    if filing.kind == FilingKind.COURT_CLAIM:
        return
    if Deadline.objects.filter(filing=filing, kind=Deadline.Kind.COURT_LIMIT).exists():
        return
    clock = _court_limit_clock(filing, learned_on=learned_on, source=CourtLimitSource())
    if clock is not None:
        clock.save()


def _court_limit_clock(
    filing: Filing, *, learned_on: date, source: CourtLimitSource
) -> Deadline | None:
    """The court limit's clock, unsaved, or None without a rule.

    Reads `filing.office` (jurisdiction, zone) and `filing.case` (assignee, team)."""
    office = filing.office
    term = _court_limit_term(
        jurisdiction=office.jurisdiction,
        time_zone=office.time_zone,
        learned_on=learned_on,
        source=source,
    )
    if term is None:
        return None
    rule, due_at, provisional, basis = term
    return Deadline(
        case_id=filing.case_id,
        filing=filing,
        kind=Deadline.Kind.COURT_LIMIT,
        due_at=due_at,
        responsible_id=filing.case.assignee_id,
        backup_team_id=filing.case.team_id,
        rule=rule,
        provisional=provisional,
        unverified=not rule.is_verified,
        basis=basis,
    )


CourtLimitTerm = tuple[ResponseRule, datetime, bool, str]


def _court_limit_term(
    *, jurisdiction: str, time_zone: str, learned_on: date, source: CourtLimitSource
) -> CourtLimitTerm | None:
    """The court limit from `learned_on` where the office is: (rule, due moment, provisional,
    basis), or None without a court rule. The same for every filing that shares the three, so
    the sweep computes it once per office jurisdiction, zone and day."""
    rule = source.rule(jurisdiction=jurisdiction, on=learned_on)
    if rule is None:
        return None
    try:
        due = engine.court_limit(
            learned_on, source.calendar(jurisdiction), months=rule.amount, time_zone=time_zone
        )
    except engine.TermOutOfRange as exc:
        raise _out_of_bounds(rule) from exc
    return rule, due.due_at, due.provisional, f"{rule}: {due.basis}"[:200]


def _court_limits_meet(claim: Filing, *, filed_on: date) -> None:
    """The claim is filed: the filing limits it answers (its own, opened from the day the
    violation became known, and the one of the filing it escalates) are met, or missed when
    it was filed after their last day."""
    now = timezone.now()
    which = Q(filing=claim)
    if claim.escalates_id is not None:
        which |= Q(filing_id=claim.escalates_id)
    limits = Deadline.objects.filter(which, kind=Deadline.Kind.COURT_LIMIT, state=OPEN)
    for limit in limits.select_related("filing__office"):
        zone = limit.filing.office.time_zone if limit.filing else claim.office.time_zone
        in_time = due_day(limit.due_at, zone) >= filed_on
        limit.state = Deadline.State.MET if in_time else Deadline.State.MISSED
        limit.closed_at = now
        limit.save(update_fields=["state", "closed_at"])


@transaction.atomic
def court_limit_open(*, filing: Filing, actor: User | None, known_on: date) -> Filing:
    """Open the filing limit (KAS art. 219) of a court claim from the day the violation became
    known: a clock of its own, never the claim's response due (the court's term is that). A
    new day replaces the open limit. Refused for a claim already filed, or without a rule."""
    filing = _locked(filing, actor)
    if filing.kind != FilingKind.COURT_CLAIM:
        raise TransitionError(_("Only a court claim has a filing limit."))
    _require(filing, (S.DRAFT,), _("given a filing limit"))
    if known_on > timezone.localdate():
        raise TransitionError(_("That day is in the future."))
    clock = _court_limit_clock(filing, learned_on=known_on, source=CourtLimitSource())
    if clock is None:
        raise RuleError(_("No rule limits filing a claim in this country; add one under rules."))
    Deadline.objects.filter(filing=filing, kind=Deadline.Kind.COURT_LIMIT, state=OPEN).update(
        state=Deadline.State.CANCELLED, closed_at=timezone.now()
    )
    clock.save()
    return _finish(filing, actor=actor, action="filing limit", fields=["court_limit"], saved=[])


# What filing_clock_recompute writes on the filing itself.
CLOCK_FIELDS = ("due_at", "due_provisional")


def _finish(
    filing: Filing, *, actor: User | None, action: str, fields: list[str], saved: Iterable[str]
) -> Filing:
    """Save exactly the `saved` columns, refresh the case's next deadline, audit `fields`."""
    filing.save(update_fields=[*saved, "updated_at"])
    case_next_deadline_refresh(filing.case_id)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=filing,
        detail={"transition": action, "fields": fields, "case": filing.case.reference},
    )
    return filing


def filing_create(
    *,
    case: Case,
    office: AuthorityOffice,
    kind: str,
    signer: str,
    actor: User | None,
    escalates: Filing | None = None,
    notes: str = "",
    life_or_health_at_risk: bool = False,
    token: str | None = None,
) -> Filing:
    """A draft filing someone asked for (case page, API): checks that `actor` may file on this
    case and that the rule allows the signer (a рапорт is the serviceman's), then `filing_add`.

    With the form's one-time `token`, a repeat creates nothing and returns the first draft.
    """
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.FILING_CREATE)
    if office.jurisdiction != case.serviceman.jurisdiction:
        raise RuleError(
            _("This office belongs to another country's authorities than the serviceman's.")
        )
    rule = rule_for(
        office=office,
        filing_kind=kind,
        on=timezone.localdate(),
        life_or_health_at_risk=life_or_health_at_risk,
    )
    if (
        rule is not None
        and rule.who_may_file == ResponseRule.Signer.SERVICEMAN
        and signer != Filing.Signer.SERVICEMAN
    ):
        raise RuleError(
            _("Only the serviceman himself may file this; prepare it for his signature.")
        )
    filing, _created = submitted_once(
        Filing,
        token=token,
        create=lambda token: filing_add(
            case=case,
            office=office,
            kind=kind,
            signer=signer,
            actor=actor,
            escalates=escalates,
            notes=notes,
            life_or_health_at_risk=life_or_health_at_risk,
            token=token,
        ),
        case=case,
        created_by=actor,
    )
    return filing


def filing_add(
    *,
    case: Case,
    office: AuthorityOffice,
    kind: str,
    signer: str,
    actor: User | None,
    escalates: Filing | None = None,
    notes: str = "",
    life_or_health_at_risk: bool = False,
    token: str | None = None,
) -> Filing:
    """The one place a filing row is created, on every path (case page, API, escalation,
    exchange, forwarding, demo): the row under the rule in force today, its creation audit
    event and timeline entry, and its draft document queued when a template fits. Callers
    have checked that `actor` may do what led here; call inside their transaction."""
    filing = Filing.objects.create(
        case=case,
        office=office,
        kind=kind,
        signer=signer,
        escalates=escalates,
        notes=notes,
        life_or_health_at_risk=life_or_health_at_risk,
        rule=rule_for(
            office=office,
            filing_kind=kind,
            on=timezone.localdate(),
            life_or_health_at_risk=life_or_health_at_risk,
        ),
        created_by=actor,
        submission_token=token,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=filing,
        detail={"case": case.reference, "kind": kind},
    )
    TimelineEntry.objects.create(
        case=case,
        kind=TimelineEntry.Kind.FILING,
        author=actor,
        text=_("Filing %(filing)s prepared: %(kind)s to %(office)s.")
        % {"filing": filing.reference, "kind": filing.get_kind_display(), "office": office.name},
    )
    # Its draft document, when a template fits: ready in the worker a moment later.
    document_request_if_possible(filing=filing, actor=actor)
    return filing


@transaction.atomic
def filing_discard(*, filing: Filing, actor: User | None) -> str:
    """Delete a draft made by mistake; returns its reference. Audited.

    Only a draft: nothing was sent, so no clock ran and no authority knows of it. A filing that
    was sent is a record of what the authority received and stays. Discarding the last draft an
    escalation proposed puts the escalated filing back, so it can be escalated again.
    """
    filing = _locked(filing, actor)
    if filing.status != S.DRAFT:
        raise TransitionError(_("Only a draft can be discarded; a filing that was sent stays."))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        obj=filing,
        detail={"case": filing.case.reference, "kind": filing.kind},
    )
    reference, parent_id = filing.reference, filing.escalates_id
    filing.delete()
    if parent_id is not None:
        parent = _locked(Filing(pk=parent_id), None)  # part of this discard
        if parent.status == S.ESCALATED and not parent.escalations.exists():
            refused = parent.outcome in Filing.ESCALATABLE_OUTCOMES
            parent.status = S.ANSWERED if refused else S.OVERDUE
            _finish(
                parent,
                actor=actor,
                action="escalation withdrawn",
                fields=["status"],
                saved=["status"],
            )
    case_next_deadline_refresh(filing.case_id)
    return reference


def filing_mark_sent(
    *,
    filing: Filing,
    actor: User | None,
    sent_on: date,
    method: str,
    tracking_number: str = "",
    proof: Upload | None = None,
    proof_to_follow: str = "",
    received_on: date | None = None,
    received_at: datetime | None = None,
) -> Filing:
    """Record sending and start the clock under the rule in force on the sending day.

    Until the delivery date is known, receipt is assumed on the sending day: the clock may run
    early, never late. A term in hours runs from `received_at`, any past moment; without one,
    from now when sent today, else from the start of the day (early rather than late). A court
    claim sent meets the filing limit (KAS art. 219) that led to it. Registered mail is proved
    by the post office receipt: its scan (`proof`, kept on the filing) or, when it is not at
    hand, the reason it follows.
    """
    with upload_kept(proof) as stored:
        return _filing_mark_sent(
            filing=filing,
            actor=actor,
            sent_on=sent_on,
            method=method,
            tracking_number=tracking_number,
            stored=stored,
            proof_to_follow=proof_to_follow.strip()[:300],
            received_on=received_on,
            received_at=received_at,
        )


@transaction.atomic
def _filing_mark_sent(
    *,
    filing: Filing,
    actor: User | None,
    sent_on: date,
    method: str,
    tracking_number: str,
    stored: StoredUpload | None,
    proof_to_follow: str,
    received_on: date | None,
    received_at: datetime | None,
) -> Filing:
    filing = _locked(filing, actor)
    _require(filing, (S.DRAFT,), _("marked sent"))
    if sent_on > timezone.localdate():
        raise TransitionError(_("The sending date is in the future."))
    if received_at is not None and received_at > timezone.now():
        raise TransitionError(_("The moment of sending or receipt is in the future."))
    if method not in Filing.METHODS_BY_JURISDICTION.get(filing.office.jurisdiction, ()):
        raise TransitionError(_("This office cannot be reached this way."))
    if method == Filing.Method.REGISTERED_MAIL and not tracking_number:
        raise TransitionError(_("Registered mail needs its tracking number."))
    if method == Filing.Method.REGISTERED_MAIL and stored is None and not proof_to_follow:
        # A court asks for the receipt: without its scan, someone says why it is not here yet.
        raise TransitionError(
            _(
                "Registered mail needs the scan of the post office receipt, or a reason why "
                "the proof follows later."
            )
        )
    filing.rule = rule_for(
        office=filing.office,
        filing_kind=filing.kind,
        on=sent_on,
        life_or_health_at_risk=filing.life_or_health_at_risk,
    )
    filing.status, filing.sent_on, filing.method = S.SENT, sent_on, method
    filing.tracking_number = tracking_number
    filing.received_on = received_on
    if received_at is None and filing.rule and filing.rule.unit == ResponseRule.Unit.HOURS:
        day = received_on or sent_on
        received_at = (
            timezone.now()
            if day == timezone.localdate()
            else engine.start_of_day(day, filing.office.time_zone)
        )
    filing.received_at = received_at
    filing_clock_recompute(filing)
    if filing.kind == FilingKind.COURT_CLAIM:
        _court_limits_meet(filing, filed_on=sent_on)
    if stored is not None:
        filing.proof = staff_upload_record(
            case=filing.case,
            actor=actor,
            stored=stored,
            document_kind=Attachment.DocumentKind.RECEIPT,
            filing=filing,
        )
        proof_to_follow = ""
    filing.proof_to_follow = proof_to_follow if filing.proof_id is None else ""
    return _finish(
        filing,
        actor=actor,
        action="sent",
        fields=["sent_on", "method"],
        saved=[
            "rule",
            "status",
            "sent_on",
            "method",
            "tracking_number",
            "proof",
            "proof_to_follow",
            "received_on",
            "received_at",
            *CLOCK_FIELDS,
        ],
    )


@transaction.atomic
def filing_record_registration(
    *, filing: Filing, actor: User | None, registration_number: str, registered_on: date
) -> Filing:
    """The authority's incoming number and date: the clock now runs from registration."""
    filing = _locked(filing, actor)
    _require(filing, Filing.REGISTRABLE, _("registered"))
    if filing.sent_on and registered_on < filing.sent_on:
        raise TransitionError(_("Registration cannot come before sending."))
    filing.registration_number, filing.registered_on = registration_number, registered_on
    filing.status = S.REGISTERED
    filing_clock_recompute(filing)
    return _finish(
        filing,
        actor=actor,
        action="registered",
        fields=["registration_number", "registered_on"],
        saved=["registration_number", "registered_on", "status", *CLOCK_FIELDS],
    )


@transaction.atomic
def filing_record_extension(
    *, filing: Filing, actor: User | None, notice_on: date, extended_to: date | None = None
) -> Filing:
    """An extension notice moves the clock to the date it names (`extended_to`), or as far as
    the rule allows when it names none; a named date past that is not taken (the clock may run
    early, never late). A second extension beyond the rule is refused."""
    filing = _locked(filing, actor)
    _require(filing, Filing.EXTENDABLE, _("extended"))
    if extended_to is not None and extended_to < notice_on:
        raise TransitionError(_("The new date comes before the notice itself."))
    filing.extensions += 1
    filing.extension_notice_on, filing.extended_to = notice_on, extended_to
    filing.status = S.EXTENDED
    filing_clock_recompute(filing)  # raises RuleError (rolling everything back) if too many
    return _finish(
        filing,
        actor=actor,
        action="extended",
        fields=["extension_notice_on", "extended_to"],
        saved=["extensions", "extension_notice_on", "extended_to", "status", *CLOCK_FIELDS],
    )


def filing_record_response(
    *,
    filing: Filing,
    actor: User | None,
    answered_on: date,
    outcome: str,
    forwarded_to: AuthorityOffice | None = None,
    answer: Upload | None = None,
) -> Filing:
    """Close the clock. A refusal or formal reply opens the court limit; forwarding starts a new
    clock at the receiving office (a new filing, linked). The answer letter's scan, if given,
    is kept on the filing."""
    with upload_kept(answer) as stored:
        return _filing_record_response(
            filing=filing,
            actor=actor,
            answered_on=answered_on,
            outcome=outcome,
            forwarded_to=forwarded_to,
            stored=stored,
        )


@transaction.atomic
def _filing_record_response(
    *,
    filing: Filing,
    actor: User | None,
    answered_on: date,
    outcome: str,
    forwarded_to: AuthorityOffice | None,
    stored: StoredUpload | None,
) -> Filing:
    filing = _locked(filing, actor)
    _require(filing, Filing.ANSWERABLE, _("answered"))
    if outcome == Filing.Outcome.FORWARDED and forwarded_to is None:
        raise TransitionError(_("Say which office it was forwarded to."))
    filing.answered_on, filing.outcome, filing.status = answered_on, outcome, S.ANSWERED
    filing.forwarded_to = forwarded_to
    _close_deadlines(filing, answered=True)
    if outcome in Filing.ESCALATABLE_OUTCOMES:
        _open_court_limit(filing, learned_on=answered_on)
    if stored is not None:
        staff_upload_record(
            case=filing.case,
            actor=actor,
            stored=stored,
            document_kind=Attachment.DocumentKind.ANSWER,
            filing=filing,
        )
    _finish(
        filing,
        actor=actor,
        action="answered",
        fields=["answered_on", "outcome"],
        saved=["answered_on", "outcome", "status", "forwarded_to"],
    )
    if outcome == Filing.Outcome.FORWARDED and forwarded_to is not None:
        # The authority forwarded the document as it was signed: no signer rule can refuse it.
        follow_up = filing_add(
            case=filing.case,
            office=forwarded_to,
            kind=filing.kind,
            signer=filing.signer,
            escalates=filing,
            actor=actor,
            life_or_health_at_risk=filing.life_or_health_at_risk,
        )
        filing_mark_sent(
            filing=follow_up,
            actor=actor,
            sent_on=answered_on,
            method=filing.method or Filing.Method.E_RECEPTION,
            tracking_number=filing.tracking_number,
            # Sent on by the authority, not by us: its proof is the answer that says so.
            proof_to_follow=_("forwarded by the authority (answer to %(filing)s)")
            % {"filing": filing.reference},
            received_on=answered_on,
        )
    return filing


@transaction.atomic
def deadline_hand_over(*, deadline: Deadline, responsible: User, actor: User | None) -> Deadline:
    """Make someone else answer for an open or missed clock (audited); the backup team stays.

    Refused, changing nothing, for a closed clock or for someone who cannot see the case.
    """
    if actor is not None:
        permissions.deadline_act_check(user=actor, deadline=deadline)
    locked = (
        Deadline.objects.select_for_update(of=("self",)).select_related("case").get(pk=deadline.pk)
    )
    if locked.state not in (Deadline.State.OPEN, Deadline.State.MISSED):
        raise TransitionError(_("Only an open or missed deadline can be handed over."))
    if not users_who_see_case(locked.case).filter(pk=responsible.pk).exists():
        raise TransitionError(_("That person cannot see this case, so cannot answer for it."))
    previous = locked.responsible_id
    locked.responsible = responsible
    locked.save(update_fields=["responsible"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=locked.case,
        detail={"deadline": locked.pk, "responsible": [previous, responsible.pk]},
    )
    return locked


@transaction.atomic
def filings_mark_overdue(
    *, now: datetime, limit: int, source: CourtLimitSource | None = None
) -> int:
    """Called by the sweep: up to `limit` filings whose response clock ran out unanswered become
    overdue, their run-out clocks and early checks missed, with the court limit opened and an
    audit event each, in one short transaction and a fixed number of statements.

    Filings another transaction holds are skipped (the next sweep takes them). Returns how many
    filings it took: fewer than `limit` means none are left.
    """
    source = source or CourtLimitSource()
    run_out = Deadline.objects.response_clocks_run_out(now)
    # Tuples, not instances: a batch is thousands of filings (issue 14's benchmark).
    filings = list(
        Filing.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=Filing.AWAITING_RESPONSE, pk__in=run_out.values("filing_id"))
        .annotate(
            first_due=Subquery(
                run_out.filter(filing=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
            )
        )
        .order_by()  # any order: SKIP LOCKED never waits on another sweep's rows
        .values_list(
            "pk",
            "reference",
            "case_id",
            "case__reference",
            "case__assignee_id",
            "case__team_id",
            "office__jurisdiction",
            "office__time_zone",
            "first_due",
            "kind",
        )[:limit]
    )
    if not filings:
        return 0
    ids = [row[0] for row in filings]
    Deadline.objects.filter(ids_in("filing_id", ids), state=OPEN).filter(
        Q(kind__in=Deadline.RESPONSE_CLOCKS, due_at__lt=now) | Q(kind=Deadline.Kind.EARLY_CHECK)
    ).update(state=Deadline.State.MISSED, closed_at=now)
    Filing.objects.filter(ids_in("pk", ids)).update(status=S.OVERDUE, updated_at=now)
    has_court_limit = set(
        Deadline.objects.filter(
            ids_in("filing_id", ids), kind=Deadline.Kind.COURT_LIMIT
        ).values_list("filing_id", flat=True)
    )
    # The court limit depends only on the office's jurisdiction and zone and the day the clock
    # ran out: a burst of filings shares a handful of terms, each computed once.
    terms: dict[tuple[str, str, date], CourtLimitTerm | None] = {}
    out_of_bounds: set[tuple[str, str, date]] = set()
    clocks = []
    for (
        pk,
        _ref,
        case_id,
        _case_ref,
        assignee_id,
        team_id,
        jurisdiction,
        zone,
        due,
        kind,
    ) in filings:
        if pk in has_court_limit or kind == FilingKind.COURT_CLAIM:
            continue  # a court that is late is not a new violation to claim against
        key = (jurisdiction, zone, timezone.localdate(due))
        if key not in terms:
            try:
                terms[key] = _court_limit_term(
                    jurisdiction=jurisdiction, time_zone=zone, learned_on=key[2], source=source
                )
            except RuleError:
                # A court rule row with an impossible term: the filing is overdue all the
                # same, and the rule shows its mistake wherever it is used; one bad row stops
                # no other filing.
                terms[key] = None
                out_of_bounds.add(key)
        if key in out_of_bounds:
            logger.warning("court limit not opened: rule out of bounds (filing %s)", pk)
        term = terms[key]
        if term is not None:
            rule, due_at, provisional, basis = term
            clocks.append(
                (case_id, pk, Deadline.Kind.COURT_LIMIT.value, due_at, assignee_id, team_id,
                 rule.pk, provisional, not rule.is_verified, basis)
            )  # fmt: skip
    rows_insert(
        Deadline,
        ("case_id", "filing_id", "kind", "due_at", "responsible_id", "backup_team_id",
         "rule_id", "provisional", "unverified", "basis"),
        clocks,
    )  # fmt: skip
    cases_next_deadline_refresh({row[2] for row in filings})
    rows_insert(
        AuditEvent,
        ("action", "object_type", "object_reference", "detail"),
        [
            (AuditEvent.Action.CHANGE.value, "filing", reference,
             {"transition": "overdue", "fields": ["status"], "case": case_reference})
            for _pk, reference, _case, case_reference, *_rest in filings
        ],
    )  # fmt: skip
    return len(filings)


@transaction.atomic
def filing_escalate(*, filing: Filing, actor: User | None) -> list[Filing]:
    """Propose the next rung(s) of the ladder as pre-filled drafts linked to this filing."""
    filing = _locked(filing, actor)
    if not filing.is_escalatable:
        raise TransitionError(_("Only an overdue or refused filing can be escalated."))
    drafts = []
    for step, office in escalation_targets(filing):
        if office is None:
            continue  # the directory has no office of that kind yet; the step shows as advice
        draft = filing_add(
            case=filing.case,
            office=office,
            kind=step.filing_kind,
            signer=step.signer,
            escalates=filing,
            actor=actor,
            notes=seeded_text(step.description),  # the advice in the actor's language
            # The danger the filing stated has not passed because nobody answered.
            life_or_health_at_risk=filing.life_or_health_at_risk,
        )
        drafts.append(draft)
    if not drafts:
        raise RuleError(
            _("No escalation step is defined after this office; add one to the ladder.")
        )
    filing.status = S.ESCALATED
    _finish(filing, actor=actor, action="escalated", fields=["status"], saved=["status"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=filing.case,
        detail={"escalation_drafts": [d.reference for d in drafts], "from": filing.reference},
    )
    return drafts


# --- Medical board (VVK) -----------------------------------------------------------------------


def vvk_advice(filing: Filing) -> str:
    """The note a mobilised serviceman with category В needs (decree 647 p. 5), or ""."""
    serviceman: Serviceman = filing.case.serviceman
    if (
        filing.kind == "vvk_request"
        and filing.fitness_category == Filing.Category.V
        and serviceman.service_type == Serviceman.ServiceType.MOBILISED
        and filing.office.jurisdiction == "RU"
    ):
        return _(
            "Category В (limited fit) is not a discharge ground for a mobilised serviceman under "
            "decree 647 p. 5: only Д (not fit) is. Next step: ask for re-examination by a higher "
            "board or an independent expertise (Decree 574), or challenge the conclusion in court."
        )
    return ""


@transaction.atomic
def vvk_record_result(
    *, filing: Filing, actor: User | None, board_date: date, category: str, conclusion: str = ""
) -> Filing:
    """Record the board's date, category and conclusion; a В for a mobilised man adds the note."""
    filing = _locked(filing, actor)
    if filing.kind != "vvk_request":
        raise TransitionError(_("Only a medical board referral has a board result."))
    if category not in filing.fitness_categories():
        # A Russian category on a Ukrainian case (or the reverse) would misstate the board.
        raise TransitionError(_("A medical board of this country gives no such outcome."))
    filing.board_date, filing.fitness_category, filing.conclusion = board_date, category, conclusion
    advice = vvk_advice(filing)
    if advice:
        TimelineEntry.objects.create(
            case=filing.case, kind=TimelineEntry.Kind.NOTE, text=advice, author=actor
        )
    return _finish(
        filing,
        actor=actor,
        action="vvk_result",
        fields=["board_date", "fitness_category"],
        saved=["board_date", "fitness_category", "conclusion"],
    )
