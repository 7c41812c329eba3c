"""One-time submission tokens: a double tap, a reload or a retried request creates its row once.

A form carries a fresh token (`submission_token_new`); the service stores it in the unique
`submission_token` column of the row it creates. A repeat finds that row, or, at the same moment,
fails on the unique column, and gets the first row back instead of a second one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from casework.exceptions import SubmissionTokenReusedError

ModelT = TypeVar("ModelT", bound=models.Model)


def submission_token_new() -> str:
    """A fresh token to render into a form: unguessable, so one form's token is its own."""
    return secrets.token_urlsafe(24)


def submission_token_for_client(*, actor: User | AnonymousUser, key: str) -> str:
    """The stored token for a key a client chose (an API `Idempotency-Key`).

    Hashed with the caller's id: two clients picking the same key never meet, and the stored
    value has a fixed length whatever the client sent.
    """
    return hashlib.sha256(f"{actor.pk}:{key}".encode()).hexdigest()


def submitted_once(
    model: type[ModelT],
    *,
    token: str | None,
    create: Callable[[str | None], ModelT],
    **scope: Any,
) -> tuple[ModelT, bool]:
    """(row, created): run `create` once per token; a repeat returns the first row instead.

    `create(token)` must store the token it is given (None for none) in `model.submission_token`.
    It runs in a transaction (a
    savepoint inside one), so a simultaneous repeat that loses the race on the unique column
    rolls back only its own work. `scope` (e.g. `case=case`) is what the first row must match
    to be handed back; a token already used for anything else is refused. Without a token,
    `create` simply runs.
    """
    token = token or None  # an empty field is no token, not a token shared by every empty form
    first = _first(model, token, scope) if token else None
    if first is not None:
        return first, False  # a plain repeat: skip the work and its locks entirely
    try:
        with transaction.atomic():
            return create(token), True
    except IntegrityError:
        if not token:
            raise
        first = _first(model, token, scope)
        if first is None:
            raise  # some other constraint: not ours to explain
        return first, False


def _first(model: type[ModelT], token: str, scope: dict[str, Any]) -> ModelT | None:
    rows = model._default_manager.filter(submission_token=token)
    first = rows.filter(**scope).first()
    if first is None and rows.exists():
        raise SubmissionTokenReusedError(
            _("This form or request key was already used for something else.")
        )
    return first
