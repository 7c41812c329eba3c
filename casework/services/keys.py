"""Key rotation: re-encrypt every encrypted column and stored file, re-index names and re-key the
checksums of files, under the newest keys.

Batched and resumable (a row already under the newest key is skipped, so a re-run continues), and
safe beside live traffic: each row is written only if its ciphertext is still what was read, so a
concurrent edit is never overwritten (that edit is already under the newest key).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction

from casework.crypto import (
    SEPARATOR,
    DecryptionError,
    EncryptedMixin,
    content_digest,
    content_digest_matches,
    current_index_key_id,
    decrypt,
    encrypt,
    encrypted_under_current_key,
)
from casework.models import Attachment, GeneratedDocument, Serviceman
from casework.selectors import given_name_groups
from casework.services.attachments import ORIGINAL, attachment_files_rotate, attachment_read
from casework.services.people import INDEX_FIELDS, index_version, serviceman_reindex


@dataclass
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)
    skipped_concurrent: dict[str, int] = field(default_factory=dict)
    reindexed: int = 0
    files: int = 0
    digests: int = 0


@dataclass(frozen=True)
class RawRow:
    pk: int
    values: dict[str, str | None]  # column -> ciphertext as read


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_app_config("casework").get_models():
        columns = [
            str(f.column) for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)
        ]
        if columns:
            found.append((model, columns))
    return found


def raw_batches(
    model: type[models.Model], columns: list[str], batch_size: int
) -> Iterator[list[RawRow]]:
    """Rows in primary-key order, ciphertext as stored (not decrypted)."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    select = ", ".join(quote(c) for c in columns)
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {select} FROM {quote(table)} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608 - names from model metadata
                [last, batch_size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield [RawRow(pk=r[0], values=dict(zip(columns, r[1:], strict=True))) for r in rows]


@transaction.atomic
def rows_reencrypt(model: type[models.Model], rows: list[RawRow]) -> tuple[int, int]:
    """Rewrite stale rows under the newest key; returns (rotated, skipped because edited)."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    rotated = skipped = 0
    with connection.cursor() as cursor:
        for row in rows:
            stale = {c: v for c, v in row.values.items() if not encrypted_under_current_key(v)}
            if not stale:
                continue
            assignments = ", ".join(f"{quote(c)} = %s" for c in stale)
            guards = " AND ".join(f"{quote(c)} = %s" for c in stale)
            cursor.execute(
                f"UPDATE {quote(table)} SET {assignments} WHERE id = %s AND {guards}",  # noqa: S608
                [*(encrypt(decrypt(v)) for v in stale.values() if v), row.pk, *stale.values()],
            )
            if cursor.rowcount:
                rotated += 1
            else:
                skipped += 1
    return rotated, skipped


def servicemen_reindex(batch_size: int = 500) -> int:
    """Recompute blind indexes of servicemen indexed under an older key or given-name table."""
    groups = given_name_groups()
    done = 0
    version = index_version(groups)
    while True:
        with transaction.atomic():
            batch = list(
                Serviceman.objects.select_for_update(skip_locked=True)
                .exclude(index_version=version)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return done
            for serviceman in batch:
                serviceman_reindex(serviceman, groups)
            Serviceman.objects.bulk_update(batch, INDEX_FIELDS)
            done += len(batch)


def keys_rotate(*, batch_size: int = 500) -> RotationReport:
    """Re-encrypt every stale encrypted value and re-index every stale name index."""
    report = RotationReport()
    for model, columns in encrypted_models():
        name = model._meta.label
        for rows in raw_batches(model, columns, batch_size):
            rotated, skipped = rows_reencrypt(model, rows)
            report.rotated[name] = report.rotated.get(name, 0) + rotated
            report.skipped_concurrent[name] = report.skipped_concurrent.get(name, 0) + skipped
    report.reindexed = servicemen_reindex(batch_size)
    report.files = attachment_files_rotate()
    report.digests = content_digests_rotate(batch_size=batch_size)
    return report


def content_digests_rotate(*, batch_size: int = 500) -> int:
    """Re-key the checksums of uploads and drafts made under an older BLIND_INDEX_KEYS key.

    The new checksum is made from the content itself, and only when the content still matches
    the old one (a file that does not is left for the cleaning task to report). Each row is
    written only if its checksum is still what was read; a re-run skips rows already done.
    """
    current = current_index_key_id() + SEPARATOR

    def contents() -> Iterator[tuple[type[Attachment] | type[GeneratedDocument], int, str, bytes]]:
        stale = Attachment.objects.exclude(digest__startswith=current).exclude(digest="")
        for attachment in stale.order_by("pk").iterator(chunk_size=batch_size):
            try:
                data = attachment_read(attachment, ORIGINAL)
            except (FileNotFoundError, DecryptionError):
                continue  # erased meanwhile, or unreadable: nothing to prove either way
            yield Attachment, attachment.pk, attachment.digest, data
        drafts = GeneratedDocument.objects.filter(state=GeneratedDocument.State.READY)
        for document in (
            drafts.exclude(digest__startswith=current)
            .exclude(digest="")
            .order_by("pk")
            .iterator(chunk_size=batch_size)
        ):
            yield (
                GeneratedDocument,
                document.pk,
                document.digest,
                base64.b64decode(document.content),
            )

    done = 0
    for model, pk, old, data in contents():
        if content_digest_matches(data, old):
            done += model.objects.filter(pk=pk, digest=old).update(digest=content_digest(data))
    return done
