"""Uploaded files: the encrypted original is stored on the request path; a task makes the copy.

Files live under MEDIA_ROOT/attachments/, named by the attachment's random id and encrypted with
the newest field key (its key id in front, as in every encrypted column). The cleaned copy
(casework.uploads.clean: rebuilt from pixels or rendered pages) is made by a Celery task, so a
slow PDF never holds a family's request; the database row says what is still pending.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework import permissions
from casework.crypto import SEPARATOR, DecryptionError, content_digest, content_digest_matches
from casework.crypto import _fernets as fernets  # the field keys, shared so files rotate with them
from casework.exceptions import NotReadyError
from casework.models import (
    Attachment,
    AuditEvent,
    Case,
    DocumentShare,
    Filing,
    GeneratedDocument,
    TimelineEntry,
)
from casework.services.audit import audit_record
from casework.uploads import UploadRejected, clean

ORIGINAL, CLEANED = "original", "cleaned"
MAX_CLEAN_ATTEMPTS = 5
# A pending row younger than this may still be in the broker or on a worker.
STALE_AFTER = timedelta(minutes=2)
# Content type and extension of an original, by its sniffed kind.
ORIGINAL_TYPES = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "heic": ("image/heic", "heic"),
    "pdf": ("application/pdf", "pdf"),
}


@dataclass(frozen=True)
class Upload:
    """A file as sent, already checked by content (casework.uploads.validate_upload)."""

    data: bytes
    kind: str
    filename: str


@dataclass(frozen=True)
class StoredUpload:
    public_id: uuid.UUID
    upload: Upload
    digest: str  # keyed (crypto.content_digest): never a plain hash a guess could be tested on


@dataclass(frozen=True)
class DownloadFile:
    data: bytes
    content_type: str
    filename: str  # neutral (file-1a2b.jpg): never the name the family's phone gave it


def attachment_path(public_id: uuid.UUID, version: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments" / f"{public_id}.{version}"


def _encrypt_bytes(data: bytes) -> bytes:
    key_id, fernet = fernets()[0]
    return key_id.encode() + SEPARATOR.encode() + fernet.encrypt(data)


def _decrypt_bytes(stored: bytes) -> bytes:
    key_id, _separator, token = stored.partition(SEPARATOR.encode())
    for candidate, fernet in fernets():
        if candidate.encode() == key_id:
            try:
                return fernet.decrypt(token)
            except InvalidToken as exc:
                raise DecryptionError(f"file under key {candidate} does not verify") from exc
    raise DecryptionError("no configured key matches this file")


def _write_private(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (a reader never sees half a file), readable by us only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def attachment_files_rotate() -> int:
    """Re-encrypt stored files under the newest key (part of `rotate_keys`); returns how many.

    Originals never change after upload and a cleaned copy is written once, so rewriting a file
    that is not under the newest key cannot lose an edit; a re-run skips what is done.
    """
    current = fernets()[0][0].encode() + SEPARATOR.encode()
    rewritten = 0
    for public_id in Attachment.objects.values_list("public_id", flat=True).iterator():
        for version in (ORIGINAL, CLEANED):
            path = attachment_path(public_id, version)
            try:
                stored = path.read_bytes()
            except FileNotFoundError:
                continue  # not cleaned yet, or erased
            if not stored.startswith(current):
                _write_private(path, _encrypt_bytes(_decrypt_bytes(stored)))
                rewritten += 1
    return rewritten


def attachment_files_delete(public_ids: Sequence[uuid.UUID]) -> None:
    """Remove the stored files (original and cleaned copy) of deleted attachments."""
    for public_id in public_ids:
        for version in (ORIGINAL, CLEANED):
            attachment_path(public_id, version).unlink(missing_ok=True)


def attachment_read(attachment: Attachment, version: str) -> bytes:
    return _decrypt_bytes(attachment_path(attachment.public_id, version).read_bytes())


# --- On the request path ----------------------------------------------------------------------


def uploads_store(uploads: Sequence[Upload]) -> list[StoredUpload]:
    """Write each original encrypted, before the transaction that records it.

    File writes cannot roll back: a caller whose transaction fails calls `uploads_discard`.
    """
    stored: list[StoredUpload] = []
    try:
        for upload in uploads:
            public_id = uuid.uuid4()
            _write_private(attachment_path(public_id, ORIGINAL), _encrypt_bytes(upload.data))
            stored.append(StoredUpload(public_id, upload, content_digest(upload.data)))
    except BaseException:
        uploads_discard(stored)
        raise
    return stored


def uploads_discard(stored: Sequence[StoredUpload]) -> None:
    for item in stored:
        for version in (ORIGINAL, CLEANED):
            attachment_path(item.public_id, version).unlink(missing_ok=True)


def attachments_record(
    *,
    case: Case,
    entry: TimelineEntry | None,
    stored: Sequence[StoredUpload],
    source: str,
    filing: Filing | None = None,
    document_kind: str = "",
    uploaded_by: User | None = None,
) -> list[Attachment]:
    """Create the rows inside the caller's transaction; cleaning is queued after commit."""
    if not stored:
        return []
    rows = Attachment.objects.bulk_create(
        Attachment(
            public_id=item.public_id,
            case=case,
            timeline_entry=entry,
            filename=item.upload.filename[:255],
            kind=item.upload.kind,
            size=len(item.upload.data),
            digest=item.digest,
            source=source,
            filing=filing,
            document_kind=document_kind,
            uploaded_by=uploaded_by,
        )
        for item in stored
    )
    ids = [row.pk for row in rows]
    # robust: a broker that is down must not turn a saved case into an error page; the sweep
    # finds the pending rows later.
    transaction.on_commit(lambda: _queue_cleaning(ids), robust=True)
    return rows


# --- Staff uploads: proof of sending, delivery notices, answers, other papers -------------------


def staff_upload_add(
    *,
    case: Case,
    actor: User | None,
    upload: Upload,
    document_kind: str,
    filing: Filing | None = None,
) -> Attachment:
    """A caseworker's scan or photo, on the case or on one of its filings, stored exactly as a
    family's file (encrypted original, cleaned copy made on the `files` queue); audited, with a
    timeline entry. A receipt on a filing sent without one becomes its proof of sending."""
    if document_kind not in Attachment.DocumentKind.values:
        raise ValueError(document_kind)
    if filing is not None and filing.case_id != case.pk:
        raise ValueError("filing of another case")
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.ATTACHMENT_ADD)
    stored = uploads_store([upload])
    try:
        with transaction.atomic():
            if filing is not None:
                filing = Filing.objects.select_for_update(of=("self",)).get(pk=filing.pk)
            attachment = staff_upload_record(
                case=case, actor=actor, stored=stored[0], document_kind=document_kind, filing=filing
            )
            if (
                filing is not None
                and document_kind == Attachment.DocumentKind.RECEIPT
                and filing.proof_id is None
                and filing.status != Filing.Status.DRAFT
            ):
                filing.proof, filing.proof_to_follow = attachment, ""
                filing.save(update_fields=["proof", "proof_to_follow", "updated_at"])
    except BaseException:
        uploads_discard(stored)
        raise
    return attachment


def staff_upload_record(
    *,
    case: Case,
    actor: User | None,
    stored: StoredUpload,
    document_kind: str,
    filing: Filing | None = None,
) -> Attachment:
    """The row of a stored staff upload, its timeline entry and audit event, inside the
    caller's transaction (a filing step that takes its proof calls this; the caller has
    checked that `actor` may act and discards the stored file if its transaction fails)."""
    with translation.override(settings.LANGUAGE_CODE):
        label = Attachment.DocumentKind(document_kind).label
        if filing is not None:
            text = _("Scan added to %(filing)s: %(document)s.") % {
                "filing": filing.reference,
                "document": label,
            }
        else:
            text = _("Scan added: %(document)s.") % {"document": label}
    entry = TimelineEntry.objects.create(
        case=case, kind=TimelineEntry.Kind.UPLOAD, text=text, author=actor
    )
    (attachment,) = attachments_record(
        case=case,
        entry=entry,
        stored=[stored],
        source=Attachment.Source.STAFF,
        filing=filing,
        document_kind=document_kind,
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=attachment,
        reference=case.reference,
        detail={
            "attachment": str(attachment.public_id),
            "document": document_kind,
            "filing": filing.reference if filing is not None else "",
        },
    )
    return attachment


@contextmanager
def upload_kept(upload: Upload | None) -> Iterator[StoredUpload | None]:
    """Store `upload` (if any) before the transaction that records it, and remove the file
    again if that transaction fails inside the block (file writes cannot roll back)."""
    stored = uploads_store([upload]) if upload is not None else []
    try:
        yield stored[0] if stored else None
    except BaseException:
        uploads_discard(stored)
        raise


def _queue_cleaning(ids: Sequence[int]) -> None:
    from casework.tasks import clean_attachment

    for pk in ids:
        clean_attachment.delay(attachment_id=pk)


# --- In the worker ----------------------------------------------------------------------------


def attachment_clean(*, attachment_id: int) -> Attachment | None:
    """Make the cleaned copy of a pending attachment; a cleaned, failed or missing row is a no-op.

    Safe to run twice at once: both write the same copy (atomically) and only a pending row is
    updated. A file that cannot be cleaned is marked failed with a reason code; an unexpected
    error propagates so the task retries, up to MAX_CLEAN_ATTEMPTS (the sweep gives up then).
    """
    attachment = Attachment.objects.filter(pk=attachment_id, state=Attachment.State.PENDING).first()
    if attachment is None:
        return None
    Attachment.objects.filter(pk=attachment.pk).update(attempts=F("attempts") + 1)
    try:
        original = attachment_read(attachment, ORIGINAL)
    except (FileNotFoundError, DecryptionError):
        return _mark_failed(attachment, "original_unreadable")
    if not content_digest_matches(original, attachment.digest):
        return _mark_failed(attachment, "checksum_mismatch")
    try:
        result = clean(original, attachment.kind)
    except UploadRejected as exc:
        return _mark_failed(attachment, exc.code)
    _write_private(attachment_path(attachment.public_id, CLEANED), _encrypt_bytes(result.data))
    Attachment.objects.filter(pk=attachment.pk, state=Attachment.State.PENDING).update(
        state=Attachment.State.CLEAN,
        cleaned_content_type=result.content_type,
        cleaned_extension=result.extension,
        metadata_found=result.found,
        failure="",
        cleaned_at=timezone.now(),
    )
    attachment.refresh_from_db()
    return attachment


def _mark_failed(attachment: Attachment, reason: str) -> Attachment:
    Attachment.objects.filter(pk=attachment.pk, state=Attachment.State.PENDING).update(
        state=Attachment.State.FAILED, failure=reason[:40]
    )
    attachment.refresh_from_db()
    return attachment


def attachments_requeue_stale() -> int:
    """Re-queue pending attachments the broker may have lost; give up on the hopeless ones."""
    return pending_rows_requeue(Attachment, max_attempts=MAX_CLEAN_ATTEMPTS, queue=_queue_cleaning)


def pending_rows_requeue(
    model: type[Attachment] | type[GeneratedDocument] | type[DocumentShare],
    *,
    max_attempts: int,
    queue: Callable[[Sequence[int]], None],
    state: str = "state",
    attempts: str = "attempts",
    since: str = "created_at",
) -> int:
    """For rows a task makes (pending -> done or failed): queue again those pending longer than
    STALE_AFTER (the broker may have lost them), at most 500 a sweep; fail those out of tries.
    The column names are the model's (a share's PDF is `pdf_state`, `pdf_attempts`)."""
    stale = model.objects.filter(**{state: "pending", f"{since}__lt": timezone.now() - STALE_AFTER})
    gave_up = {state: "failed"}
    if any(field.name == "failure" for field in model._meta.fields):
        gave_up["failure"] = "gave_up"
    stale.filter(**{f"{attempts}__gte": max_attempts}).update(**gave_up)
    ids = list(
        stale.filter(**{f"{attempts}__lt": max_attempts})
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    queue(ids)
    return len(ids)


# --- Staff download ---------------------------------------------------------------------------


def attachment_download(*, attachment: Attachment, actor: User, original: bool) -> DownloadFile:
    """The cleaned copy (or, asked for, the original) decrypted, with a neutral name; audited.

    `attachment` must come from a visibility selector (casework.selectors.attachment_get_for_user).
    """
    short = str(attachment.public_id)[:4]
    if original:
        content_type, extension = ORIGINAL_TYPES.get(
            attachment.kind, ("application/octet-stream", "bin")
        )
        data = attachment_read(attachment, ORIGINAL)
        filename = f"file-{short}-original.{extension}"
    else:
        if attachment.state != Attachment.State.CLEAN:
            raise NotReadyError(_("The cleaned copy of this file is not ready."))
        data = attachment_read(attachment, CLEANED)
        content_type = attachment.cleaned_content_type
        filename = f"file-{short}.{attachment.cleaned_extension}"
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DOWNLOAD,
        obj=attachment,
        reference=attachment.case.reference,
        detail={
            "attachment": str(attachment.public_id),
            "version": ORIGINAL if original else CLEANED,
        },
    )
    return DownloadFile(data=data, content_type=content_type, filename=filename)
