"""Make an API token for a staff account and print it once (only its keyed hash is kept)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.exceptions import CaseworkError
from casework.services.api_tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Make an API token for USERNAME and print it once; it expires after --days "
        "(default API_TOKEN_DAYS) and is listed and revoked in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No staff account has that username.")
        try:
            token, raw = api_token_create(user=user, actor=None, days=options["days"])
        except CaseworkError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(raw)
        self.stderr.write(
            f"API token {token.prefix}… for {user.username}, valid until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. It is not shown again."
        )
