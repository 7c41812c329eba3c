"""Application errors: services raise these; the admin, API and portal render their message."""

from __future__ import annotations

from typing import Any


class CaseworkError(Exception):
    code = "error"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFoundError(CaseworkError):
    """Missing or not visible to this user: both look the same from outside."""

    code = "not_found"


class MergeError(CaseworkError):
    code = "merge_refused"


class PermissionDeniedError(CaseworkError):
    code = "permission_denied"
