"""Signal receivers for sign-in events: each hands straight to an audit service.

Connected in `CaseworkConfig.ready`. Django sends the request too; nothing is taken from it,
so no address can reach the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_otp.forms import otp_verification_failed

from casework.auth import login_failure_count, login_failures_clear
from casework.services.accounts import login_failure_record, login_record, logout_record
from casework.services.staff import staff_session_record


@receiver(user_logged_in, dispatch_uid="casework_audit_login")
def audit_login(sender: Any, user: User, request: Any = None, **kwargs: Any) -> None:
    login_record(user=user)
    login_failures_clear(user.get_username())
    session = getattr(request, "session", None)
    staff_session_record(user=user, session_key=getattr(session, "session_key", None))


@receiver(user_login_failed, dispatch_uid="casework_audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # `credentials` arrive with the password already masked; only the username is used.
    username = str(credentials.get("username", ""))
    login_failure_count(username)
    login_failure_record(username=username, reason="password")


@receiver(otp_verification_failed, dispatch_uid="casework_audit_second_factor_failed")
def audit_second_factor_failed(sender: Any, user: User, **kwargs: Any) -> None:
    # The password was right: someone holds it. Guessing codes counts towards the lockout too.
    login_failure_count(user.get_username())
    login_failure_record(username=user.get_username(), user=user, reason="second_factor")


@receiver(user_logged_out, dispatch_uid="casework_audit_logout")
def audit_logout(sender: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        logout_record(user=user)
