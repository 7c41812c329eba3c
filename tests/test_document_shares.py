"""Issue 16, item 7: drafts shared with the family. A caseworker puts a ready draft on the
family's status page until a date; the family of that case only downloads it as .docx, or as
PDF once LibreOffice made one; withdrawn or past its date it is gone at once; every share and
download audited."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from casework.exceptions import NotFoundError, NotReadyError, PermissionDeniedError, RuleError
from casework.models import AuditEvent, DocumentShare, GeneratedDocument, TimelineEntry
from casework.roles import Role
from casework.services.access_codes import access_code_hash, access_code_new
from casework.services.document_shares import (
    document_share,
    document_share_pdf_make,
    document_share_withdraw,
    document_shares_expired_wipe,
)
from casework.services.filings import filing_create
from tests.factories import CaseFactory, UserFactory
from tests.test_documents import office, text_of
from tests.test_portal_status import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def case_with_code(team):  # type: ignore[no-untyped-def]
    code = access_code_new()
    case = CaseFactory(
        team=team, access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    return case, code


@pytest.fixture
def draft(team, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """A case with an access code and a ready draft of a complaint (eager Celery)."""
    case, code = case_with_code(team)
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="complaint",
            signer="family",
            actor=None,
        )
    document = GeneratedDocument.objects.get(filing=filing)
    assert document.state == GeneratedDocument.State.READY
    return case, code, document


def share_url(share: DocumentShare, kind: str = "docx") -> str:
    return reverse("portal:status_document", args=[share.public_id, kind])


def downloads_of(share: DocumentShare) -> int:
    return AuditEvent.objects.filter(
        object_type="documentshare", detail__share=share.pk, action=AuditEvent.Action.DOWNLOAD
    ).count()


def test_a_shared_draft_is_offered_to_its_family_only(draft, caseworker, team):  # type: ignore[no-untyped-def]
    case, code, document = draft
    share = document_share(document=document, days=14, actor=caseworker)
    created = AuditEvent.objects.get(object_type="documentshare", action=AuditEvent.Action.CREATE)
    assert created.actor == caseworker and created.object_reference == case.reference
    assert created.detail["share"] == share.pk
    assert TimelineEntry.objects.filter(case=case, kind="document").exists()

    family = Client()
    sign_in(family, case.reference, code)
    page = family.get(reverse("portal:status")).content.decode()
    assert document.template.name in page and share_url(share) in page
    response = family.get(share_url(share))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content == base64.b64decode(document.content)
    assert document.filing.reference in response["Content-Disposition"]
    assert downloads_of(share) == 1
    event = AuditEvent.objects.get(object_type="documentshare", action=AuditEvent.Action.DOWNLOAD)
    assert event.actor is None
    assert event.detail == {"share": share.pk, "by": "family", "format": "docx"}

    # Another family, signed in with their own code: not on their page, and the link is a 404.
    other_case, other_code = case_with_code(team)
    stranger = Client()
    sign_in(stranger, other_case.reference, other_code, address="198.51.100.7")
    assert share_url(share) not in stranger.get(reverse("portal:status")).content.decode()
    assert stranger.get(share_url(share)).status_code == 404
    # Nobody signed in: back to the sign-in page, nothing sent.
    anonymous = Client().get(share_url(share))
    assert anonymous.status_code == 302 and anonymous["Location"].endswith("/status/")
    assert Client().get(share_url(share).replace("/docx/", "/exe/")).status_code == 404
    assert downloads_of(share) == 1


def test_a_withdrawn_or_expired_share_is_gone_at_once(draft, caseworker):  # type: ignore[no-untyped-def]
    case, code, document = draft
    withdrawn = document_share(document=document, days=14, actor=caseworker)
    expired = document_share(document=document, days=14, actor=caseworker)
    DocumentShare.objects.filter(pk=withdrawn.pk).update(pdf="c2VjcmV0", pdf_state="ready")
    family = Client()
    sign_in(family, case.reference, code)
    assert family.get(share_url(withdrawn)).status_code == 200

    document_share_withdraw(share=withdrawn, actor=caseworker)
    DocumentShare.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    withdrawn.refresh_from_db()
    assert withdrawn.withdrawn_at is not None and withdrawn.pdf == ""
    assert withdrawn.pdf_state == DocumentShare.PdfState.REMOVED
    page = family.get(reverse("portal:status")).content.decode()
    assert 'id="documents"' not in page
    for share in (withdrawn, expired):
        assert family.get(share_url(share)).status_code == 404
        assert family.get(share_url(share, "pdf")).status_code == 404
    assert downloads_of(withdrawn) == 1 and downloads_of(expired) == 0
    # A second withdrawal records nothing more.
    before = AuditEvent.objects.count()
    document_share_withdraw(share=withdrawn, actor=caseworker)
    assert AuditEvent.objects.count() == before


def test_the_pdf_is_made_by_libreoffice_and_no_temporary_file_stays(  # type: ignore[no-untyped-def]
    draft, caseworker, settings, tmp_path
):
    settings.VAR_DIR = tmp_path  # LibreOffice's profile for this process goes under it
    case, code, document = draft
    share = document_share(document=document, days=3, actor=caseworker)
    assert share.pdf_state == DocumentShare.PdfState.PENDING
    before = set(Path(tempfile.gettempdir()).glob(f"casework-pdf-{os.getpid()}-*"))
    made = document_share_pdf_make(share_id=share.pk)
    assert made is not None and made.pdf_state == DocumentShare.PdfState.READY, made
    assert set(Path(tempfile.gettempdir()).glob(f"casework-pdf-{os.getpid()}-*")) == before
    pdf = base64.b64decode(made.pdf)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(  # noqa: S603
        ["/usr/bin/pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    first_line = next(line for line in text_of(document).splitlines() if line.strip())
    assert first_line.split()[0] in text
    # A repeated task changes nothing.
    assert document_share_pdf_make(share_id=share.pk) is None

    family = Client()
    sign_in(family, case.reference, code)
    assert share_url(share, "pdf") in family.get(reverse("portal:status")).content.decode()
    response = family.get(share_url(share, "pdf"))
    assert response.status_code == 200 and response.content == pdf
    assert response["Content-Type"] == "application/pdf"


def test_a_pdf_finished_after_withdrawal_is_never_stored(draft, caseworker, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path
    _case, _code, document = draft
    share = document_share(document=document, days=3, actor=caseworker)
    document_share_withdraw(share=share, actor=caseworker)
    assert document_share_pdf_make(share_id=share.pk) is None
    share.refresh_from_db()
    assert share.pdf == "" and share.pdf_state == DocumentShare.PdfState.REMOVED


def test_the_pdf_waits_while_the_docx_is_offered(draft, caseworker):  # type: ignore[no-untyped-def]
    case, code, document = draft
    share = document_share(document=document, days=3, actor=caseworker)
    family = Client()
    sign_in(family, case.reference, code)
    page = family.get(reverse("portal:status")).content.decode()
    assert share_url(share) in page and share_url(share, "pdf") not in page
    response = family.get(share_url(share, "pdf"))
    assert response.status_code == 303 and downloads_of(share) == 0
    assert "PDF" in family.get(reverse("portal:status")).content.decode()


def test_only_staff_who_may_edit_the_case_share_and_within_the_days(draft, team, settings):  # type: ignore[no-untyped-def]
    _case, _code, document = draft
    auditor = UserFactory(role=Role.AUDITOR)
    other_team_worker = UserFactory(role=Role.CASEWORKER)
    before = AuditEvent.objects.count()
    for user in (auditor, other_team_worker):  # neither may see the case: it "does not exist"
        with pytest.raises((NotFoundError, PermissionDeniedError)):
            document_share(document=document, days=7, actor=user)
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    for days in (0, settings.SHARE_MAX_DAYS + 1):
        with pytest.raises(RuleError):
            document_share(document=document, days=days, actor=worker)
    assert not DocumentShare.objects.exists() and AuditEvent.objects.count() == before
    GeneratedDocument.objects.filter(pk=document.pk).update(state="pending")
    document.refresh_from_db()
    with pytest.raises(NotReadyError):
        document_share(document=document, days=7, actor=worker)
    assert not DocumentShare.objects.exists()


def test_the_sweep_wipes_the_pdfs_of_expired_shares(draft, caseworker):  # type: ignore[no-untyped-def]
    _case, _code, document = draft
    live = document_share(document=document, days=3, actor=caseworker)
    old = document_share(document=document, days=3, actor=caseworker)
    DocumentShare.objects.update(pdf="c2VjcmV0", pdf_state="ready")
    DocumentShare.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert document_shares_expired_wipe() == 1
    assert DocumentShare.objects.get(pk=old.pk).pdf == ""
    assert DocumentShare.objects.get(pk=old.pk).pdf_state == "removed"
    assert DocumentShare.objects.get(pk=live.pk).pdf == "c2VjcmV0"


def test_caseworkers_share_and_withdraw_from_the_filing_page(draft, caseworker, verified_client):  # type: ignore[no-untyped-def]
    _case, _code, document = draft
    client = verified_client(caseworker, language="en")
    filing_page = reverse("admin:casework_filing_change", args=[document.filing_id])
    page = client.get(filing_page).content.decode()
    assert "Share with the family" in page
    share_action = reverse("admin:casework_filing_action", args=[document.filing_id, "share"])
    refused = client.post(share_action, {"document": document.pk, "days": 99})
    assert refused.status_code == 200 and not DocumentShare.objects.exists()
    client.post(share_action, {"document": document.pk, "days": 10})
    share = DocumentShare.objects.get()
    assert share.shared_by == caseworker
    assert 9 <= (share.expires_at - timezone.now()).days <= 10
    page = client.get(filing_page).content.decode()
    assert 'id="filing-shares"' in page
    unshare = reverse("admin:casework_filing_action", args=[document.filing_id, "unshare"])
    client.post(unshare, {"share": str(share.public_id)})
    share.refresh_from_db()
    assert share.withdrawn_at is not None


def test_the_shared_docx_is_the_draft_the_caseworker_checked(draft, caseworker):  # type: ignore[no-untyped-def]
    case, code, document = draft
    share = document_share(document=document, days=3, actor=caseworker)
    family = Client()
    sign_in(family, case.reference, code)
    data = family.get(share_url(share)).content
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert "\n".join(paragraphs) == text_of(document)


@pytest.mark.integration
def test_the_pdf_is_made_by_the_real_worker_on_the_files_lane(celery_worker, team, caseworker):  # type: ignore[no-untyped-def]
    from django.db import transaction

    from tests.conftest import wait_for

    case, _code = case_with_code(team)
    with transaction.atomic():
        filing = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="complaint",
            signer="family",
            actor=None,
        )
    assert wait_for(
        lambda: GeneratedDocument.objects.filter(filing=filing, state="ready").exists(), 60
    )
    with transaction.atomic():
        share = document_share(
            document=GeneratedDocument.objects.get(filing=filing), days=3, actor=caseworker
        )
    assert wait_for(lambda: DocumentShare.objects.get(pk=share.pk).pdf_state != "pending", 120), (
        "no PDF in two minutes"
    )
    share.refresh_from_db()
    assert share.pdf_state == "ready" and base64.b64decode(share.pdf).startswith(b"%PDF")


def test_a_merge_of_two_families_cases_shows_neither_the_others_words_nor_drafts(  # type: ignore[no-untyped-def]
    draft, team, caseworker
):
    """A review's attack: two relatives (or a stranger who typed a reference on the intake
    form) wrote in separately; after a merge of one's case into the other's, the survivor's
    family must not see the other's own words, file names or drafts."""
    from casework.services.family import family_information_add
    from casework.services.people import case_merge

    victim, _victim_code, document = draft
    family_information_add(case=victim, text="СЛОВА-ЖЕНЫ: он звонил из части", uploads=[])
    share = document_share(document=document, days=14, actor=caseworker)
    other, other_code = case_with_code(team)
    assert other.applicant_id != victim.applicant_id
    coordinator = UserFactory(role=Role.COORDINATOR)
    case_merge(survivor=other, merged=victim, actor=coordinator)

    family = Client()
    sign_in(family, other.reference, other_code, address="198.51.100.9")
    page = family.get(reverse("portal:status")).content.decode()
    assert "СЛОВА-ЖЕНЫ" not in page and share_url(share) not in page
    assert family.get(share_url(share)).status_code == 404
    share.refresh_from_db()
    assert share.withdrawn_at is not None and share.pdf_state == DocumentShare.PdfState.REMOVED
    # Staff still see everything that came in, on the surviving case.
    assert any("СЛОВА-ЖЕНЫ" in entry.text for entry in other.timeline.all())


def test_withdrawing_is_written_in_the_timeline_and_a_late_pdf_after_expiry_is_not_kept(  # type: ignore[no-untyped-def]
    draft, caseworker, settings, tmp_path, monkeypatch
):
    from casework.services import document_shares

    settings.VAR_DIR = tmp_path
    case, _code, document = draft
    share = document_share(document=document, days=3, actor=caseworker)
    real = document_shares.docx_to_pdf

    def slow(data: bytes) -> bytes:  # the share runs out while LibreOffice is at work
        pdf = real(data)
        DocumentShare.objects.filter(pk=share.pk).update(expires_at=timezone.now())
        return pdf

    monkeypatch.setattr(document_shares, "docx_to_pdf", slow)
    document_share_pdf_make(share_id=share.pk)
    share.refresh_from_db()
    assert share.pdf == "" and share.pdf_state == DocumentShare.PdfState.PENDING
    other = document_share(document=document, days=3, actor=caseworker)
    document_share_withdraw(share=other, actor=caseworker)
    texts = [entry.text for entry in case.timeline.filter(kind="document")]
    assert sum("withdrawn" in text or "убран" in text for text in texts) == 1, texts
