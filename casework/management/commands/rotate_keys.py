"""Re-encrypt every personal field, re-index names and re-key file checksums under the newest
keys (resumable)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casework.models import AuditEvent
from casework.services.audit import audit_record
from casework.services.keys import keys_rotate


class Command(BaseCommand):
    help = (
        "Put the new key first in FIELD_ENCRYPTION_KEYS / BLIND_INDEX_KEYS (keep the old ones "
        "after it), restart, run this; remove old keys once it reports nothing left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        report = keys_rotate(batch_size=options["batch_size"])
        for model, count in sorted(report.rotated.items()):
            skipped = report.skipped_concurrent.get(model, 0)
            self.stdout.write(f"{model}: {count} rows re-encrypted, {skipped} edited meanwhile")
        self.stdout.write(f"servicemen re-indexed: {report.reindexed}")
        self.stdout.write(f"stored files re-encrypted: {report.files}")
        self.stdout.write(f"file checksums re-keyed: {report.digests}")
        if any(report.skipped_concurrent.values()):
            self.stdout.write(
                "Rows edited during the run are already under the new key; run again to confirm."
            )
        audit_record(
            actor=None,
            action=AuditEvent.Action.ROTATE,
            reference="keys",
            detail={
                "rotated": report.rotated,
                "reindexed": report.reindexed,
                "files": report.files,
                "digests": report.digests,
            },
        )
