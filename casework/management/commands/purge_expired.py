"""Apply the retention promises: erase long-closed cases and expired operational rows.

`--dry-run` changes nothing and lists what would go and why the rest stays. Both print
references and reasons only, never a personal value.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casework.services.retention import purge_expired


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


class Command(BaseCommand):
    help = (
        "Erase cases closed longer ago than RETENTION_MONTHS_AFTER_CLOSE that are no longer live "
        "work, and expired rows. --dry-run lists what would go and why the rest stays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Change nothing; list what would be erased and why the rest stays.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_expired(dry_run=options["dry_run"])
        erased, kept = ("would erase", "would keep") if report.dry_run else ("erased", "kept")
        self.stdout.write(f"{erased} {_plural(len(report.cases), 'closed case')}")
        for reference in report.cases:
            self.stdout.write(f"  {reference}")
        self.stdout.write(
            f"{kept} {_plural(len(report.kept_cases), 'closed case')} past retention (live work)"
        )
        for item in report.kept_cases:
            self.stdout.write(f"  {item.reference}: {'; '.join(item.reasons)}")
        self.stdout.write(
            f"{kept} {_plural(len(report.kept_people), 'person', 'people')} of erased cases "
            "(a remaining case lists them)"
        )
        for item in report.kept_people:
            self.stdout.write(f"  {item.kind} {item.reference}: {'; '.join(item.reasons)}")
        self.stdout.write(
            f"{erased} {_plural(report.sessions, 'expired session')}, "
            f"{_plural(report.other_rows, 'other expired row')}, "
            f"{_plural(report.audit_events, 'old audit event')}"
        )
