"""Sign-in lockout by username: after too many failures the account refuses every attempt for
a while. Counted by a keyed hash of the username, never by address (ratelimit counters)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from casework.services import ratelimit

SCOPE = "staff_login"


def _key(username: str) -> str:
    return (username or "").strip().casefold()


def login_locked(username: str) -> bool:
    return ratelimit.count(SCOPE, _key(username)) >= settings.STAFF_LOGIN_FAILURES


def login_failure_count(username: str) -> int:
    """Count one failure (wrong password or wrong second-factor code)."""
    return ratelimit.hit(SCOPE, _key(username), window=settings.STAFF_LOGIN_WINDOW_SECONDS)


def login_failures_clear(username: str) -> None:
    ratelimit.reset(SCOPE, _key(username))


class LockoutModelBackend(ModelBackend):
    """Django's backend, refusing a locked username before the password is even checked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is not None and login_locked(username):
            # PermissionDenied stops Django trying other backends and sends user_login_failed;
            # the form shows its usual message, so a locked account looks like a wrong password.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
