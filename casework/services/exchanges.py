"""Exchanges of prisoners: recording one wakes every matching "in captivity" case and proposes
the first filings of the ladder for a man who came back (rungs with the trigger "released")."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext as _

from casework import permissions
from casework.formats import seeded_text
from casework.models import AuditEvent, Case, Exchange, Filing, Serviceman, TimelineEntry
from casework.selectors import first_filings_after_release
from casework.services.audit import audit_record
from casework.services.filings import filing_add
from casework.services.submissions import submitted_once


def exchange_record(
    *,
    happened_on: date,
    description: str,
    case_references: list[str],
    servicemen: list[Serviceman],
    actor: User | None,
    token: str | None = None,
) -> tuple[int, list[Case]]:
    """Record an exchange; wake every matching "in captivity" case and propose first filings.

    Each recording is its own Exchange (two on one day happen). With the form's one-time `token`,
    a repeat records and wakes nothing and returns the first result.
    """
    if actor is not None:
        permissions.action_check(user=actor, action=permissions.Action.EXCHANGE_RECORD)
    woken: list[Case] = []

    def record(token: str | None) -> Exchange:  # in submitted_once's transaction
        # Created first: a simultaneous repeat stops at the unique token before locking cases.
        exchange = Exchange.objects.create(
            happened_on=happened_on, description=description, submission_token=token
        )
        woken.extend(_exchange_wake(exchange, case_references, servicemen, actor))
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=exchange,
            reference=f"exchange-{happened_on.isoformat()}",
            detail={"woken": [c.reference for c in woken]},
        )
        return exchange

    exchange, created = submitted_once(Exchange, token=token, create=record)
    if not created:
        # The first recording's answer: the named cases whose man it released.
        woken = list(
            Case.objects.filter(serviceman__exchange=exchange, reference__in=case_references)
            .select_related("serviceman")
            .order_by("pk")
        )
    return exchange.pk, woken


def _exchange_wake(
    exchange: Exchange, case_references: list[str], servicemen: list[Serviceman], actor: User | None
) -> list[Case]:
    happened_on = exchange.happened_on
    waiting = Q(in_captivity=True) | Q(serviceman__status=Serviceman.Status.CAPTIVE)
    named = Q(reference__in=case_references) | Q(serviceman__in=[s.pk for s in servicemen])
    matched = (
        Case.objects.select_for_update(of=("self",))
        .filter(waiting, named, merged_into__isnull=True)
        .exclude(status=Case.Status.CLOSED)
        .select_related("serviceman")
        .order_by("pk")
    )
    woken = []
    for case in matched:
        man = case.serviceman
        man.exchange, man.status = exchange, Serviceman.Status.RELEASED
        man.released_on = man.released_on or happened_on
        man.save(update_fields=["exchange", "status", "released_on", "updated_at"])
        case.in_captivity, case.exchange_imminent, case.needs_attention = False, False, True
        case.priority = max(case.priority, Case.Priority.HIGH)
        case.save(
            update_fields=[
                "in_captivity",
                "exchange_imminent",
                "needs_attention",
                "priority",
                "updated_at",
            ]
        )
        TimelineEntry.objects.create(
            case=case,
            kind=TimelineEntry.Kind.NOTE,
            author=actor,
            text=_("Exchange of %(date)s: released. First filings proposed.")
            % {"date": happened_on.strftime("%d.%m.%Y")},
        )
        drafts = set(
            Filing.objects.filter(case=case, status=Filing.Status.DRAFT).values_list(
                "kind", flat=True
            )
        )
        for step, office in first_filings_after_release(man.jurisdiction):
            if office is None or step.filing_kind in drafts:
                continue  # no such office in the directory yet, or a draft is already there
            filing_add(
                case=case,
                office=office,
                kind=step.filing_kind,
                signer=step.signer,
                actor=actor,
                notes=seeded_text(step.description),  # the advice in the actor's language
            )
            drafts.add(step.filing_kind)
        woken.append(case)
    return woken
