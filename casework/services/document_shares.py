"""Drafts shared with the family: a caseworker gives a ready draft (the рапорт he must sign, the
family's own complaint) to the status page until a date; the family downloads it as .docx, or
as PDF once LibreOffice has made one in the `files` queue. Sharing, withdrawing and every
download are audited; a withdrawn share is gone at once, its PDF wiped.

The PDF is made from the decrypted .docx in a private temporary folder that is removed when the
conversion ends, whatever happens; LibreOffice keeps its profile in a folder of its own per
worker process (two processes sharing one profile block each other).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.exceptions import NotReadyError, RuleError
from casework.models import AuditEvent, Case, DocumentShare, GeneratedDocument, TimelineEntry
from casework.services.attachments import DownloadFile, pending_rows_requeue
from casework.services.audit import audit_record
from casework.services.documents import DOCX

PDF = "application/pdf"
MAX_ATTEMPTS = 3
# How long LibreOffice may take for one draft (a few pages: a second or two once started).
CONVERT_SECONDS = 120


@transaction.atomic
def document_share(*, document: GeneratedDocument, days: int, actor: User | None) -> DocumentShare:
    """Offer a ready draft on the family's status page for `days` days (1 to
    SHARE_MAX_DAYS); its PDF is made after commit. Writing to the family is editing the case."""
    case = document.filing.case
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_EDIT)
    if document.state != GeneratedDocument.State.READY:
        raise NotReadyError(_("This document is not ready."))
    if not 1 <= days <= settings.SHARE_MAX_DAYS:
        raise RuleError(
            _("A draft can be shared for 1 to %(days)d days.") % {"days": settings.SHARE_MAX_DAYS}
        )
    now = timezone.now()
    share = DocumentShare.objects.create(
        document=document, shared_by=actor, expires_at=now + timedelta(days=days)
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=share,
        reference=case.reference,
        detail={
            "share": share.pk,
            "filing": document.filing.reference,
            "document": document.pk,
            "days": days,
        },
    )
    TimelineEntry.objects.create(
        case=case,
        kind=TimelineEntry.Kind.DOCUMENT,
        author=actor,
        text=_("Draft of %(filing)s shared with the family until %(date)s.")
        % {
            "filing": document.filing.reference,
            "date": timezone.localtime(share.expires_at).strftime("%d.%m.%Y"),
        },
    )
    transaction.on_commit(lambda: _queue([share.pk]), robust=True)
    return share


@transaction.atomic
def document_share_withdraw(*, share: DocumentShare, actor: User | None) -> None:
    """Take a shared draft off the family's page now; its PDF is wiped. A second withdrawal
    changes nothing."""
    case = share.document.filing.case
    if actor is not None:
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_EDIT)
    withdrawn = DocumentShare.objects.filter(pk=share.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), pdf="", pdf_state=DocumentShare.PdfState.REMOVED
    )
    if withdrawn:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            obj=share,
            reference=case.reference,
            detail={"share": share.pk, "document": share.document_id, "withdrawn": True},
        )
        TimelineEntry.objects.create(
            case=case,
            kind=TimelineEntry.Kind.DOCUMENT,
            author=actor,
            text=_("Draft of %(filing)s withdrawn from the family's page.")
            % {"filing": share.document.filing.reference},
        )


def document_shares_withdraw_all(*, case: Case, actor: User | None) -> int:
    """Withdraw every draft still offered to this case's family (a merge into another family's
    case: their drafts must not reach that family). Audited as one event."""
    withdrawn = DocumentShare.objects.filter(
        document__filing__case=case, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), pdf="", pdf_state=DocumentShare.PdfState.REMOVED)
    if withdrawn:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            object_type="documentshare",
            reference=case.reference,
            detail={"withdrawn": withdrawn, "why": "merge"},
        )
    return withdrawn


def document_share_download(*, share: DocumentShare, pdf: bool) -> DownloadFile:
    """The shared draft for the family, audited. `share` must come from
    casework.selectors.document_share_for_family (their session's case, still offered)."""
    document = share.document
    if pdf and share.pdf_state != DocumentShare.PdfState.READY:
        raise NotReadyError(_("The PDF is not ready yet. Please try again in a minute."))
    audit_record(
        actor=None,
        action=AuditEvent.Action.DOWNLOAD,
        obj=share,
        reference=document.filing.case.reference,
        detail={"share": share.pk, "by": "family", "format": "pdf" if pdf else "docx"},
    )
    name = f"{document.filing.reference}-{document.pk}"
    if pdf:
        data, content_type, extension = base64.b64decode(share.pdf), PDF, "pdf"
    else:
        data, content_type, extension = base64.b64decode(document.content), DOCX, "docx"
    return DownloadFile(data=data, content_type=content_type, filename=f"{name}.{extension}")


def document_shares_expired_wipe(*, now: datetime | None = None) -> int:
    """Wipe the PDFs of shares past their date (the .docx stays with the filing, as before)."""
    moment = now or timezone.now()
    return DocumentShare.objects.filter(
        expires_at__lte=moment, pdf_state=DocumentShare.PdfState.READY
    ).update(pdf="", pdf_state=DocumentShare.PdfState.REMOVED)


# --- In the worker ----------------------------------------------------------------------------


def document_share_pdf_make(*, share_id: int) -> DocumentShare | None:
    """Make the PDF of a share still offered and waiting for one; a no-op otherwise (so a
    repeated task is harmless). LibreOffice missing or failing marks it failed (the family
    still has the .docx), with the kind of failure only."""
    share = (
        DocumentShare.objects.filter(
            pk=share_id,
            pdf_state=DocumentShare.PdfState.PENDING,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("document")
        .first()
    )
    if share is None:
        return None
    DocumentShare.objects.filter(pk=share.pk).update(pdf_attempts=F("pdf_attempts") + 1)
    try:
        pdf = docx_to_pdf(base64.b64decode(share.document.content))
    except (OSError, subprocess.SubprocessError, ValueError):
        state, content = DocumentShare.PdfState.FAILED, ""
    else:
        state, content = DocumentShare.PdfState.READY, base64.b64encode(pdf).decode()
    # Not if it was withdrawn or ran out meanwhile: the family must not get it back.
    DocumentShare.objects.filter(
        pk=share.pk,
        pdf_state=DocumentShare.PdfState.PENDING,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(pdf=content, pdf_state=state)
    share.refresh_from_db()
    return share


def docx_to_pdf(data: bytes) -> bytes:
    """The .docx as PDF, by LibreOffice headless (Debian's libreoffice-writer-nogui)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise OSError("LibreOffice is not installed")
    profile = Path(settings.VAR_DIR) / "libreoffice" / f"profile-{os.getpid()}"
    profile.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Mode 700, removed whatever happens; named by process (tests check none is left behind).
    with tempfile.TemporaryDirectory(prefix=f"casework-pdf-{os.getpid()}-") as folder:
        source = Path(folder) / "draft.docx"
        source.write_bytes(data)
        # Its own process group: `soffice` hands the work to a grandchild (soffice.bin), which
        # a timeout must stop too, or it keeps the draft in memory and the profile locked.
        process = subprocess.Popen(  # noqa: S603 (argument list, no shell; the file is ours)
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--convert-to",
                "pdf",
                "--outdir",
                folder,
                str(source),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"HOME": str(profile), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            start_new_session=True,
        )
        try:
            if process.wait(timeout=CONVERT_SECONDS) != 0:
                raise subprocess.CalledProcessError(process.returncode, soffice)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever of it is still running
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)  # reaped, not left a zombie
        result = Path(folder) / "draft.pdf"
        pdf = result.read_bytes()
    if not pdf.startswith(b"%PDF"):
        raise ValueError("not a PDF")
    return pdf


def _queue(ids: Sequence[int]) -> None:
    from casework.tasks import make_share_pdf

    for pk in ids:
        make_share_pdf.delay(share_id=pk)


def document_shares_requeue_stale() -> int:
    """Re-queue PDFs the broker may have lost; give up on the hopeless ones."""
    return pending_rows_requeue(
        DocumentShare,
        max_attempts=MAX_ATTEMPTS,
        queue=_queue,
        state="pdf_state",
        attempts="pdf_attempts",
        since="shared_at",
    )
