"""Families' access codes and the check a family passes on the status page.

A code is 16 digits: 15 random and a Luhn check digit, so a mistyped digit is caught by the form
and costs no attempt. Only a keyed hash (ACCESS_CODE_KEY) is stored. Wrong codes lock a
(reference, client) pair and cap each client per day; per reference there is only a growing,
bounded spacing between checks ("next attempt allowed at T", answered at once, never slept
in a worker), so no stranger can lock a family out of its own case.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework import permissions
from casework.exceptions import (
    AccessLockedError,
    AccessRefusedError,
    RateLimitedError,
    RetryLaterError,
)
from casework.models import AuditEvent, Case, IntakeSubmission
from casework.services import ratelimit
from casework.services.audit import audit_record

CODE_LENGTH = 16
# Separators people type or paste between groups of digits.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.]")
_CODE = re.compile(r"[0-9]{16}")
# Compared against when a reference has no code, so a missing case takes as long as a wrong code.
_NO_CODE = secrets.token_hex(32)
_DAY = 86400


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended on the right
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def access_code_normalise(text: str) -> str:
    """Digits only: spaces and dashes go, full-width digits become ASCII."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def access_code_is_well_formed(code: str) -> bool:
    """16 ASCII digits whose last is the Luhn check digit of the others."""
    return bool(_CODE.fullmatch(code)) and luhn_check_digit(code[:-1]) == code[-1]


def access_code_new() -> str:
    payload = f"{secrets.randbelow(10 ** (CODE_LENGTH - 1)):0{CODE_LENGTH - 1}d}"
    return payload + luhn_check_digit(payload)


def access_code_format(code: str) -> str:
    """1234 5678 9012 3456: groups of four are easier to copy by hand and read aloud."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def access_code_hash(code: str) -> str:
    key = str(settings.ACCESS_CODE_KEY).encode()
    return hmac.new(key, f"casework.access-code\x00{code}".encode(), hashlib.sha256).hexdigest()


# --- Coordinators: revoke and reissue ---------------------------------------------------------


def access_code_reissue(*, case: Case, actor: User) -> str:
    """Give the case a new code and return it (shown once); the old code and its sessions end."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.ACCESS_CODE_MANAGE)
    code = access_code_new()
    _code_replace(case=case, actor=actor, code_hash=access_code_hash(code), what="reissued")
    return code


def access_code_revoke(*, case: Case, actor: User) -> Case:
    """Withdraw the case's code: nobody can open its status page until a new one is issued."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.ACCESS_CODE_MANAGE)
    return _code_replace(case=case, actor=actor, code_hash="", what="revoked")


@transaction.atomic
def _code_replace(*, case: Case, actor: User, code_hash: str, what: str) -> Case:
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    case.access_code_hash = code_hash
    case.access_code_issued_at = timezone.now() if code_hash else None
    case.save(update_fields=["access_code_hash", "access_code_issued_at", "updated_at"])
    # A receipt not yet confirmed must not show the old code again.
    IntakeSubmission.objects.filter(case=case).update(access_code="")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=case,
        detail={"fields": ["access_code"], "access_code": what},
    )
    return case


# --- Families: the status-page check ----------------------------------------------------------


def status_delay_seconds(reference: str) -> float:
    """How far apart attempts on this reference are checked, given its recent failures from
    anyone (0.0: no spacing)."""
    extra = (
        ratelimit.count("status_fail_reference", reference) - settings.STATUS_DELAY_FREE_FAILURES
    )
    if extra <= 0:
        return 0.0
    return float(min(settings.STATUS_DELAY_MAX_SECONDS, 0.25 * 2 ** min(extra - 1, 16)))


def status_access_check(*, reference: str, code: str, client: str) -> Case:
    """The case these credentials open, or AccessRefused/AccessLocked/RateLimited/RetryLater.

    `reference` and `code` come normalised, the code well formed (the form checks the Luhn digit).
    A missing case and a wrong code take the same path and give the same answer. A correct code
    is never locked out by other clients' failures: the per-reference measure only spaces the
    checks out, and an attempt before its turn is told at once when to try again (RetryLater),
    unchecked and uncounted. Nothing here ever sleeps: a sleeping sync worker is a worker
    anyone could take away from the whole site with a few requests.
    """
    if not ratelimit.allow("status_attempt", client):
        raise RateLimitedError(_("Too many attempts from this connection. Please wait a while."))
    lock_window = settings.STATUS_LOCK_SECONDS
    if ratelimit.count("status_fail_pair", reference, client) >= settings.STATUS_LOCK_FAILURES:
        raise _locked()
    if ratelimit.count("status_fail_client", client) >= settings.STATUS_CLIENT_FAILURES:
        raise _locked_for_the_day()
    delay = status_delay_seconds(reference)
    if delay:
        # Applied to right codes too (which are not known yet): one check per `delay` seconds.
        left = ratelimit.turn("status_turn_reference", reference, seconds=delay)
        if left:
            raise _retry_later(left)
    case = (
        Case.objects.filter(reference=reference)
        .only("pk", "reference", "access_code_hash", "access_code_issued_at", "merged_into")
        .first()
    )
    stored = case.access_code_hash if case is not None and case.access_code_hash else _NO_CODE
    if case is not None and hmac.compare_digest(stored, access_code_hash(code)):
        ratelimit.reset("status_fail_pair", reference, client)
        audit_record(actor=None, action=AuditEvent.Action.LOGIN, obj=case, detail={"by": "family"})
        return case
    failures = ratelimit.hit("status_fail_pair", reference, client, window=lock_window)
    ratelimit.hit("status_fail_client", client, window=_DAY)
    ratelimit.hit("status_fail_reference", reference, window=lock_window)
    left = settings.STATUS_LOCK_FAILURES - failures
    if left <= 0:
        raise _locked()
    raise AccessRefusedError(
        _("The reference or the access code is not right. Please check both."),
        fields={"attempts_left": left},
    )


def _retry_later(left: float) -> RetryLaterError:
    seconds = max(1, math.ceil(left))
    return RetryLaterError(
        ngettext(
            "Too many attempts just now. Please try again in %(seconds)d second.",
            "Too many attempts just now. Please try again in %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds},
        fields={"retry_after": seconds},
    )


def _locked() -> AccessLockedError:
    """This client and this reference, for STATUS_LOCK_SECONDS (an hour)."""
    return AccessLockedError(
        _(
            "Too many wrong attempts from this device. For your safety, please try again in an "
            "hour. If you have lost the code, write to us through the form and give your case "
            "number in “I already have a case number”: we add it to your case, not a new one."
        )
    )


def _locked_for_the_day() -> AccessLockedError:
    """This client, for any reference: its counter runs for a day and its hash changes daily."""
    return AccessLockedError(
        _(
            "Too many wrong attempts from this device today. For your safety, please try again "
            "tomorrow. If you have lost the code, write to us through the form and give your case "
            "number in “I already have a case number”: we add it to your case, not a new one."
        )
    )
