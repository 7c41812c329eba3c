"""End every session of every staff member and revoke every API token (suspected compromise)."""

from typing import Any

from django.core.management.base import BaseCommand

from casework.services.staff import emergency_sign_out


class Command(BaseCommand):
    help = "End every staff session and revoke every API token now."

    def handle(self, *args: Any, **options: Any) -> None:
        people, tokens = emergency_sign_out(actor=None)
        self.stdout.write(
            f"Ended every session of {people} people and revoked {tokens} API tokens."
        )
