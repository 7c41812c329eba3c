"""Issue 13, item 3: no plain hash that identifies people. A SHA-256 of an original upload or of
a deterministic .docx let someone holding a dump test "is this case about soldier X?" offline:
hash a guessed file, look for it. Stored checksums are keyed (HMAC under a key derived from
BLIND_INDEX_KEYS), rotated by rotate_keys, never copied into the audit; each .docx is unique."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from django.db import connection
from django.test import override_settings
from docx import Document
from PIL import Image

from casework import crypto
from casework.models import Attachment, AuditEvent, AuthorityOffice, GeneratedDocument
from casework.roles import Role
from casework.services.attachments import (
    ORIGINAL,
    Upload,
    attachment_clean,
    attachment_path,
    attachment_read,
)
from casework.services.documents import document_request
from casework.services.family import family_information_add
from casework.services.filings import filing_create
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.portal_support import gps_jpeg
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db


def dump_text() -> str:
    """What a dump shows of the two tables and the audit: every column as stored."""
    text = []
    with connection.cursor() as cursor:
        for model in (Attachment, GeneratedDocument, AuditEvent):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            text += [json.dumps(row, default=str) for row in cursor.fetchall()]
    return "\n".join(text)


def uploaded(case, data: bytes) -> Attachment:  # type: ignore[no-untyped-def]
    entry = family_information_add(
        case=case, text="", uploads=[Upload(data=data, kind="jpeg", filename="IMG_1.jpg")]
    )
    return Attachment.objects.get(timeline_entry=entry)


def drafted(case):  # type: ignore[no-untyped-def]
    """A draft filing to the Ministry; its document is made after commit."""
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    return filing


def test_a_guessed_upload_cannot_be_tested_against_a_dump():
    photo = gps_jpeg()  # a dump holder who has the same photo (a public post, a seized phone)
    case = CaseFactory()
    attachment = uploaded(case, photo)
    attachment_clean(attachment_id=attachment.pk)
    guess = hashlib.sha256(photo).hexdigest()
    assert guess not in dump_text().lower()
    assert guess.upper() not in dump_text()


def test_two_drafts_of_the_same_facts_differ_and_no_plain_hash_is_stored(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        filing = drafted(case)
    with django_capture_on_commit_callbacks(execute=True):
        document_request(filing=filing, actor=None)
    first, second = GeneratedDocument.objects.filter(filing=filing).order_by("pk")
    data = [base64.b64decode(d.content) for d in (first, second)]
    # The same template over the same facts: the text is the same, the file is not.
    texts = [[p.text for p in Document(io.BytesIO(d)).paragraphs] for d in data]
    assert texts[0] == texts[1]
    assert data[0] != data[1]
    identifiers = [Document(io.BytesIO(d)).core_properties.identifier for d in data]
    assert identifiers[0] != identifiers[1] and all(len(i) >= 32 for i in identifiers)
    dump = dump_text()
    for content in data:
        assert hashlib.sha256(content).hexdigest() not in dump


def test_a_download_is_audited_without_any_checksum(django_capture_on_commit_callbacks):
    team = TeamFactory()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    case = CaseFactory(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        filing = drafted(case)
    document = GeneratedDocument.objects.get(filing=filing)
    client = signed_in(caseworker)
    page = client.get(f"/admin/casework/filing/{filing.pk}/change/").content.decode()
    response = client.get(f"/admin/documents/{document.pk}/download/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.detail == {"filing": filing.reference}
    assert hashlib.sha256(response.content).hexdigest()[:12] not in page
    # What the page shows proves which draft was downloaded, to someone holding the key.
    document.refresh_from_db()
    assert crypto.content_digest_matches(response.content, document.digest)
    assert document.digest.split(crypto.SEPARATOR)[1][:12] in page


NEW_INDEX_KEY = "new-index-key-for-digests"


def test_rotation_re_keys_the_checksums_and_the_old_key_can_go(
    django_capture_on_commit_callbacks,
):
    from casework.services.keys import keys_rotate

    case = CaseFactory()
    attachment = uploaded(case, gps_jpeg())
    with django_capture_on_commit_callbacks(execute=True):
        filing = drafted(case)
    document = GeneratedDocument.objects.get(filing=filing)
    old_index = list(crypto.settings.BLIND_INDEX_KEYS)
    try:
        with override_settings(BLIND_INDEX_KEYS=[NEW_INDEX_KEY, *old_index]):
            crypto.reset_key_cache()
            report = keys_rotate(batch_size=2)
            assert report.digests == 2
            assert keys_rotate(batch_size=2).digests == 0  # resumable: nothing left
        with override_settings(BLIND_INDEX_KEYS=[NEW_INDEX_KEY]):
            crypto.reset_key_cache()
            attachment.refresh_from_db()
            document.refresh_from_db()
            new_id = crypto.key_id(NEW_INDEX_KEY)
            assert attachment.digest.startswith(new_id + crypto.SEPARATOR)
            assert document.digest.startswith(new_id + crypto.SEPARATOR)
            original = attachment_read(attachment, ORIGINAL)
            assert crypto.content_digest_matches(original, attachment.digest)
            assert crypto.content_digest_matches(
                base64.b64decode(document.content), document.digest
            )
            # The cleaning task still proves the original is what was received.
            assert attachment_clean(attachment_id=attachment.pk).state == "clean"
    finally:
        crypto.reset_key_cache()


def test_a_changed_original_is_still_caught():
    case = CaseFactory()
    blue = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(blue, "JPEG")
    attachment, other = uploaded(case, gps_jpeg()), uploaded(case, blue.getvalue())
    # Swap the stored originals: each no longer matches its own row's checksum.
    first, second = (attachment_path(a.public_id, ORIGINAL) for a in (attachment, other))
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    assert attachment_clean(attachment_id=attachment.pk).failure == "checksum_mismatch"


def test_the_migration_helper_keys_a_stored_sha256_as_new_rows_are_keyed():
    data = b"%PDF-1.4 scan"
    assert crypto.content_digest_of_sha256(hashlib.sha256(data).hexdigest()) == (
        crypto.content_digest(data)
    )
    assert crypto.content_digest_matches(data, crypto.content_digest(data))
    assert not crypto.content_digest_matches(data + b"x", crypto.content_digest(data))
