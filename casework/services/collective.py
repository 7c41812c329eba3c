"""A collective complaint draft: the selection's anonymised summary and the families who agree
to be named, read again at the moment the draft is made, put into a lawyer's template.

The draft is made on request and handed over, never stored. It is audited as an export
(counts, the template's code and version; never a name). A template not yet verified by a
lawyer says so at the top of the draft itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from casework import permissions
from casework.drafting import BLANK, Draft, docx_build, draft_render, facts_of
from casework.models import AuditEvent, AuthorityOffice, DocumentTemplate, Exchange, Verification
from casework.selectors.collective import (
    CollectiveSummary,
    collective_cases,
    collective_signatories,
    collective_summary,
)
from casework.services.audit import audit_record

UNVERIFIED_MARK = "ПРОЕКТ. Шаблон не проверен юристом / Шаблон не перевірено юристом."


@dataclass(frozen=True)
class CollectiveDraft:
    data: bytes
    filename: str
    signatories: int
    verified: bool


def _shown(value: int | None) -> str:
    return "менее 5" if value is None else str(value)


def signature_lines(legal_names: list[str]) -> str:
    """One numbered line per signatory: the legal name, or a blank line to write it in."""
    return "\n".join(
        f"{number}. {name.strip() or BLANK} ________________"
        for number, name in enumerate(legal_names, start=1)
    )


def _facts(
    subject: str, summary: CollectiveSummary, legal_names: list[str], office: AuthorityOffice | None
) -> dict[str, dict[str, str]]:
    period = f"{summary.opened_from} – {summary.opened_to}" if summary.opened_from else ""
    flags = {"injured": "ранены", "in_captivity": "были в плену", "under_25": "моложе 25 лет"}
    facts = "; ".join(
        f"{flags[key]}: {_shown(count)}" for key, count in summary.facts if count != 0
    )
    values: dict[str, dict[str, object]] = {
        "collective": {
            "subject": subject,
            "cases": _shown(summary.cases),
            "men": _shown(summary.men),
            "period": period,
            "facts": facts,
            "signatures": signature_lines(legal_names) if legal_names else "",
        },
        "today": {"date": timezone.localdate()},
    }
    if office is not None:
        values["office"] = {
            "name": office.name,
            "addressee": office.addressee,
            "address": office.address,
        }
    return facts_of(values)


@transaction.atomic
def collective_draft(
    *,
    actor: User,
    template: DocumentTemplate,
    unit: str = "",
    exchange: Exchange | None = None,
    office: AuthorityOffice | None = None,
) -> CollectiveDraft:
    """The draft over the selection as it is now; consent is read again here, so a family who
    withdrew it after the page was shown neither appears nor signs."""
    permissions.action_check(user=actor, action=permissions.Action.COLLECTIVE_COMPLAINT)
    cases = collective_cases(unit=unit, exchange=exchange, office=office)
    summary = collective_summary(cases)
    signatories = collective_signatories(cases)
    if exchange is not None:
        subject = f"военнослужащих, вернувшихся при обмене {exchange.happened_on:%d.%m.%Y}"
    elif office is not None:
        subject = f"обращений в {office.name}"
    else:
        subject = f"военнослужащих {unit.strip()}"
    facts = _facts(subject, summary, [a.legal_name for a in signatories], office)
    draft = draft_render(
        {
            "heading": template.heading,
            "title": template.title,
            "body": template.body,
            "signature": template.signature,
        },
        facts,
    )
    verified = template.verification == Verification.VERIFIED
    if not verified:
        draft = Draft(
            draft.heading, draft.title, f"{UNVERIFIED_MARK}\n\n{draft.body}", draft.signature
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="collective",
        reference=template.code,
        detail={
            "by": "unit" if unit else "exchange" if exchange else "office",
            "cases": summary.cases,  # None when under the threshold
            "signatories": len(signatories),
            "template_version": template.version,
        },
    )
    stamp = timezone.localdate().isoformat()
    return CollectiveDraft(
        docx_build(draft), f"collective-{stamp}.docx", len(signatories), verified
    )


@transaction.atomic
def collective_read_record(
    *, actor: User, by: str, summary: CollectiveSummary, signatories: int
) -> None:
    """The summary and the names of those who agree were shown: one audit event, counts only."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        object_type="collective",
        reference="collective",
        detail={"by": by, "cases": summary.cases, "signatories": signatories},
    )
