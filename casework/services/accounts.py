"""Staff sign-in: password and second factor checked together, and its audit (who and when, by
username; never an address or a password)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables
from django_otp.models import Device

from casework.auth import (
    sign_in_client_limited,
    sign_in_failure_count,
    sign_in_failures_clear,
    sign_in_locked,
)
from casework.exceptions import CaseworkError, RateLimitedError
from casework.models import AuditEvent, AuthenticatorDevice, BackupCodeDevice, StaffUser
from casework.services import ratelimit
from casework.services.audit import audit_record

# A username field can receive anything pasted into it; keep no more than a username's length.
USERNAME_LENGTH = 150
# What an authenticator app shows; backup codes are 8 letters and digits (django-otp's).
APP_CODE_LENGTH = 6


class SignInRefusedError(CaseworkError):
    """Wrong password, wrong or missing code, or a locked account: which one is never said."""

    code = "sign_in_refused"


def second_factor_verify(*, user: User, code: str) -> Device | None:
    """The account's own confirmed device that accepts `code` (used up), or None.

    The device is chosen here, never by the form: six digits are for the newest confirmed
    authenticator app, anything else is a backup code. Trying every device instead would count
    a failure against each one that did not match (django-otp's throttling).
    """
    token = "".join(code.split()).lower()
    if not token:
        return None
    is_app_code = token.isdigit() and len(token) == APP_CODE_LENGTH
    model: type[AuthenticatorDevice] | type[BackupCodeDevice] = (
        AuthenticatorDevice if is_app_code else BackupCodeDevice
    )
    with transaction.atomic():  # the device row is locked: a code is accepted once
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("-pk")
            .first()
        )
        if device is not None and device.verify_token(token):
            return device
    return None


@sensitive_variables("password", "code")
def staff_sign_in(*, request: HttpRequest, username: str, password: str, code: str) -> StaffUser:
    """Check password and code together; every refusal is one SignInRefusedError and a failure.

    A right password with a missing or wrong code is refused exactly like a wrong password, so
    the answer never confirms a guessed password. Raises RateLimitedError once this client has
    failed too often (for any usernames).
    """
    client = ratelimit.client_hash(request)
    if sign_in_client_limited(client):
        minutes = max(1, settings.STAFF_LOGIN_WINDOW_SECONDS // 60)
        raise RateLimitedError(
            ngettext(
                "Too many failed sign-ins from this connection. Try again in %(minutes)d minute.",
                "Too many failed sign-ins from this connection. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    found = authenticate(request, username=username, password=password)  # always one hash
    user = found if isinstance(found, StaffUser) else None  # our backend's class
    locked = sign_in_locked(username, client)
    device = None
    if user is not None and user.is_staff and not locked:
        device = second_factor_verify(user=user, code=code)
    if user is None or device is None:
        if locked:
            reason = "locked"
        elif user is None:
            reason = "password"
        else:
            reason = "second_factor"
        sign_in_failure_count(username, client, locked=locked)
        # The audit names the account when the password was right: the auditor should know
        # that someone holds it. Nothing of this reaches the person signing in.
        login_failure_record(
            username=username,
            user=user if reason == "second_factor" else None,
            reason=reason,
        )
        raise SignInRefusedError(_("The username, password or code is not right."))
    sign_in_failures_clear(username, client)
    user.otp_device = device  # type: ignore[attr-defined]  # django-otp keeps it at login()
    return user


def login_record(*, user: User) -> AuditEvent:
    """Record a completed sign-in (password and second factor)."""
    return audit_record(
        actor=user, action=AuditEvent.Action.LOGIN, reference=user.get_username()[:40]
    )


def login_failure_record(*, username: str, user: User | None = None, reason: str) -> AuditEvent:
    """Record a refused sign-in: `reason` is "password", "second_factor" or "locked".

    A username that matches no account is not kept: people paste passwords or their own names
    into the wrong field, and neither belongs in the audit log.
    """
    username = (username or "")[:USERNAME_LENGTH]
    if user is None and not User.objects.filter(username=username).exists():
        username = "(unknown)"
    return audit_record(
        actor=user,
        action=AuditEvent.Action.LOGIN_FAILED,
        reference=username[:40],
        detail={"username": username, "reason": reason},
    )


def logout_record(*, user: User | AnonymousUser | None) -> AuditEvent:
    """Record a sign-out."""
    return audit_record(actor=user, action=AuditEvent.Action.LOGOUT)
