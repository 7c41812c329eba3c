"""End every staff session and revoke every API token at once (suspected compromise)."""

from typing import Any

from django.core.management.base import BaseCommand

from casework.services.staff import emergency_sign_out


class Command(BaseCommand):
    help = "End every staff session and revoke every API token now."

    def handle(self, *args: Any, **options: Any) -> None:
        sessions, tokens = emergency_sign_out(actor=None)
        self.stdout.write(f"Ended {sessions} staff sessions and revoked {tokens} API tokens.")
