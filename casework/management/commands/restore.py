"""Restore an encrypted backup into a fresh database and file store (README, Backups)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Decrypt a backup with the private key file and restore it into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--identity",
            type=Path,
            required=True,
            help="The age private key file (kept off the server; bring it for the restore).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(archive=options["archive"], identity=options["identity"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"restored a {report.engine} backup of {report.created_at} with {report.files} files"
        )
