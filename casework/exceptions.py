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


class TransitionError(CaseworkError):
    """A filing cannot move from its current state to the one asked for."""

    code = "invalid_transition"


class RuleError(CaseworkError):
    """The legal rules (data) do not allow this, or no rule applies."""

    code = "rule"


class RateLimitedError(CaseworkError):
    """Too many requests from one client (a hashed address) in a window."""

    code = "rate_limited"


class RetryLaterError(CaseworkError):
    """Not now: the next attempt is allowed in `fields["retry_after"]` seconds."""

    code = "retry_later"


class AccessRefusedError(CaseworkError):
    """A wrong reference or access code: which of the two is never said."""

    code = "access_refused"


class AccessLockedError(CaseworkError):
    """Too many wrong codes from this client; the family's own device is not affected."""

    code = "access_locked"


class NotReadyError(CaseworkError):
    """The thing exists but is not ready yet (e.g. an upload still being cleaned)."""

    code = "not_ready"


class SubmissionTokenReusedError(CaseworkError):
    """A one-time form token or API idempotency key that already created something else."""

    code = "token_reused"


class OpenClocksError(CaseworkError):
    """Closing would leave open or missed clocks behind: cancel them with a reason, or keep the
    case open. `fields["clocks"]` is how many."""

    code = "open_clocks"


class LegalHoldError(CaseworkError):
    """The case is on legal hold (nothing erases it), or a hold was asked for without a reason."""

    code = "legal_hold"


class SheetImportError(CaseworkError):
    """An import that cannot go on: the sheet is unreadable, has errors, or is finished."""

    code = "import_refused"


class ExportError(CaseworkError):
    """An export that cannot be made as asked (nothing is produced)."""

    code = "export_refused"
