"""Move the embedded SQLite database into an empty PostgreSQL database (README, Moving to
PostgreSQL): every row as stored, so the same keys read it; files stay where they are."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.database_move import MoveError, database_move


class Command(BaseCommand):
    help = "Copy this SQLite installation into an empty PostgreSQL database, row for row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            help="The empty PostgreSQL database: postgres://user:password@host:port/name",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = database_move(url=options["to"])
        except MoveError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"moved {report.rows} rows in {report.tables} tables; set DATABASE_URL to the new "
            "database (and REDIS_URL) before starting again"
        )
