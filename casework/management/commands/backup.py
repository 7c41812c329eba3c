"""Write an encrypted backup and delete the ones past retention (README, Backups)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.backups import BackupError, backup_create, backups_prune


class Command(BaseCommand):
    help = "Encrypt the database and the file store to BACKUP_AGE_RECIPIENTS; prune old backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            help="Keep running, one backup every this many seconds (the compose service).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                path = backup_create()
            except BackupError as error:
                if not options["every"]:
                    raise CommandError(str(error)) from error
                # On a schedule a failure is logged and tried again next turn, never fatal.
                self.stderr.write(f"backup failed: {error}")
            else:
                removed = backups_prune()
                self.stdout.write(f"backup written: {path.name}; old backups removed: {removed}")
            if not options["every"]:
                return
            time.sleep(options["every"])
