"""Retention: closed cases are erased after the promised months; nothing else is touched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from casework.models import Applicant, Attachment, AuditEvent, Case, Serviceman, TimelineEntry
from casework.roles import Role
from casework.services.attachments import CLEANED, ORIGINAL, attachment_path
from casework.services.cases import case_update
from tests.factories import CaseFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def closed(days_ago: int, **kwargs) -> Case:
    case = CaseFactory(status=Case.Status.CLOSED, **kwargs)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - dt.timedelta(days=days_ago))
    return case


def test_purge_erases_only_cases_closed_longer_than_promised(
    settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_MONTHS_AFTER_CLOSE = 12
    old = closed(400)
    TimelineEntryFactory(case=old)
    attachment = Attachment.objects.create(case=old, kind="jpeg", size=3, digest="")
    for version in (ORIGINAL, CLEANED):
        path = attachment_path(attachment.public_id, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"enc")
    recent, still_open = closed(30), CaseFactory()
    shared = closed(400, serviceman=still_open.serviceman)  # his other case is still open

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired")

    assert set(Case.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert not Serviceman.objects.filter(pk=old.serviceman_id).exists()
    assert not Applicant.objects.filter(pk=old.applicant_id).exists()
    assert Serviceman.objects.filter(pk=shared.serviceman_id).exists()
    assert not TimelineEntry.objects.filter(case_id=old.pk).exists()
    assert not attachment_path(attachment.public_id, ORIGINAL).exists()
    assert not attachment_path(attachment.public_id, CLEANED).exists()
    erased = AuditEvent.objects.filter(action="delete").values_list("object_reference", flat=True)
    assert sorted(erased) == sorted([old.reference, shared.reference])
    call_command("purge_expired")  # nothing more to do
    assert Case.objects.count() == 2


def test_closing_starts_the_retention_clock_and_reopening_stops_it():
    case = CaseFactory()
    actor = UserFactory(role=Role.COORDINATOR)
    case.status = Case.Status.CLOSED
    case_update(case=case, actor=actor, changed=["status"])
    assert Case.objects.get(pk=case.pk).closed_at is not None
    case.status = Case.Status.ACTIVE
    case_update(case=case, actor=actor, changed=["status"])
    assert Case.objects.get(pk=case.pk).closed_at is None
