"""Audit of staff sign-ins: who and when, by username; never an address or a password."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from casework.models import AuditEvent
from casework.services.audit import audit_record

# A username field can receive anything pasted into it; keep no more than a username's length.
USERNAME_LENGTH = 150


def login_record(*, user: User) -> AuditEvent:
    """Record a completed sign-in (password and second factor)."""
    return audit_record(
        actor=user, action=AuditEvent.Action.LOGIN, reference=user.get_username()[:40]
    )


def login_failure_record(*, username: str, user: User | None = None, reason: str) -> AuditEvent:
    """Record a refused sign-in: `reason` is "password" or "second_factor".

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
