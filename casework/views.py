"""Views that belong to neither the portal nor the admin site's own pages.

The downloads (uploads, document drafts) are staff-only and mounted under /admin/; they live
here until the admin package takes them over.
"""

from typing import Protocol
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp.decorators import otp_required

from casework.exceptions import NotFoundError, NotReadyError
from casework.health import OK, health_state
from casework.selectors import attachment_get_for_user, document_get_for_user
from casework.services.attachments import attachment_download
from casework.services.documents import document_download


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    # One word: which part failed is for the operator's logs, not for a visitor. "degraded" is
    # not OK either (503): a stopped beat marks no clock missed and sends no reminder.
    state = health_state()
    return HttpResponse(state, status=200 if state == OK else 503, content_type="text/plain")


@never_cache
@require_GET
@otp_required  # signed in with a verified second factor, else to the admin sign-in
def attachment_download_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The cleaned copy of an upload, or the original with ?version=original; both audited."""
    if not request.user.is_staff:
        raise Http404
    try:
        attachment = attachment_get_for_user(user=request.user, public_id=str(public_id))
        file = attachment_download(
            attachment=attachment,
            actor=request.user,  # type: ignore[arg-type]  # otp_required: a signed-in User
            original=request.GET.get("version") == "original",
        )
    except NotFoundError as exc:
        raise Http404 from exc
    except NotReadyError as exc:
        return _not_ready(exc)
    return download_response(file)


@never_cache
@require_GET
@otp_required
def document_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A ready document draft (.docx) of a filing the user may see; audited."""
    if not request.user.is_staff:
        raise Http404
    try:
        document = document_get_for_user(user=request.user, pk=pk)
        file = document_download(document=document, actor=request.user)  # type: ignore[arg-type]
    except NotFoundError as exc:
        raise Http404 from exc
    except NotReadyError as exc:
        return _not_ready(exc)
    return download_response(file)


def _not_ready(exc: NotReadyError) -> HttpResponse:
    return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")


class Downloadable(Protocol):
    @property
    def data(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def filename(self) -> str: ...


def download_response(file: Downloadable) -> HttpResponse:
    """A file for the browser to save, never to keep in a cache: every download of the project
    (uploads, drafts, shares, exports, case files) answers through here."""
    response = HttpResponse(file.data, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Content-Length"] = str(len(file.data))
    patch_cache_control(response, private=True, no_store=True)
    return response
