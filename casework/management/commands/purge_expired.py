"""Apply the retention promises: erase long-closed cases and expired operational rows."""

from typing import Any

from django.core.management.base import BaseCommand

from casework.services.retention import purge_expired


class Command(BaseCommand):
    help = "Erase cases closed longer ago than RETENTION_MONTHS_AFTER_CLOSE, and expired rows."

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_expired()
        self.stdout.write(
            f"erased {len(report.cases)} closed cases, {report.sessions} expired sessions, "
            f"{report.other_rows} other expired rows, {report.audit_events} old audit events"
        )
