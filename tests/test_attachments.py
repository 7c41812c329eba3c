"""Family uploads after the request: cleaned by a task, downloaded by staff with a second factor."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from casework.models import Attachment, AuditEvent, Case
from casework.roles import Role
from casework.services.attachments import (
    CLEANED,
    MAX_CLEAN_ATTEMPTS,
    ORIGINAL,
    Upload,
    attachment_clean,
    attachment_path,
    attachment_read,
    attachments_requeue_stale,
)
from casework.services.family import family_information_add
from tests.conftest import wait_for
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.portal_support import (
    aged_stamp,
    gps_jpeg,
    intake_post,
)
from tests.staff_support import verified_session

pytestmark = pytest.mark.usefixtures("media_root")


def upload(case: Case, data: bytes | None = None, *, clean_now: bool = True) -> Attachment:
    sent = Upload(data=data or gps_jpeg(), kind="jpeg", filename="IMG_77.jpg")
    entry = family_information_add(case=case, text="", uploads=[sent])
    attachment = Attachment.objects.get(timeline_entry=entry)
    if clean_now:
        attachment_clean(attachment_id=attachment.pk)
        attachment.refresh_from_db()
    return attachment


def exif_of(data: bytes) -> dict:  # type: ignore[type-arg]
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


@pytest.mark.django_db
def test_cleaning_removes_the_location_and_records_what_was_found():
    attachment = upload(CaseFactory())
    assert attachment.state == "clean" and attachment.cleaned_extension == "jpg"
    assert attachment.metadata_found == ["gps", "exif"]
    assert exif_of(attachment_read(attachment, CLEANED)) == {}
    assert 0x8825 in exif_of(attachment_read(attachment, ORIGINAL))  # the original is kept as sent


@pytest.mark.django_db
def test_cleaning_again_changes_nothing_and_a_bad_file_is_marked_failed():
    attachment = upload(CaseFactory())
    cleaned_at = attachment.cleaned_at
    assert attachment_clean(attachment_id=attachment.pk) is None
    attachment.refresh_from_db()
    assert attachment.cleaned_at == cleaned_at
    broken = upload(CaseFactory(), gps_jpeg()[:200])  # a truncated photo
    assert (broken.state, broken.failure) == ("failed", "unreadable")


@pytest.mark.django_db
def test_the_sweep_requeues_stale_uploads_and_gives_up_on_hopeless_ones():
    case = CaseFactory()
    stale, hopeless = upload(case, clean_now=False), upload(case, clean_now=False)
    Attachment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    Attachment.objects.filter(pk=hopeless.pk).update(attempts=MAX_CLEAN_ATTEMPTS)
    assert attachments_requeue_stale() == 1  # eager: cleaned right away
    stale.refresh_from_db()
    hopeless.refresh_from_db()
    assert stale.state == "clean"
    assert (hopeless.state, hopeless.failure) == ("failed", "gave_up")


@pytest.mark.django_db
def test_staff_download_the_cleaned_copy_under_a_neutral_name_audited(verified_client):
    team = TeamFactory()
    attachment = upload(CaseFactory(team=team))
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    response = verified_client(worker).get(f"/admin/attachments/{attachment.public_id}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="file-[0-9a-f]{4}\.jpg"', disposition)
    assert "IMG_77" not in disposition
    assert "no-store" in response["Cache-Control"]
    assert exif_of(response.content) == {}
    event = AuditEvent.objects.get(action="download")
    assert event.actor == worker and event.object_reference == attachment.case.reference
    assert event.detail["version"] == "cleaned"


@pytest.mark.django_db
def test_the_original_is_given_on_request_and_audited_as_such(verified_client):
    coordinator = UserFactory(role=Role.COORDINATOR)
    attachment = upload(CaseFactory())
    response = verified_client(coordinator).get(
        f"/admin/attachments/{attachment.public_id}/download/?version=original"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-original.jpg"')
    assert 0x8825 in exif_of(response.content)
    assert AuditEvent.objects.get(action="download").detail["version"] == "original"


@pytest.mark.django_db
def test_a_copy_still_being_cleaned_is_not_served(verified_client):
    attachment = upload(CaseFactory(), clean_now=False)
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    assert client.get(f"/admin/attachments/{attachment.public_id}/download/").status_code == 409
    assert not AuditEvent.objects.filter(action="download").exists()


@pytest.mark.django_db
def test_without_a_second_factor_or_visibility_there_is_no_file(verified_client):
    attachment = upload(CaseFactory(team=TeamFactory()))
    url = f"/admin/attachments/{attachment.public_id}/download/"
    unverified = Client()
    unverified.force_login(UserFactory(role=Role.COORDINATOR))
    response = unverified.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Client().get(url).status_code == 302
    outsider = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    assert verified_client(outsider).get(url).status_code == 404
    not_staff = UserFactory(role=Role.COORDINATOR, is_staff=False)
    assert verified_session(not_staff).get(url).status_code == 404
    assert (
        verified_client(UserFactory(role=Role.COORDINATOR))
        .get("/admin/attachments/00000000-0000-4000-8000-000000000000/download/")
        .status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action="download").exists()


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
def test_a_gps_photo_comes_out_clean_through_the_real_worker(celery_worker):
    client = Client()
    photo = SimpleUploadedFile("IMG_2041.jpg", gps_jpeg(), "image/jpeg")
    response = client.post("/ru/intake/", intake_post(uploads=photo, started=aged_stamp()))
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.state == "pending"  # the request only stored the encrypted original
    assert wait_for(
        lambda: Attachment.objects.filter(pk=attachment.pk, state="clean").exists(), timeout=60
    )
    attachment.refresh_from_db()
    assert "gps" in attachment.metadata_found
    cleaned = attachment_read(attachment, CLEANED)
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG" and dict(image.getexif()) == {}
        assert "exif" not in image.info
    stored = attachment_path(attachment.public_id, CLEANED).read_bytes()
    assert b"Canon" not in stored and b"JFIF" not in stored  # encrypted at rest too
