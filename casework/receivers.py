"""Signal receivers for sign-in events: each hands straight to an audit service.

Connected in `CaseworkConfig.ready`. Django sends the request too; nothing is taken from it,
so no address can reach the audit trail. Failures are counted and audited by the sign-in
service itself (casework.services.accounts.staff_sign_in), not here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from casework.models import StaffUser
from casework.services.accounts import login_record, logout_record


@receiver(user_logged_in, dispatch_uid="casework_audit_login")
def audit_login(sender: Any, user: User, request: Any = None, **kwargs: Any) -> None:
    login_record(user=user)
    session = getattr(request, "session", None)
    if session is not None and not isinstance(user, StaffUser):
        # login() was handed a plain User (Client.force_login, a shell): store the hash the
        # backend's StaffUser will be checked against, or the session would end at once.
        session[HASH_SESSION_KEY] = StaffUser.objects.get(pk=user.pk).get_session_auth_hash()


@receiver(user_logged_out, dispatch_uid="casework_audit_logout")
def audit_logout(sender: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        logout_record(user=user)
