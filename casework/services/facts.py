"""A case's dated facts, its chronology: caseworkers add them and choose which go into documents.

Every write is audited (the kind and the case reference, never the text); the text and its
source are encrypted in the row. The drafts read the marked facts (services/documents.py).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.exceptions import CaseworkError
from casework.models import AuditEvent, Case, CaseFact
from casework.services.audit import audit_record


class FactError(CaseworkError):
    code = "fact_refused"


@transaction.atomic
def fact_add(
    *,
    case: Case,
    actor: User | None,
    kind: str,
    happened_on: date,
    precision: str = CaseFact.Precision.DAY,
    text: str = "",
    source: str = "",
    use_in_documents: bool = True,
) -> CaseFact:
    """Record one dated fact of the case; refused for a day still to come or an unknown kind."""
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.FACT_ADD)
    if kind not in CaseFact.Kind.values or precision not in CaseFact.Precision.values:
        raise FactError(_("Choose what happened and how exact the date is."))
    if kind == CaseFact.Kind.OTHER and not text.strip():
        raise FactError(_('Say what happened: a fact of the kind "other" needs its text.'))
    if happened_on > timezone.localdate():
        raise FactError(_("A fact cannot happen on a day still to come."))
    fact = CaseFact.objects.create(
        case=case,
        kind=kind,
        happened_on=happened_on,
        precision=precision,
        text=text.strip()[:2000],
        source=source.strip()[:300],
        use_in_documents=use_in_documents,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=fact,
        reference=case.reference,
        detail={"fact": fact.pk, "kind": kind, "use_in_documents": use_in_documents},
    )
    return fact


@transaction.atomic
def fact_use_set(*, fact: CaseFact, actor: User | None, use_in_documents: bool) -> CaseFact:
    """Whether the fact is printed into the drafts' chronology; setting it again is a no-op."""
    if actor is not None:
        permissions.case_act_check(
            user=actor, case=fact.case, action=permissions.Action.FACT_CHANGE
        )
    fact = CaseFact.objects.select_for_update().select_related("case").get(pk=fact.pk)
    if fact.use_in_documents == use_in_documents:
        return fact
    fact.use_in_documents = use_in_documents
    fact.save(update_fields=["use_in_documents"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=fact,
        reference=fact.case.reference,
        detail={"fact": fact.pk, "fields": ["use_in_documents"], "value": use_in_documents},
    )
    return fact
