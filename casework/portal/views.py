"""Public family pages: thin views over the portal forms and the intake/status services.

Every page that can show personal data is `never_cache` (Cache-Control: no-store) and every
view that receives it hides its POST from error reports. The status session is the only cookie
besides CSRF; it ends after STATUS_SESSION_IDLE_SECONDS without a request, or on "End session".
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, get_token
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import csrf
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.crypto import decrypt, encrypt
from casework.exceptions import (
    AccessLockedError,
    AccessRefusedError,
    NotFoundError,
    NotReadyError,
    RateLimitedError,
    RetryLaterError,
    SubmissionTokenReusedError,
)
from casework.models import Case, CrisisLine
from casework.portal.forms import (
    CollectiveConsentForm,
    IntakeForm,
    ReceiptConfirmForm,
    StatusAddForm,
    StatusLoginForm,
    form_stamp,
)
from casework.portal.upload_handlers import memory_uploads
from casework.selectors import (
    case_for_family,
    case_for_status_session,
    crisis_lines_for,
    document_share_for_family,
    document_shares_offered,
    family_messages,
    family_sent,
)
from casework.services import ratelimit
from casework.services.access_codes import access_code_format, status_access_check
from casework.services.document_shares import document_share_download
from casework.services.family import family_collective_consent_set, family_information_add
from casework.services.intake import (
    Receipt,
    intake_receipt_confirm,
    intake_receipt_get,
    intake_submit,
)
from casework.views import download_response

STATUS_SESSION_KEY = "casework.status"
STATUS_NOTICE_KEY = "casework.status_notice"
# Text a lapsed session would have lost, carried encrypted to the status page and shown once.
STATUS_KEPT_KEY = "casework.status_kept"
# Submission tokens are ours (secrets.token_urlsafe); anything else is not looked up at all.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@never_cache
@require_GET
def leave(request: HttpRequest) -> HttpResponse:
    """ "Leave quickly": end the status session and the CSRF cookie, then go to a neutral site.

    A family member who hears someone coming must not leave a case one Back press away: the
    status page is no-store, so going back asks us again and finds no session. A link cannot
    POST without JavaScript, so this is a GET; ending someone's session is all it can do.
    """
    _status_session_end(request)
    response = HttpResponseRedirect(settings.LEAVE_QUICKLY_URL)
    response.delete_cookie(
        settings.CSRF_COOKIE_NAME, path=settings.CSRF_COOKIE_PATH, samesite="Strict"
    )
    return response


# --- Intake -----------------------------------------------------------------------------------


@memory_uploads
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _blank_intake_page(request)
    if request.POST.get("switch_language"):
        # The language links on this page are buttons of the form: what was typed comes along
        # to the page in the other language, unchecked (files must be chosen again).
        return _intake_page(request, IntakeForm(initial=_typed_answers(request)))
    form = IntakeForm(request.POST, request.FILES)
    if not form.is_valid():
        return _intake_page(request, form)
    client = ratelimit.client_hash(request, form_token=form.token)
    refusal: tuple[str | None, str] | None = None
    if not ratelimit.allow("intake", client):
        refusal = (
            None,
            _(
                "Many forms have been sent from your connection in the last hour. Please "
                "wait a while and press Send again."
            ),
        )
    elif not ratelimit.allow("files", client, amount=len(form.cleaned_data["uploads"])):
        refusal = ("uploads", _files_budget_message())
    if refusal is not None:
        # A reload of a form already sent still gets its receipt; anything else waits.
        receipt = intake_receipt_get(token=form.token)
        if receipt is None:
            form.add_error(*refusal)
            return _intake_page(request, form)
    else:
        # A reload or a double tap comes back with the first receipt (see intake_submit).
        receipt = intake_submit(
            token=form.token,
            answers=form.answers(get_language()),
            uploads=form.cleaned_data["uploads"],
        )
    return _receipt_page(request, receipt)


def _files_budget_message() -> str:
    return _(
        "Many files have been sent from your connection today. Please send your text without "
        "the files now, and the files tomorrow."
    )


# The blank form and a fresh receipt are the same for every visitor but for a few values (the
# CSRF token, the signed start stamp; the reference, code and token), and rendering them is most
# of a request's time (thirty widgets on the form). Each is rendered once per language and
# process with placeholders, which are filled in per request. The values put in are letters,
# digits and dashes only, so they need no escaping.
_CSRF_SLOT = "csrf-slot-0f1e2d3c4b5a"
_STAMP_SLOT = "stamp-slot-5a4b3c2d1e0f"
_REFERENCE_SLOT = "reference-slot-1a2b3c"
_CODE_SLOT = "code-slot-4d5e6f"
_SUBMISSION_SLOT = "submission-slot-7a8b9c"
_rendered: dict[tuple[str, str], str] = {}


def _render_once(
    request: HttpRequest, name: str, build: Callable[[], HttpResponse], values: dict[str, str]
) -> HttpResponse:
    key = (name, get_language())
    page = _rendered.get(key)
    if page is None:
        page = build().content.decode()
        if not settings.DEBUG:  # templates may change under a developer's feet
            _rendered[key] = page
    for slot, value in {**values, _CSRF_SLOT: get_token(request)}.items():
        page = page.replace(slot, value)
    return HttpResponse(page)


def _typed_answers(request: HttpRequest) -> dict[str, Any]:
    """What the family typed into the intake form, to show again in a fresh form (no files,
    no honeypot value)."""
    initial: dict[str, Any] = {}
    for name, field in IntakeForm.base_fields.items():
        if name in ("uploads", "website"):
            continue
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = request.POST.getlist(name) if multiple else request.POST.get(name)
    return initial


def _blank_intake_page(request: HttpRequest) -> HttpResponse:
    # The form is built only when the page is rendered (once): copying its thirty fields costs
    # more than the rest of a GET.
    return _render_once(
        request,
        "intake",
        lambda: _intake_page(
            request, IntakeForm(initial={"started": _STAMP_SLOT}), csrf_token=_CSRF_SLOT
        ),
        {_STAMP_SLOT: form_stamp()},
    )


def _intake_page(
    request: HttpRequest,
    form: IntakeForm,
    *,
    notice: str = "",
    status: int = 200,
    csrf_token: str | None = None,
) -> HttpResponse:
    if form.is_bound:
        form.data = form.data_for_redisplay()
    context: dict[str, Any] = {
        "form": form,
        "notice": notice,
        "files_sent": bool(request.FILES),
        "retention_months": settings.RETENTION_MONTHS_AFTER_CLOSE,
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token  # above the context processor's, which it replaces
    return render(request, "portal/intake.html", context, status=status)


def _receipt_page(
    request: HttpRequest, receipt: Receipt, form: ReceiptConfirmForm | None = None
) -> HttpResponse:
    # A receipt with crisis lines is rendered for its reader: the lines depend on the case.
    if (
        form is None
        and receipt.access_code
        and not receipt.repeated
        and not receipt.confirmed
        and not receipt.urgent_risk
    ):
        slots = Receipt(reference=_REFERENCE_SLOT, token=_SUBMISSION_SLOT, access_code=_CODE_SLOT)
        return _render_once(
            request,
            "receipt",
            lambda: _receipt_render(request, slots, _CODE_SLOT, csrf_token=_CSRF_SLOT),
            {
                _REFERENCE_SLOT: receipt.reference,
                _CODE_SLOT: access_code_format(receipt.access_code),
                _SUBMISSION_SLOT: receipt.token,
            },
        )
    code = access_code_format(receipt.access_code) if receipt.access_code else ""
    return _receipt_render(request, receipt, code, form=form)


def _receipt_render(
    request: HttpRequest,
    receipt: Receipt,
    code: str,
    *,
    form: ReceiptConfirmForm | None = None,
    csrf_token: str | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "receipt": receipt,
        "access_code": code,
        "form": form or ReceiptConfirmForm(initial={"token": receipt.token}),
        "crisis_lines": _crisis_lines(receipt.urgent_risk, receipt.jurisdiction),
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return render(request, "portal/receipt.html", context)


@sensitive_post_parameters()
@never_cache
@require_POST
def intake_confirm(request: HttpRequest) -> HttpResponse:
    form = ReceiptConfirmForm(request.POST)
    token = str(request.POST.get("token", ""))
    if not form.is_valid():
        receipt = intake_receipt_get(token=token) if _TOKEN.fullmatch(token) else None
        if receipt is None:
            return redirect("portal:intake")
        return _receipt_page(request, receipt, form)
    confirmed = intake_receipt_confirm(token=form.cleaned_data["token"])
    if confirmed is None:
        return redirect("portal:intake")
    return render(request, "portal/intake_done.html", {"receipt": confirmed})


# --- Status -----------------------------------------------------------------------------------


def _idle_minutes() -> int:
    return max(1, settings.STATUS_SESSION_IDLE_SECONDS // 60)


def _status_session_case(request: HttpRequest) -> tuple[Case | None, bool]:
    """The case this browser's status session opened, and whether a session just ended."""
    data = request.session.get(STATUS_SESSION_KEY)
    if not isinstance(data, dict):
        return None, False
    now = time.time()
    case = case_for_status_session(pk=int(data.get("case") or 0))
    issued = case.access_code_issued_at.isoformat() if case and case.access_code_issued_at else None
    # A reissued or revoked code ends every session opened with the old one.
    if now - float(data.get("seen", 0)) > settings.STATUS_SESSION_IDLE_SECONDS or (
        case is None or issued != data.get("issued")
    ):
        _status_session_end(request)
        return None, True
    data["seen"] = now
    request.session[STATUS_SESSION_KEY] = data  # modified: the cookie's idle expiry restarts
    return case_for_family(pk=case.pk), False


def _status_session_start(request: HttpRequest, case: Case) -> None:
    request.session.cycle_key()  # never reuse a session id that existed before the code
    request.session[STATUS_SESSION_KEY] = {
        "case": case.pk,
        "issued": case.access_code_issued_at.isoformat() if case.access_code_issued_at else None,
        "seen": time.time(),
    }
    # The cookie dies with the browser; the idle limit is kept here on the server ("seen").
    request.session.set_expiry(0)


def _status_session_end(request: HttpRequest) -> None:
    for key in (STATUS_SESSION_KEY, STATUS_NOTICE_KEY, STATUS_KEPT_KEY):
        request.session.pop(key, None)
    if not [key for key in request.session.keys() if key != "_session_expiry"]:
        request.session.flush()  # nothing else in it (no staff sign-in): row and cookie go


def _login_page(
    request: HttpRequest,
    form: StatusLoginForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form or StatusLoginForm(),
        "notice": notice,
        "idle_minutes": _idle_minutes(),
        # What the family was writing when the session ended rides along with the sign-in.
        "kept_text": _kept_text(request),
    }
    return render(request, "portal/status_login.html", context, status=status)


def _kept_text(request: HttpRequest) -> str:
    """Text typed for the case that a lapsed session would otherwise lose: from the addition
    form ("text") or carried through the sign-in form ("kept_text"). Never stored anywhere."""
    if request.method != "POST":
        return ""
    # Whole, even if too long (the request size is bounded by Django): the form says so later.
    return str(request.POST.get("kept_text") or request.POST.get("text") or "")


def _status_page(
    request: HttpRequest, case: Case, add_form: StatusAddForm | None = None, notice: str = ""
) -> HttpResponse:
    applicant = case.applicant
    context = {
        "case": case,
        "family_messages": list(family_messages(case=case)[:50]),
        "family_sent": family_sent(case=case),
        "add_form": add_form or StatusAddForm(initial={"token": secrets.token_urlsafe(24)}),
        "files_sent": bool(request.FILES),
        "has_applicant": applicant is not None,
        "consent_collective": bool(applicant and applicant.consent_collective),
        "notice": notice or request.session.pop(STATUS_NOTICE_KEY, ""),
        "idle_minutes": _idle_minutes(),
        "crisis_lines": _crisis_lines(case.suicide_risk, case.serviceman.jurisdiction),
        "shares": list(document_shares_offered(case=case)),
    }
    return render(request, "portal/status.html", context)


def _crisis_lines(urgent_risk: bool, jurisdiction: str) -> list[CrisisLine]:
    """The crisis lines to show a family who ticked the urgent-risk box; none otherwise."""
    return list(crisis_lines_for(jurisdiction=jurisdiction)) if urgent_risk else []


def _session_ended_notice() -> str:
    return _("Your session has ended. To continue, enter the reference and the code again.")


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _status_login(request)
    case, ended = _status_session_case(request)
    if case is None:
        return _login_page(request, notice=_session_ended_notice() if ended else "")
    kept = request.session.pop(STATUS_KEPT_KEY, None)
    if isinstance(kept, str):
        return _status_page(request, case, _add_form_with(decrypt(kept)), _kept_text_notice())
    return _status_page(request, case)


def _status_login(request: HttpRequest) -> HttpResponse:
    form = StatusLoginForm(request.POST)
    if not form.is_valid():
        return _login_page(request, form)
    try:
        case = status_access_check(
            reference=form.cleaned_data["reference"],
            code=form.cleaned_data["code"],
            client=ratelimit.client_hash(request, reference=form.cleaned_data["reference"]),
        )
    except AccessRefusedError as exc:
        left = exc.fields.get("attempts_left")
        form.add_error(None, exc.message)
        if left:
            form.add_error(
                None, _("Attempts left from this device: %(left)d") % {"left": int(left)}
            )
        return _login_page(request, form)
    except (AccessLockedError, RateLimitedError) as exc:
        form.add_error(None, exc.message)
        return _login_page(request, form, status=429)
    except RetryLaterError as exc:
        # Everything typed comes back (the code too): pressing the button again is enough.
        form.add_error(None, exc.message)
        response = _login_page(request, form, status=429)
        response["Retry-After"] = str(exc.fields["retry_after"])
        return response
    _status_session_start(request, case)
    kept = _kept_text(request)
    if kept:
        # To the status page through the session, encrypted (session rows are not), so that
        # this POST answers with a redirect and never stays in the history to be sent again.
        request.session[STATUS_KEPT_KEY] = encrypt(kept)
    return HttpResponseRedirect(reverse("portal:status"), status=303)


def _add_form_with(text: str) -> StatusAddForm:
    return StatusAddForm(initial={"token": secrets.token_urlsafe(24), "text": text})


def _kept_text_notice() -> str:
    return _(
        "What you wrote is below and has not been sent yet. Please check it and press Send. "
        "Files have to be chosen again."
    )


@memory_uploads
@sensitive_post_parameters()
@never_cache
@require_POST
def status_add(request: HttpRequest) -> HttpResponse:
    case, ended = _status_session_case(request)
    if case is None:
        return _login_page(request, notice=_session_ended_notice() if ended else "")
    form = StatusAddForm(request.POST, request.FILES)
    if not form.is_valid():
        return _status_page(request, case, form)
    client = ratelimit.client_hash(request, reference=case.reference)
    if not ratelimit.allow("status_add", client):
        form.add_error(None, _("Many additions were sent in the last hour. Please wait a while."))
        return _status_page(request, case, form)
    if not ratelimit.allow("files", client, amount=len(form.cleaned_data["uploads"])):
        form.add_error("uploads", _files_budget_message())
        return _status_page(request, case, form)
    # The form's one-time token (unique in the database): a double tap or a reload adds once.
    try:
        family_information_add(
            case=case,
            text=form.cleaned_data["text"],
            uploads=form.cleaned_data["uploads"],
            token=form.cleaned_data["token"],
        )
    except SubmissionTokenReusedError:
        # A reload after the cases were merged: it was received, under the other case.
        pass
    request.session[STATUS_NOTICE_KEY] = _("Thank you. We have received it.")
    return HttpResponseRedirect(reverse("portal:status"), status=303)


@never_cache
@require_POST
def status_consent(request: HttpRequest) -> HttpResponse:
    case, ended = _status_session_case(request)
    if case is None:
        return _login_page(request, notice=_session_ended_notice() if ended else "")
    form = CollectiveConsentForm(request.POST)
    agrees = form.is_valid() and form.cleaned_data["agrees"]
    family_collective_consent_set(case=case, agrees=agrees)
    request.session[STATUS_NOTICE_KEY] = (
        _("Thank you. Your agreement is recorded.")
        if agrees
        else _("Thank you. Your agreement is withdrawn.")
    )
    return HttpResponseRedirect(reverse("portal:status"), status=303)


@never_cache
@require_GET
def status_document(request: HttpRequest, public_id: UUID, kind: str) -> HttpResponse:
    """A draft the caseworker shared, as .docx or PDF, for the family of this session only;
    audited. Another family's, a withdrawn or an expired one is the same 404 as none."""
    if kind not in ("docx", "pdf"):
        raise Http404
    case, _ended = _status_session_case(request)
    if case is None:
        return redirect("portal:status")
    try:
        share = document_share_for_family(case=case, public_id=str(public_id))
        file = document_share_download(share=share, pdf=kind == "pdf")
    except NotFoundError as exc:
        raise Http404 from exc
    except NotReadyError as exc:
        request.session[STATUS_NOTICE_KEY] = exc.message
        return HttpResponseRedirect(reverse("portal:status"), status=303)
    return download_response(file)


@never_cache
@require_POST
def status_end(request: HttpRequest) -> HttpResponse:
    _status_session_end(request)
    return _login_page(request, notice=_status_ended_notice())


def _status_ended_notice() -> str:
    return _("You have left the status page. The session in this browser is closed.")


# --- CSRF failure: keep the family's input ----------------------------------------------------


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A failed CSRF check on a family page (the cookie died with the browser session) shows
    the form again with everything typed, instead of a technical 403 that loses it all."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is None or match.namespace != "portal":
        return csrf.csrf_failure(request, reason)
    name = match.url_name or ""
    # Only our own form whose cookie died is shown again with what it carried. Another site
    # can make a family's browser post to us too: that fails the origin check (or says so in
    # Sec-Fetch-Site), and its words must never appear as if the family had typed them.
    own_form = request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") in ("same-origin", "none")
    if not own_form or not (reason == REASON_NO_CSRF_COOKIE or reason.startswith("CSRF token")):
        name = "status_end" if name == "status_end" else ""  # leaving still works
    response = _portal_csrf_failure(request, name)
    add_never_cache_headers(response)  # it shows what was typed, like the page it replaces
    return response


def _portal_csrf_failure(request: HttpRequest, name: str) -> HttpResponse:
    notice = _(
        "For your safety, the form has to be sent once more. Everything you typed is still "
        "here: please check it and press Send again."
    )
    if request.method != "POST":
        name = ""
    if name == "intake":
        typed = IntakeForm(initial=_typed_answers(request))
        return _intake_page(request, typed, notice=notice, status=403)
    if name == "status":  # signing in: the reference is kept, the code typed again
        login = StatusLoginForm(initial={"reference": request.POST.get("reference", "")})
        return _login_page(request, login, notice=notice, status=403)
    if name == "status_add":
        case, _ended = _status_session_case(request)
        if case is None:
            return _login_page(request, notice=_session_ended_notice(), status=403)
        form_text = _kept_text(request)
        return _status_page(request, case, _add_form_with(form_text), notice=_kept_text_notice())
    if name == "status_end":  # leaving must work whatever state the page was in
        _status_session_end(request)
        return _login_page(request, notice=_status_ended_notice())
    message = _("The page was open for a long time. Please go back and try again.")
    back = reverse("portal:status") if name.startswith("status") else None
    return render(
        request, "portal/problem.html", {"message": message, "back_url": back}, status=403
    )
