"""Proof and answers on file: staff scans on a filing and on a case, stored like a family's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from casework.exceptions import NotFoundError, TransitionError
from casework.models import (
    Attachment,
    AuditEvent,
    AuthorityOffice,
    Filing,
    TimelineEntry,
)
from casework.roles import Role
from casework.services.attachments import (
    CLEANED,
    ORIGINAL,
    Upload,
    attachment_path,
    attachment_read,
    staff_upload_add,
)
from casework.services.filings import filing_create, filing_mark_sent, filing_record_response
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.portal_support import gps_jpeg, tiny_pdf
from tests.test_portal_browser import live_site  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
TODAY = timezone.localdate()


@pytest.fixture
def case(team, caseworker):  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker)


def draft(case) -> Filing:  # type: ignore[no-untyped-def]
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    return filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)


def scan(name: str = "IMG_0042.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or gps_jpeg(), content_type="image/jpeg")


def stored_files(media_root: Path) -> list[Path]:
    folder = media_root / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def action_url(filing: Filing, name: str) -> str:
    return reverse("admin:casework_filing_action", args=[filing.pk, name])


def test_registered_mail_without_a_receipt_or_a_reason_is_refused_and_changes_nothing(
    case, caseworker, media_root
):
    filing = draft(case)
    with translation.override("en"), pytest.raises(TransitionError) as refused:
        filing_mark_sent(
            filing=filing,
            actor=caseworker,
            sent_on=TODAY,
            method="registered_mail",
            tracking_number="RA123456789RU",
        )
    assert "post office receipt" in refused.value.message
    filing.refresh_from_db()
    assert (filing.status, filing.sent_on, filing.proof_id) == ("draft", None, None)
    assert not Attachment.objects.exists() and stored_files(media_root) == []


def test_a_refused_sending_removes_the_scan_it_had_stored(case, caseworker, media_root):
    filing = draft(case)
    with pytest.raises(TransitionError):
        filing_mark_sent(
            filing=filing,
            actor=caseworker,
            sent_on=TODAY + timedelta(days=1),  # in the future: refused after the scan is stored
            method="registered_mail",
            tracking_number="RA1",
            proof=Upload(data=gps_jpeg(), kind="jpeg", filename="r.jpg"),
        )
    assert not Attachment.objects.exists() and stored_files(media_root) == []
    assert Filing.objects.get(pk=filing.pk).status == "draft"


def test_mark_sent_with_the_receipt_through_the_admin_keeps_it_encrypted_and_cleaned(
    verified_client, caseworker, case, media_root, django_capture_on_commit_callbacks
):
    filing = draft(case)
    client = verified_client(caseworker)
    form = client.get(action_url(filing, "sent")).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="proof"' in form
    with django_capture_on_commit_callbacks(execute=True):  # the cleaning task, eagerly
        response = client.post(
            action_url(filing, "sent"),
            {
                "sent_on": (TODAY - timedelta(days=2)).isoformat(),
                "method": "registered_mail",
                "tracking_number": "RA123456789RU",
                "proof": scan(),
            },
        )
    assert response.status_code == 302
    filing.refresh_from_db()
    proof = filing.proof
    assert proof is not None and filing.status == "sent" and filing.proof_to_follow == ""
    assert (proof.source, proof.document_kind, proof.filing_id, proof.case_id) == (
        "staff",
        "receipt",
        filing.pk,
        case.pk,
    )
    assert (proof.uploaded_by, proof.filename) == (caseworker, "IMG_0042.jpg")
    # Encrypted on disk like a family's file; the cleaned copy was made by the (eager) task.
    on_disk = attachment_path(proof.public_id, ORIGINAL).read_bytes()
    assert b"\xff\xd8" not in on_disk[:64] and attachment_read(proof, ORIGINAL) == gps_jpeg()
    assert (proof.state, proof.metadata_found) == ("clean", ["gps", "exif"])
    assert attachment_read(proof, CLEANED)[:2] == b"\xff\xd8"
    # The timeline is written in the organisation's language (LANGUAGE_CODE: Russian).
    assert TimelineEntry.objects.filter(case=case, kind="upload").get().text == (
        f"Скан добавлен к обращению {filing.reference}: почтовая квитанция."
    )
    created = AuditEvent.objects.get(action="create", object_type="attachment")
    assert created.detail == {
        "attachment": str(proof.public_id),
        "document": "receipt",
        "filing": filing.reference,
    }
    # The filing page lists it; downloading it is audited.
    page = client.get(reverse("admin:casework_filing_change", args=[filing.pk])).content.decode()
    assert "post office receipt" in page and str(proof.public_id) in page
    download = client.get(reverse("attachment_download", args=[proof.public_id]))
    assert download.status_code == 200 and download.content[:2] == b"\xff\xd8"
    audited = AuditEvent.objects.get(action="download")
    assert audited.detail == {"attachment": str(proof.public_id), "version": CLEANED}


def test_proof_to_follow_then_the_receipt_uploaded_on_the_filing_page(
    verified_client, caseworker, case
):
    filing = draft(case)
    client = verified_client(caseworker)
    client.post(
        action_url(filing, "sent"),
        {
            "sent_on": TODAY.isoformat(),
            "method": "registered_mail",
            "tracking_number": "RA1",
            "proof_to_follow": "the receipt is with the mother",
        },
    )
    filing.refresh_from_db()
    assert (filing.status, filing.proof_id) == ("sent", None)
    assert filing.proof_to_follow == "the receipt is with the mother"
    page = client.get(reverse("admin:casework_filing_change", args=[filing.pk])).content.decode()
    assert "No receipt on file yet: the receipt is with the mother" in page

    response = client.post(
        action_url(filing, "upload"),
        {"document_kind": "receipt", "scan": scan("receipt.pdf", tiny_pdf())},
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.proof is not None and filing.proof.kind == "pdf"
    assert filing.proof_to_follow == ""
    # A delivery notice later is kept too, and does not replace the proof of sending.
    client.post(action_url(filing, "upload"), {"document_kind": "delivery_notice", "scan": scan()})
    filing.refresh_from_db()
    kinds = list(filing.attachments.order_by("pk").values_list("document_kind", flat=True))
    assert kinds == ["receipt", "delivery_notice"] and filing.proof.document_kind == "receipt"


def test_the_answer_letter_is_kept_with_the_response(verified_client, caseworker, case):
    filing = filing_mark_sent(
        filing=draft(case), actor=None, sent_on=TODAY - timedelta(days=5), method="e_reception"
    )
    response = verified_client(caseworker).post(
        action_url(filing, "response"),
        {"answered_on": TODAY.isoformat(), "outcome": "refused", "answer": scan("answer.jpg")},
    )
    assert response.status_code == 302
    answer = Attachment.objects.get(filing=filing)
    assert (answer.document_kind, answer.source, answer.uploaded_by) == (
        "answer",
        "staff",
        caseworker,
    )
    assert Filing.objects.get(pk=filing.pk).status == "answered"


def test_a_forwarded_filing_sent_by_registered_mail_follows_without_a_receipt(case):
    filing = filing_mark_sent(
        filing=draft(case),
        actor=None,
        sent_on=TODAY - timedelta(days=5),
        method="registered_mail",
        tracking_number="RA1",
        proof=Upload(data=gps_jpeg(), kind="jpeg", filename="r.jpg"),
    )
    prosecutor = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").first()
    filing_record_response(
        filing=filing, actor=None, answered_on=TODAY, outcome="forwarded", forwarded_to=prosecutor
    )
    follow_up = Filing.objects.get(escalates=filing)
    assert (follow_up.status, follow_up.proof_id) == ("sent", None)
    assert follow_up.proof_to_follow == f"forwarded by the authority (answer to {filing.reference})"


def test_a_case_scan_through_the_case_page(verified_client, caseworker, case):
    client = verified_client(caseworker)
    change_url = reverse("admin:casework_case_change", args=[case.pk])
    assert 'id="case-upload-form"' in client.get(change_url).content.decode()
    response = client.post(
        reverse("admin:casework_case_scans", args=[case.pk]),
        {"document_kind": "other", "scan": scan()},
    )
    assert (response.status_code, response["Location"]) == (302, f"{change_url}#case-files")
    attachment = Attachment.objects.get(case=case)
    assert (attachment.filing_id, attachment.document_kind, attachment.source) == (
        None,
        "other",
        "staff",
    )
    assert "other document" in client.get(change_url).content.decode()


def test_a_file_that_is_not_a_scan_is_refused_and_nothing_is_kept(
    verified_client, caseworker, case, media_root
):
    client = verified_client(caseworker)
    response = client.post(
        reverse("admin:casework_case_scans", args=[case.pk]),
        {"document_kind": "other", "scan": scan("notes.jpg", b"just some text, not a picture")},
        follow=True,
    )
    assert response.status_code == 200
    assert not Attachment.objects.exists() and stored_files(media_root) == []
    assert not AuditEvent.objects.filter(object_type="attachment").exists()


def test_another_team_cannot_upload_to_the_case_and_nothing_is_kept(
    verified_client, case, media_root
):
    stranger = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    response = verified_client(stranger).post(
        reverse("admin:casework_case_scans", args=[case.pk]),
        {"document_kind": "other", "scan": scan()},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    with pytest.raises(NotFoundError):
        staff_upload_add(
            case=case,
            actor=stranger,
            upload=Upload(data=gps_jpeg(), kind="jpeg", filename="a.jpg"),
            document_kind="other",
        )
    assert not Attachment.objects.exists() and stored_files(media_root) == []


def test_an_auditor_may_not_upload(verified_client, case, media_root):
    auditor = UserFactory(role=Role.AUDITOR)
    response = verified_client(auditor).post(
        reverse("admin:casework_case_scans", args=[case.pk]),
        {"document_kind": "other", "scan": scan()},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")  # not there
    assert not Attachment.objects.exists() and stored_files(media_root) == []


@pytest.mark.integration
def test_a_caseworker_uploads_the_receipt_in_a_browser(
    media_root,
    live_site,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    from playwright.sync_api import sync_playwright

    from tests.factories import STAFF_PASSWORD, TOTPDeviceFactory
    from tests.staff_support import totp_token
    from tests.test_portal_browser import CHROMIUM_ARGS

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    team = TeamFactory()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    device = TOTPDeviceFactory(user=caseworker)
    case = CaseFactory(team=team, assignee=caseworker)
    filing = draft(case)
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(gps_jpeg())
    answer = tmp_path / "answer.pdf"
    answer.write_bytes(tiny_pdf())
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="en-GB").new_page()
        page.goto(f"{live_site}/admin/")
        page.fill("#id_username", caseworker.username)
        page.fill("#id_password", STAFF_PASSWORD)
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_site}{reverse('admin:casework_filing_change', args=[filing.pk])}")
        page.click("text=Mark sent")
        page.fill("#id_sent_on", TODAY.isoformat())
        page.select_option("#id_method", "registered_mail")
        page.fill("#id_tracking_number", "RA123456789RU")
        page.set_input_files("#id_proof", str(photo))
        page.click("#filing-action-form input[type=submit]")
        page.wait_for_load_state()
        assert "is marked sent" in page.content()
        assert page.locator("#filing-scans tbody tr").count() == 1
        # A scan that comes later, from the filing page's own form.
        page.select_option("#filing-upload-form select", "delivery_notice")
        page.set_input_files("#filing-upload-form input[type=file]", str(answer))
        page.click("#filing-upload-form input[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#filing-scans tbody tr").count() == 2
        chromium.close()
    filing.refresh_from_db()
    assert filing.status == "sent" and filing.proof is not None
    assert (filing.proof.document_kind, filing.proof.filename, filing.proof.state) == (
        "receipt",
        "IMG_0042.jpg",
        "clean",  # cleaned by the server's task (eager under the test settings)
    )
    kinds = sorted(Attachment.objects.filter(filing=filing).values_list("document_kind", flat=True))
    assert kinds == ["delivery_notice", "receipt"]
    assert len(stored_files(media_root)) == 4  # each an encrypted original and cleaned copy


def test_an_upload_without_the_csrf_token_is_refused(verified_client, caseworker, case, media_root):
    """The scan views read the body in memory, so they check CSRF themselves, after the swap."""
    client = verified_client(caseworker)
    client.handler.enforce_csrf_checks = True  # signed in; from now on as a browser would be
    filing = draft(case)
    for url in (
        reverse("admin:casework_case_scans", args=[case.pk]),
        action_url(filing, "upload"),
    ):
        response = client.post(url, {"document_kind": "other", "scan": scan()})
        assert response.status_code == 403 and b"CSRF verification failed" in response.content
    assert not Attachment.objects.exists() and stored_files(media_root) == []
