"""One error shape for the whole API: {"code": ..., "message": ..., "fields": {...}}."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from casework.exceptions import CaseworkError, NotFoundError, PermissionDeniedError


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFoundError | Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, CaseworkError):
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        refused = isinstance(exc, PermissionDeniedError)
        return Response(
            body, status=status.HTTP_403_FORBIDDEN if refused else status.HTTP_400_BAD_REQUEST
        )
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's plain 500 page, which shows no detail in production
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {
            "code": "invalid",
            "message": _("Some fields are not valid."),
            "fields": fields,
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"code": code, "message": str(exc.detail), "fields": {}}
    return response
