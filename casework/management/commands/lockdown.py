"""Switch the read-only lockdown on or off from the server (no sign-in needed)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casework.services.staff import lockdown_set, site_state


class Command(BaseCommand):
    help = "Read-only lockdown: 'on' refuses every staff write except by administrators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("state", choices=["on", "off", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        state = site_state()
        if options["state"] != "status":
            # The same audited service as Site state in the admin.
            state = lockdown_set(enabled=options["state"] == "on", actor=None)
        self.stdout.write(f"lockdown is {'on' if state.lockdown else 'off'}")
