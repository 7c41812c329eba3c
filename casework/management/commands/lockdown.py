"""Switch the read-only lockdown on or off from the server (no sign-in needed)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casework.models import AuditEvent
from casework.services.audit import audit_record
from casework.services.staff import site_state


class Command(BaseCommand):
    help = "Read-only lockdown: 'on' refuses every staff write except by administrators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("state", choices=["on", "off", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        state = site_state()
        if options["state"] != "status":
            state.lockdown = options["state"] == "on"
            state.save(update_fields=["lockdown"])
            audit_record(
                actor=None,
                action=AuditEvent.Action.CHANGE,
                reference="lockdown",
                detail={"lockdown": state.lockdown, "by": "command"},
            )
        self.stdout.write(f"lockdown is {'on' if state.lockdown else 'off'}")
