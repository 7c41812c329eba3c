"""The steps of a filing the admin offers: what each shows, which service it calls, what it says.

Every write is one call to a filing service; the service checks who may act (permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.admin.base import acting_user
from casework.admin.filings.forms import (
    CourtLimitForm,
    DiscardForm,
    DocumentForm,
    EscalateForm,
    ExtensionForm,
    RegistrationForm,
    ResponseForm,
    SentForm,
    ShareForm,
    UploadForm,
    VvkResultForm,
    WithdrawShareForm,
)
from casework.formats import due_day, format_due, zone_for
from casework.models import Filing, FilingKind
from casework.services.attachments import staff_upload_add
from casework.services.document_shares import document_share, document_share_withdraw
from casework.services.documents import document_request
from casework.services.filings import (
    court_limit_open,
    filing_discard,
    filing_escalate,
    filing_mark_sent,
    filing_record_extension,
    filing_record_registration,
    filing_record_response,
    vvk_advice,
    vvk_record_result,
)


def _due_text(filing: Filing) -> str:
    return format_due(filing.due_at, filing.office.time_zone)


def _mark_sent(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    received_at = None
    if data["at_time"] is not None:  # a moment where the office is
        day = data["received_on"] or data["sent_on"]
        zone = ZoneInfo(filing.office.time_zone)
        received_at = datetime.combine(day, data["at_time"], tzinfo=zone)
    filing = filing_mark_sent(
        filing=filing,
        actor=acting_user(request),
        sent_on=data["sent_on"],
        method=data["method"],
        tracking_number=data["tracking_number"].strip(),
        received_on=data["received_on"],
        received_at=received_at,
        proof=data["proof"],
        proof_to_follow=data["proof_to_follow"],
    )
    messages.success(
        request,
        _("%(filing)s is marked sent; the answer is due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )


def _record_registration(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_registration(
        filing=filing,
        actor=acting_user(request),
        registration_number=data["registration_number"].strip(),
        registered_on=data["registered_on"],
    )
    messages.success(
        request,
        _("Registration recorded for %(filing)s; the answer is now due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )


def _record_extension(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_extension(
        filing=filing,
        actor=acting_user(request),
        notice_on=data["notice_on"],
        extended_to=data["extended_to"],
    )
    messages.success(
        request,
        _("Extension recorded for %(filing)s; the answer is now due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )
    named = data["extended_to"]
    if filing.due_at is not None and named > due_day(filing.due_at, filing.office.time_zone):
        messages.warning(
            request,
            _(
                "The notice names %(named)s, later than the rule allows: the clock stays at the "
                "rule's longest term. The authority is late after that day."
            )
            % {"named": named.strftime("%d.%m.%Y")},
        )


def _court_limit(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    court_limit_open(filing=filing, actor=acting_user(request), known_on=data["known_on"])
    messages.success(
        request,
        _("The limit for filing %(filing)s runs from %(day)s; it is listed with its clocks.")
        % {"filing": filing.reference, "day": data["known_on"].strftime("%d.%m.%Y")},
    )


def _record_response(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_response(
        filing=filing,
        actor=acting_user(request),
        answered_on=data["answered_on"],
        outcome=data["outcome"],
        forwarded_to=data["forwarded_to"],
        answer=data["answer"],
    )
    messages.success(
        request,
        _("The answer to %(filing)s is recorded (%(outcome)s).")
        % {"filing": filing.reference, "outcome": filing.get_outcome_display()},
    )


def _escalate(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    drafts = filing_escalate(filing=filing, actor=acting_user(request))
    messages.success(
        request,
        _("Drafts proposed: %(drafts)s. Review and send each one.")
        % {"drafts": ", ".join(draft.reference for draft in drafts)},
    )


def _record_vvk_result(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = vvk_record_result(
        filing=filing,
        actor=acting_user(request),
        board_date=data["board_date"],
        category=data["category"],
        conclusion=data["conclusion"],
    )
    messages.success(request, _("Board result recorded for %(filing)s.") % {"filing": filing})
    advice = vvk_advice(filing)
    if advice:
        messages.warning(request, advice)


def _discard(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> str:
    reference = filing_discard(filing=filing, actor=acting_user(request))
    messages.success(request, _("Draft %(filing)s discarded.") % {"filing": reference})
    return reverse("admin:casework_case_change", args=[filing.case_id])  # the filing is gone


def _upload(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    staff_upload_add(
        case=filing.case,
        filing=filing,
        actor=acting_user(request),
        upload=data["scan"],
        document_kind=data["document_kind"],
    )
    messages.success(request, _("The scan is kept on %(filing)s.") % {"filing": filing.reference})


def _prepare_document(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    document_request(filing=filing, actor=acting_user(request), token=data["token"] or None)
    messages.success(
        request, _("The draft is being prepared. It appears under Documents in a few seconds.")
    )


def _share_document(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    share = document_share(document=data["document"], days=data["days"], actor=acting_user(request))
    j = filing.office.jurisdiction  # the family reads the date in their country's zone
    messages.success(
        request,
        _(
            "The draft is on the family's status page until %(date)s. Tell them to sign in "
            "there with their code to download it."
        )
        % {"date": format_due(share.expires_at, zone_for(office_time_zone=None, jurisdiction=j))},
    )


def _withdraw_share(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    document_share_withdraw(share=data["share"], actor=acting_user(request))
    messages.success(request, _("The draft is no longer on the family's page."))


@dataclass(frozen=True)
class FilingAction:
    name: str
    label: Promise
    form_class: type[forms.Form]
    offered: Callable[[Filing], bool]  # whether to show the link; the service decides
    # Returns where to go next when not back to the filing's page.
    perform: Callable[[HttpRequest, Filing, dict[str, Any]], str | None]


ACTIONS = {
    action.name: action
    for action in (
        FilingAction(
            "sent", _("Mark sent"), SentForm, lambda f: f.status == Filing.Status.DRAFT, _mark_sent
        ),
        FilingAction(
            "court_limit",
            _("Filing limit"),
            CourtLimitForm,
            lambda f: f.kind == FilingKind.COURT_CLAIM and f.status == Filing.Status.DRAFT,
            _court_limit,
        ),
        FilingAction(
            "registration",
            _("Record registration"),
            RegistrationForm,
            lambda f: f.status in Filing.REGISTRABLE,
            _record_registration,
        ),
        FilingAction(
            "extension",
            _("Record extension"),
            ExtensionForm,
            lambda f: f.status in Filing.EXTENDABLE,
            _record_extension,
        ),
        FilingAction(
            "response",
            _("Record response"),
            ResponseForm,
            lambda f: f.status in Filing.ANSWERABLE,
            _record_response,
        ),
        FilingAction(
            "escalate", _("Escalate"), EscalateForm, lambda f: f.is_escalatable, _escalate
        ),
        FilingAction(
            "vvk",
            _("Board result"),
            VvkResultForm,
            lambda f: f.kind == FilingKind.VVK_REQUEST,
            _record_vvk_result,
        ),
        # Offered in the page's Documents box (with the template it would use), not up here.
        FilingAction(
            "document", _("Prepare a document"), DocumentForm, lambda f: False, _prepare_document
        ),
        # Both offered beside each draft in the Documents box.
        FilingAction(
            "share", _("Share with the family"), ShareForm, lambda f: False, _share_document
        ),
        FilingAction(
            "unshare",
            _("Withdraw from the family's page"),
            WithdrawShareForm,
            lambda f: False,
            _withdraw_share,
        ),
        # Offered in the page's "Proof and answers" box, at any status.
        FilingAction("upload", _("Add a scan"), UploadForm, lambda f: False, _upload),
        FilingAction(
            "discard",
            _("Discard draft"),
            DiscardForm,
            lambda f: f.status == Filing.Status.DRAFT,
            _discard,
        ),
    )
}


def action_url(filing: Filing, name: str) -> str:
    return reverse("admin:casework_filing_action", args=[filing.pk, name])


def offered_actions(filing: Filing) -> list[tuple[str, Promise]]:
    return [
        (action_url(filing, action.name), action.label)
        for action in ACTIONS.values()
        if action.offered(filing)
    ]
