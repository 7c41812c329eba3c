"""Document drafts: the template a filing gets, asking for a draft, making it in the worker, and
handing it to staff. Templates are versioned data: a version a draft was made from never changes.

A draft is a row (pending -> ready or failed); the task that makes it is idempotent and the
portal sweep re-queues pending rows the broker lost, as for uploads.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from casework.approximate_dates import ApproximateDate
from casework.crypto import content_digest
from casework.drafting import (
    BLANK,
    PARTS,
    TemplateTextError,
    docx_build,
    draft_render,
    facts_of,
)
from casework.exceptions import NotReadyError, RuleError
from casework.formats import due_day
from casework.models import (
    Applicant,
    AuditEvent,
    AuthorityOffice,
    Case,
    CaseFact,
    DocumentTemplate,
    Filing,
    FilingKind,
    GeneratedDocument,
    Jurisdiction,
    Serviceman,
    Verification,
)
from casework.selectors import case_chronology, template_for
from casework.services.attachments import DownloadFile, pending_rows_requeue
from casework.services.audit import audit_record
from casework.services.records import update_fields_for
from casework.services.submissions import submitted_once

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_ATTEMPTS = 5
# A document is written in the language of the authority that receives it.
LANGUAGE_OF = {Jurisdiction.RU: "ru", Jurisdiction.UA: "uk"}


# --- Templates --------------------------------------------------------------------------------


# What a lawyer's check covers: changing any of it makes a verified template unverified again.
CHECKED_FIELDS = (*PARTS, "filing_kinds", "office_kinds", "signers", "jurisdiction")


@transaction.atomic
def template_save(
    *, template: DocumentTemplate, actor: User | None, changed: Sequence[str] = ()
) -> DocumentTemplate:
    """Save a lawyer's edit. A template a draft was made from is kept as it was: the edit
    becomes version N+1 of the same code, which new drafts use from now on. Only the newest
    version of a code can be edited (an older one would silently undo the newer one's text).

    Raises RuleError when the code is taken by another template, or for an older version.
    """
    if template.pk is not None:
        newest = DocumentTemplate.objects.filter(code=template.code).aggregate(top=Max("version"))
        if (newest["top"] or 0) > template.version:
            raise RuleError(_("Only the newest version of a template can be changed."))
    if (
        template.verification == Verification.VERIFIED
        and "verification" not in changed
        and set(changed) & set(CHECKED_FIELDS)
    ):
        template.verification = Verification.UNVERIFIED  # the lawyer checked other words
    if template.pk is not None and GeneratedDocument.objects.filter(template=template).exists():
        template.pk = None
        template._state.adding = True
    if template.pk is None:
        # Lock the code's versions, so two editors saving at once make N+1 and N+2.
        versions = list(
            DocumentTemplate.objects.select_for_update()
            .filter(code=template.code)
            .values_list("version", flat=True)
        )
        template.version = max(versions, default=0) + 1
        template.created_by, template.created_at = actor, timezone.now()
        action = AuditEvent.Action.CREATE
    else:
        action = AuditEvent.Action.CHANGE
    try:
        with transaction.atomic():
            if action == AuditEvent.Action.CREATE:
                template.save()
            else:  # an unused version edited in place: only what the lawyer changed
                columns = update_fields_for(DocumentTemplate, changed)
                template.save(update_fields=[*columns, "verification"])
    except IntegrityError as exc:  # a new code taken at the same moment
        raise RuleError(
            _("Another template has this code. Choose another code, or edit that template.")
        ) from exc
    audit_record(
        actor=actor,
        action=action,
        obj=template,
        reference=f"{template.code} v{template.version}",
        detail={"fields": sorted(set(changed))} if changed else None,
    )
    return template


# --- Asking for a draft -----------------------------------------------------------------------


def document_request(
    *, filing: Filing, actor: User | None, token: str | None = None
) -> GeneratedDocument:
    """A pending draft of `filing` from its current template, made by a task after commit.

    Raises RuleError when no template fits. With the form's one-time `token`, a repeat asks
    once and returns the first draft.
    """
    template = template_for(filing)
    if template is None:
        raise RuleError(
            _(
                "There is no document template for this kind of filing to this office yet. "
                "A coordinator can add one under Document templates."
            )
        )

    def create(token: str | None) -> GeneratedDocument:
        return _document_add(filing, template, actor, token)

    document, _created = submitted_once(
        GeneratedDocument, token=token, create=create, filing=filing
    )
    return document


def document_request_if_possible(*, filing: Filing, actor: User | None) -> None:
    """For a new draft filing: ask for its document when a template fits; else nothing."""
    template = template_for(filing)
    if template is not None:
        _document_add(filing, template, actor, None)


def _document_add(
    filing: Filing, template: DocumentTemplate, actor: User | None, token: str | None
) -> GeneratedDocument:
    document = GeneratedDocument.objects.create(
        filing=filing, template=template, requested_by=actor, submission_token=token
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=document,
        reference=filing.case.reference,
        detail={"filing": filing.reference, "template": f"{template.code} v{template.version}"},
    )
    transaction.on_commit(lambda: _queue([document.pk]), robust=True)
    return document


def _queue(ids: Sequence[int]) -> None:
    from casework.tasks import generate_document

    for pk in ids:
        generate_document.delay(document_id=pk)


# --- In the worker ----------------------------------------------------------------------------


def document_generate(*, document_id: int) -> GeneratedDocument | None:
    """Make a pending draft; a ready, failed or missing row is a no-op (so a repeat is harmless).

    A template that does not render marks the draft failed with the part and the kind of
    error only: an error's text could quote a fact of the case.
    """
    document = (
        GeneratedDocument.objects.filter(pk=document_id, state=GeneratedDocument.State.PENDING)
        .select_related(
            "template",
            "filing__office",
            "filing__escalates__office",
            "filing__case__serviceman__exchange",
            "filing__case__applicant",
        )
        .first()
    )
    if document is None:
        return None
    GeneratedDocument.objects.filter(pk=document.pk).update(attempts=F("attempts") + 1)
    template = document.template
    try:
        draft = draft_render(
            {part: getattr(template, part) for part in PARTS}, document_facts(document.filing)
        )
        data = docx_build(draft)
    except TemplateTextError as exc:
        part = str(exc).split(":", 1)[0]
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "too_long"
        return _finish(document, state=GeneratedDocument.State.FAILED, failure=f"{part}: {cause}")
    except ValueError as exc:  # python-docx refused the text; its message could quote it
        failure = f"docx: {type(exc).__name__}"
        return _finish(document, state=GeneratedDocument.State.FAILED, failure=failure)
    return _finish(
        document,
        state=GeneratedDocument.State.READY,
        content=base64.b64encode(data).decode(),
        digest=content_digest(data),
        failure="",
        ready_at=timezone.now(),
    )


def _finish(document: GeneratedDocument, **values: Any) -> GeneratedDocument:
    GeneratedDocument.objects.filter(pk=document.pk, state=GeneratedDocument.State.PENDING).update(
        **values
    )
    document.refresh_from_db()
    return document


def documents_requeue_stale() -> int:
    """Re-queue pending drafts the broker may have lost; give up on the hopeless ones."""
    return pending_rows_requeue(GeneratedDocument, max_attempts=MAX_ATTEMPTS, queue=_queue)


def document_facts(filing: Filing) -> dict[str, dict[str, str]]:
    """The facts a template may print (casework.drafting.FACTS), decrypted, in the language of
    the office that receives the document; anything not recorded prints as a blank."""
    case, office = filing.case, filing.office
    serviceman, applicant, earlier = case.serviceman, case.applicant, filing.escalates
    with translation.override(LANGUAGE_OF.get(Jurisdiction(office.jurisdiction), "ru")):
        serviceman_name = _full_name(
            serviceman.surname, serviceman.given_name, serviceman.patronymic
        )
        # The legal name only: the "how should we address you" name may be a nickname, and a
        # document signed with it reads as anonymous. Without one the draft leaves a blank.
        applicant_name = applicant.legal_name if applicant else ""
        values: dict[str, dict[str, object]] = {
            "office": {
                "name": _with_unit(office, office.name, serviceman),
                "addressee": _with_unit(office, office.addressee or office.name, serviceman),
                "address": office.address,
            },
            "serviceman": {
                "full_name": serviceman_name,
                "surname": serviceman.surname,
                "given_name": serviceman.given_name,
                "patronymic": serviceman.patronymic,
                "birth_date": serviceman.birth_date,
                "unit": serviceman.unit_number,
                "rank": serviceman.rank,
                "service_type": (
                    serviceman.get_service_type_display()
                    if serviceman.service_type != Serviceman.ServiceType.UNKNOWN
                    else ""
                ),
                # A rough date prints as the period it is ("03.2025"), never a made-up day.
                "captured_on": _approximate(serviceman.approximate_date("captured_on")),
                "released_on": _approximate(serviceman.approximate_date("released_on")),
                "exchange_date": serviceman.exchange.happened_on if serviceman.exchange else None,
            },
            "applicant": {
                "full_name": applicant_name,
                "relationship": _kinship(applicant, office.jurisdiction),
                "address": applicant.address if applicant else "",
                "phone": applicant.phone if applicant else "",
                "email": applicant.email if applicant else "",
            },
            "case": {"reference": case.reference, "chronology": _chronology(case)},
            "filing": {
                "reference": filing.reference,
                "kind": filing.get_kind_display(),
                "life_or_health_at_risk": _("yes") if filing.life_or_health_at_risk else "",
            },
            "board": _board(filing),
            "earlier": _earlier(earlier, serviceman),
            "signer": {
                "full_name": (
                    serviceman_name if filing.signer == Filing.Signer.SERVICEMAN else applicant_name
                )
            },
            "today": {"date": timezone.localdate()},
        }
    return facts_of(values)


def _chronology(case: Case) -> str:
    """The facts marked for documents, one line each in date order, in the active language (the
    document's): "12.03.2025 — госпитализация: военный госпиталь". Staff wrote every word of it;
    the source of a fact ("from the mother") stays in the case."""
    lines = []
    for item in case_chronology(case):
        when = fact_date(item)
        what = str(CHRONOLOGY_KINDS[CaseFact.Kind(item.kind)])
        text = " ".join(item.text.split())
        if what and text:
            lines.append(f"{when} — {what}: {text}")
        else:
            lines.append(f"{when} — {what or text}")
    return "\n".join(lines)


# How a document names each kind of fact (nouns, so any place or text may follow a colon).
CHRONOLOGY_KINDS = {
    CaseFact.Kind.MOVED: pgettext_lazy("chronology", "moved"),
    CaseFact.Kind.HOSPITALISED: pgettext_lazy("chronology", "hospitalisation"),
    CaseFact.Kind.BOARD: pgettext_lazy("chronology", "medical board examination"),
    CaseFact.Kind.CONTACT: pgettext_lazy("chronology", "contact with him"),
    CaseFact.Kind.EXCHANGE: pgettext_lazy("chronology", "exchange"),
    CaseFact.Kind.FILING: pgettext_lazy("chronology", "filing"),
    CaseFact.Kind.OTHER: "",
}


def fact_date(item: CaseFact) -> str:
    """The date as exact as it is known: 12.03.2025, about 12.03.2025, 03.2025, in 2025."""
    day = item.happened_on
    if item.precision == CaseFact.Precision.MONTH:
        return day.strftime("%m.%Y")
    if item.precision == CaseFact.Precision.YEAR:
        return pgettext("chronology", "in %(year)s") % {"year": day.year}
    if item.precision == CaseFact.Precision.ABOUT:
        return pgettext("chronology", "about %(date)s") % {"date": day.strftime("%d.%m.%Y")}
    return day.strftime("%d.%m.%Y")


def _approximate(value: ApproximateDate | None) -> str:
    return value.numeric() if value else ""


# What a unit number may start with, in the man's record; the office's name says it already.
_UNIT_PREFIX = re.compile(
    r"^\s*(?:в\s*/\s*ч|в\.\s*ч\.?|войсковая\s+часть|військова\s+частина)(?![а-яёіїєґa-z])"
    r"[\s.:№-]*",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d")


def _with_unit(office: AuthorityOffice, text: str, serviceman: Serviceman) -> str:
    """The office's name or addressee line as the document prints it. The commander of his own
    unit is named with the unit from his encrypted record ("Командиру войсковой части 42038"),
    or a line to fill in, so nobody types a unit number into the plaintext office row. A line
    a coordinator wrote in full (a number in it) is printed as it is."""
    if office.kind not in AuthorityOffice.OWN_UNIT_KINDS or _HAS_NUMBER.search(text):
        return text
    unit = _UNIT_PREFIX.sub("", serviceman.unit_number or "").strip()
    return f"{text} {unit or BLANK}"


# How a document names the family member's tie to him; the admin's labels ("wife or partner")
# are not a document's words. Anyone else (a friend, the serviceman himself) is left unnamed.
_KINSHIP = {
    Jurisdiction.RU: {
        "mother": "мать",
        "father": "отец",
        "wife": "супруга",
        "sister": "сестра",
        "brother": "брат",
        "child": "сын (дочь)",
    },
    Jurisdiction.UA: {
        "mother": "мати",
        "father": "батько",
        "wife": "дружина",
        "sister": "сестра",
        "brother": "брат",
        "child": "син (донька)",
    },
}


def _kinship(applicant: Applicant | None, jurisdiction: str) -> str:
    if applicant is None:
        return ""
    return _KINSHIP[Jurisdiction(jurisdiction)].get(applicant.relationship, "")


def _full_name(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())


def _board(filing: Filing) -> dict[str, object]:
    """The board result a document answers: the referral the filing escalates when it has one,
    else the case's latest recorded result. Labels in the active (the document's) language."""
    referral = filing.escalates
    if referral is None or referral.kind != FilingKind.VVK_REQUEST or not referral.board_date:
        referral = (
            Filing.objects.filter(
                case_id=filing.case_id, kind=FilingKind.VVK_REQUEST, board_date__isnull=False
            )
            .order_by("-board_date", "-pk")
            .first()
        )
    if referral is None:
        return {}
    return {
        "date": referral.board_date,
        "category": referral.get_fitness_category_display() if referral.fitness_category else "",
        "category_code": referral.fitness_category,
    }


def _earlier(filing: Filing | None, serviceman: Serviceman) -> dict[str, object]:
    if filing is None:
        return {}
    return {
        "reference": filing.reference,
        "kind": filing.get_kind_display(),
        "office": _with_unit(filing.office, filing.office.name, serviceman),
        "sent_on": filing.sent_on,
        "tracking_number": filing.tracking_number,
        "registration_number": filing.registration_number,
        "registered_on": filing.registered_on,
        # The day it fell due where the office is (its clock runs in its own time zone).
        "due_on": due_day(filing.due_at, filing.office.time_zone) if filing.due_at else None,
        "answered_on": filing.answered_on,
        "outcome": filing.get_outcome_display() if filing.outcome else "",
    }


# --- Staff download ---------------------------------------------------------------------------


def document_download(*, document: GeneratedDocument, actor: User) -> DownloadFile:
    """The ready draft, decrypted, with a name that says only the filing and the version;
    audited. `document` must come from casework.selectors.document_get_for_user."""
    if document.state != GeneratedDocument.State.READY:
        raise NotReadyError(_("This document is not ready."))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DOWNLOAD,
        obj=document,
        reference=document.filing.case.reference,
        detail={"filing": document.filing.reference},
    )
    return DownloadFile(
        data=base64.b64decode(document.content),
        content_type=DOCX,
        filename=f"{document.filing.reference}-draft-{document.pk}.docx",
    )
