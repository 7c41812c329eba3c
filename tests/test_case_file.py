"""Issue 16, item 8: a case file for a lawyer. One AES-encrypted zip per case (the record with
the chronology and every filing's numbers, the drafts, the cleaned files) under a password
shown once and kept nowhere; coordinators only; audited."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
import pyzipper
from django.contrib.sessions.models import Session
from docx import Document

from casework.exceptions import NotFoundError, PermissionDeniedError, RuleError
from casework.models import AuditEvent, CaseFact, Filing, GeneratedDocument
from casework.roles import Role
from casework.services.case_file import (
    PASSWORD_PATTERN,
    case_file_export,
    case_file_password,
)
from casework.services.filings import filing_create, filing_mark_sent, filing_record_registration
from tests.factories import CaseFactory, UserFactory
from tests.test_documents import office

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def case(team, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    case = CaseFactory(team=team)
    case.serviceman.surname, case.serviceman.captured_on = "Зуев", date(2024, 5, 2)
    case.serviceman.save(update_fields=["surname", "captured_on"])
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="complaint",
            signer="family",
            actor=None,
        )
    filing_mark_sent(filing=filing, actor=None, sent_on=date(2025, 3, 3), method="e_reception")
    filing_record_registration(
        filing=Filing.objects.get(pk=filing.pk),
        actor=None,
        registration_number="ВП-1234",
        registered_on=date(2025, 3, 10),
    )
    assert GeneratedDocument.objects.filter(filing=filing, state="ready").count() == 1
    CaseFact.objects.create(
        case=case,
        kind=CaseFact.Kind.HOSPITALISED,
        happened_on=date(2024, 11, 1),
        precision=CaseFact.Precision.MONTH,
        text="военный госпиталь Ростова",
        source="со слов матери",
        use_in_documents=False,  # a lawyer's file has every fact, marked for documents or not
    )
    return case


def record_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_a_coordinator_gets_the_whole_case_in_an_encrypted_zip(case, coordinator):  # type: ignore[no-untyped-def]
    password = case_file_password()
    assert PASSWORD_PATTERN.match(password)
    file = case_file_export(case=case, password=password, actor=coordinator)
    assert file.filename == f"{case.reference}-case-file.zip"
    # Nothing personal readable without the password, not even in the zip's own bytes.
    assert "Зуев".encode() not in file.data and "ВП-1234".encode() not in file.data
    with pyzipper.AESZipFile(io.BytesIO(file.data)) as archive:
        names = archive.namelist()
        with pytest.raises(RuntimeError):
            archive.read(names[0])  # no password
        archive.setpassword(b"WRONG-WRONG-WRONG")
        with pytest.raises(RuntimeError):
            archive.read(names[0])
        archive.setpassword(password.encode())
        record = record_text(archive.read(f"{case.reference}.docx"))
        drafts = [name for name in names if name.startswith("drafts/")]
        assert len(drafts) == 1 and archive.read(drafts[0])[:2] == b"PK"
    filing = Filing.objects.get(case=case)
    assert "Зуев" in record and filing.reference in record and "ВП-1234" in record
    assert "11.2024 — госпитализация: военный госпиталь Ростова (со слов матери)" in record
    assert "госпиталь".encode() not in file.data
    # The chronology in order: captured, the intake, sent, registered.
    days = re.findall(r"^(\d\d\.\d\d\.\d{4}) — ", record, re.MULTILINE)
    assert days[0] == "02.05.2024" and "03.03.2025" in days and "10.03.2025" in days
    assert days == sorted(days, key=lambda d: d[6:] + d[3:5] + d[:2])
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_reference=case.reference)
    assert event.actor == coordinator
    assert event.detail == {"case_file": True, "filings": 1, "drafts": 1, "files": 0}
    with pytest.raises((NotImplementedError, RuntimeError)):
        zipfile.ZipFile(io.BytesIO(file.data)).read(names[0])  # an ordinary unzip cannot read it


@pytest.mark.parametrize("password", ["", "12345", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "ok" * 20])
def test_only_a_password_the_page_made_is_taken(case, coordinator, password):  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    with pytest.raises(RuleError):
        case_file_export(case=case, password=password, actor=coordinator)
    assert AuditEvent.objects.count() == before


def test_caseworkers_and_other_roles_get_no_case_file(case, caseworker):  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    with pytest.raises(PermissionDeniedError):
        case_file_export(case=case, password=case_file_password(), actor=caseworker)
    for role in (Role.AUDITOR, Role.ADMINISTRATOR):
        with pytest.raises(NotFoundError):
            stranger = UserFactory(role=role)
            case_file_export(case=case, password=case_file_password(), actor=stranger)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == before


def test_the_page_shows_a_new_password_once_and_the_post_downloads(  # type: ignore[no-untyped-def]
    case, coordinator, caseworker, verified_client
):
    url = f"/admin/casework/case/{case.pk}/case-file/"
    shown_at = re.compile(r'<output id="case-file-password" class="cw-password">([^<]+)</output>')
    client = verified_client(coordinator, language="ru")
    first = shown_at.findall(client.get(url).content.decode())
    page = client.get(url).content.decode()
    [password] = shown_at.findall(page)
    assert PASSWORD_PATTERN.match(password) and first != [password]  # a new one each time
    assert 'name="password"' not in page  # the browser never sends it back
    case_page = client.get(f"/admin/casework/case/{case.pk}/change/").content.decode()
    assert url in case_page
    # Whatever is posted, the zip takes the password the page showed last (a weak one posted
    # is ignored), and that password works once.
    response = client.post(url, {"password": "22222-22222-22222-22222-22222-22222"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        archive.setpassword(b"22222-22222-22222-22222-22222-22222")
        with pytest.raises(RuntimeError):
            archive.read(f"{case.reference}.docx")
        archive.setpassword(password.encode())
        archive.read(f"{case.reference}.docx")
    again = client.post(url, {})
    assert again.status_code == 200 and again["Content-Type"].startswith("text/html")
    assert password not in again.content.decode()
    worker = verified_client(caseworker, language="ru")
    assert worker.get(url).status_code == 403
    assert worker.post(url, {"password": password}).status_code == 403
    assert url not in worker.get(f"/admin/casework/case/{case.pk}/change/").content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
    # The session holds the password only encrypted under the field keys.
    assert all(password not in str(row.get_decoded()) for row in Session.objects.all())
