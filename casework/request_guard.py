"""What a request must look like before anything reads it: a body in UTF-8 (or no charset said)
and no NUL in its address. Browsers send nothing else; anything else is refused with a 400.

Django applies a request's charset while it builds the request object, before any middleware:
`charset=base64` made it decode the query string with a codec that is not one for text, a
LookupError outside Django's own error handling (gunicorn answered 500 and logged the raw URI
with its query string). So the request class used by config/wsgi.py never applies a charset
other than UTF-8, and MalformedRequestMiddleware (first after SecurityMiddleware) refuses the
request before CSRF, sessions or any view read it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

# Exactly what Django itself accepts for a form (its check compares with "utf-8" too).
_UTF8 = "utf-8"


def charset_is_unreadable(content_type: str) -> bool:
    """True when a Content-Type names a charset other than UTF-8 (no charset is fine)."""
    _kind, parameters = parse_header_parameters(content_type or "")
    charset = parameters.get("charset")
    return charset is not None and charset.strip().lower() != _UTF8


def address_has_nul(request: HttpRequest) -> bool:
    """NUL in the path or the query string: PostgreSQL refuses it in any text value, so a
    filter or a lookup carrying one would end in a 500; no link of ours has one."""
    query = str(request.META.get("QUERY_STRING", ""))
    return "\x00" in request.path_info or "\x00" in unquote(query)


class CaseworkWSGIRequest(WSGIRequest):
    # Django's own (undocumented, so not in the type stubs) step that applies the charset.
    def _set_content_type_params(self, meta: Any) -> None:  # type: ignore[misc]
        if charset_is_unreadable(str(meta.get("CONTENT_TYPE", ""))):
            # Never applied (the middleware refuses the request): kept as said, but the
            # request keeps decoding as UTF-8, so building it cannot fail.
            self.content_type, self.content_params = parse_header_parameters(
                meta.get("CONTENT_TYPE", "")
            )
            return
        super()._set_content_type_params(meta)  # type: ignore[misc]


class CaseworkWSGIHandler(WSGIHandler):
    request_class = CaseworkWSGIRequest


class MalformedRequestMiddleware:
    """400 for a body in another charset or a NUL in the address, before anything reads them.

    The answer is plain text in the page's language (the API's error shape under /api/); it
    says only that the request could not be read and repeats nothing from it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if charset_is_unreadable(str(request.META.get("CONTENT_TYPE", ""))):
            return _unreadable(request, form=True)
        if address_has_nul(request):
            return _unreadable(request, form=False)
        return self.get_response(request)


def _unreadable(request: HttpRequest, *, form: bool) -> HttpResponse:
    # LocaleMiddleware has not run yet: the language comes from the path (/ru/ …) or the
    # browser, as it would there.
    language = translation.get_language_from_request(request, check_path=True)
    with translation.override(language):
        if form:
            message = _("This form could not be read.")
        else:
            message = _("This address could not be read.")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "unreadable", "message": message, "fields": {}}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
