"""Staff authentication: the backend (one password hash per attempt, whoever is asked for; the
session-aware user class) and the sign-in failure counters.

Failures are counted three ways, each by a keyed hash (ratelimit counters), never by address:
- per username and client (STAFF_LOGIN_FAILURES): that client can no longer sign in as that
  person for the rest of the window, even with the right password and code;
- per client (STAFF_LOGIN_CLIENT_FAILURES, any usernames): the client is refused outright;
- per username from anywhere (STAFF_LOGIN_ACCOUNT_FAILURES): guessing spread over many
  addresses locks the account. It is more than one client can reach in a window (at most two
  per-pair windows overlap one account window), so nobody can keep a colleague locked out from
  one address. A refused attempt of a locked pair does not add to it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from casework.models import StaffUser
from casework.services import ratelimit

PAIR_SCOPE = "staff_login_pair"
CLIENT_SCOPE = "staff_login_client"
ACCOUNT_SCOPE = "staff_login_account"


def _key(username: str) -> str:
    return (username or "").strip().casefold()


def sign_in_client_limited(client: str) -> bool:
    return ratelimit.count(CLIENT_SCOPE, client) >= settings.STAFF_LOGIN_CLIENT_FAILURES


def sign_in_locked(username: str, client: str) -> bool:
    """True once this client, or everyone together, failed too often for this username."""
    return (
        ratelimit.count(PAIR_SCOPE, _key(username), client) >= settings.STAFF_LOGIN_FAILURES
        or ratelimit.count(ACCOUNT_SCOPE, _key(username)) >= settings.STAFF_LOGIN_ACCOUNT_FAILURES
    )


def sign_in_failure_count(username: str, client: str, *, locked: bool) -> None:
    """Count one failure (wrong password, wrong or missing code, or an attempt while locked)."""
    window = settings.STAFF_LOGIN_WINDOW_SECONDS
    ratelimit.hit(CLIENT_SCOPE, client, window=window)
    if not locked:  # hammering a locked pair must not push the account towards its lock
        ratelimit.hit(PAIR_SCOPE, _key(username), client, window=window)
        ratelimit.hit(ACCOUNT_SCOPE, _key(username), window=window)


def sign_in_failures_clear(username: str, client: str) -> None:
    """After a complete sign-in; the client's own count stays (it may be guessing elsewhere)."""
    ratelimit.reset(PAIR_SCOPE, _key(username), client)
    ratelimit.reset(ACCOUNT_SCOPE, _key(username))


class StaffBackend(ModelBackend):
    """Django's model backend, returning StaffUser (whose session hash carries the session
    generation) and hashing the password once whether or not the account can sign in."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> StaffUser | None:
        if username is None:
            username = kwargs.get(StaffUser.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = self._users().filter(**{StaffUser.USERNAME_FIELD: username}).first()
        if user is None or not user.has_usable_password():
            # An unknown account, or one still waiting for its enrolment, costs the same hashing
            # as a wrong password: the time of the answer must not tell them apart.
            make_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> StaffUser | None:
        user = self._users().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _users() -> Any:
        # The profile (session generation) comes in the same query: no extra one per request.
        return StaffUser._default_manager.select_related("staff_profile")
