"""Run the deadline sweep now (beat runs it every 15 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from casework.services.reminders import deadlines_sweep


class Command(BaseCommand):
    help = "Mark missed deadlines and overdue filings, queue and send reminder digests."

    def handle(self, *args: Any, **options: Any) -> None:
        report = deadlines_sweep()
        self.stdout.write(
            f"overdue filings: {report.overdue_filings}, missed deadlines: "
            f"{report.missed_deadlines}, reminders queued: {report.queued}"
        )
