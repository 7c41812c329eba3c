"""API tokens: made (shown once), checked, revoked; only a keyed hash of each is stored.

A person makes their own tokens in the admin (after the second factor), or the server operator
runs `manage.py create_api_token USERNAME`. Nobody makes a token for someone else in the admin:
an administrator holding a coordinator's token could read cases as them. Administrators list
and revoke everyone's tokens; offboarding and the emergency sign-out revoke them in bulk.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.crypto import token_hash
from casework.exceptions import CaseworkError
from casework.models import ApiToken, AuditEvent
from casework.roles import is_administrator
from casework.services.audit import audit_record

# Not secrets: a hash purpose (domain separation) and the visible mark of our tokens.
TOKEN_PURPOSE = "casework.api-token"  # noqa: S105
TOKEN_MARK = "cw_"  # noqa: S105
PREFIX_LENGTH = 10  # "cw_" and 7 random characters of 43: shown, not enough to guess from
# last_used_at is written at most once per this many seconds per token, not on every request.
LAST_USED_EVERY_SECONDS = 60


class ApiTokenError(CaseworkError):
    code = "api_token"


def _hash(raw: str) -> str:
    return token_hash(TOKEN_PURPOSE, raw)


@transaction.atomic
def api_token_create(
    *, user: User, actor: User | None, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, valid `days` (default API_TOKEN_DAYS); returns it with the
    token itself, to be shown once. `actor=None` is the server's own command; any other actor
    may make a token only for themselves."""
    if actor is not None and actor.pk != user.pk:
        raise ApiTokenError(_("An API token can only be made for yourself."))
    if not (user.is_active and user.is_staff):
        raise ApiTokenError(_("Only an active staff account can have an API token."))
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise ApiTokenError(_("A token is valid for 1 to 366 days."))
    raw = TOKEN_MARK + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        prefix=raw[:PREFIX_LENGTH],
        key_hash=_hash(raw),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    detail: dict[str, object] = {"api_token": token.prefix, "days": days}
    if actor is None:
        detail["by"] = "command"
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=user,
        reference=user.username,
        detail=detail,
    )
    return token, raw


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token (not revoked, not expired, its owner active staff) for `raw`, or None.
    Records when it was last used (at most once a minute)."""
    if not raw.startswith(TOKEN_MARK) or len(raw) > 100:
        return None  # not one of ours: no hashing, no query
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not (token.user.is_active and token.user.is_staff):
        return None
    stale = now - timedelta(seconds=LAST_USED_EVERY_SECONDS)
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    ).update(last_used_at=now)
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke one token (its owner or an administrator); revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.user_id != actor.pk and not is_administrator(actor):
        raise ApiTokenError(_("Only its owner or an administrator can revoke this token."))
    if token.revoked_at is not None:
        return token
    token.revoked_at, token.revoked_by = timezone.now(), actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=token.user,
        reference=token.user.username,
        detail={"api_token_revoked": token.prefix},
    )
    return token


def api_tokens_revoke_all(*, user_ids: list[int] | None, actor: User | None) -> int:
    """Revoke every live token of these people (None: of everyone); returns how many. The
    callers (offboarding, emergency sign-out) run it in their transaction and audit it."""
    tokens = ApiToken.objects.filter(revoked_at__isnull=True)
    if user_ids is not None:
        tokens = tokens.filter(user_id__in=user_ids)
    return tokens.update(revoked_at=timezone.now(), revoked_by=actor)
