"""Caseworker-side services for the family portal: messages, family status, receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import AuditEvent, Case, IntakeSubmission, TimelineEntry
from casework.roles import Role
from casework.selectors import family_messages
from casework.services.family import family_message_post, family_status_set
from casework.services.intake import intake_receipts_expire
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_message_to_the_family_is_visible_for_the_configured_days(settings):
    settings.FAMILY_MESSAGE_DAYS = 10
    case, worker = CaseFactory(), UserFactory(role=Role.COORDINATOR)
    entry = family_message_post(case=case, actor=worker, text="Мы отправили жалобу.")
    assert entry.kind == TimelineEntry.Kind.MESSAGE_OUT and entry.visible_to_family
    assert entry.visible_until - entry.created_at == timedelta(days=10)
    assert list(family_messages(case=case)) == [entry]
    event = AuditEvent.objects.get(action="create", object_type="timelineentry")
    assert event.actor == worker and event.object_reference == case.reference
    assert "жалобу" not in str(event.detail)


def test_expired_and_hidden_entries_are_not_the_familys(settings):
    case, worker = CaseFactory(), UserFactory(role=Role.COORDINATOR)
    entry = family_message_post(case=case, actor=worker, text="Старое.")
    TimelineEntry.objects.filter(pk=entry.pk).update(
        visible_until=timezone.now() - timedelta(minutes=1)
    )
    TimelineEntry.objects.create(case=case, kind="note", text="Внутреннее.")
    other = family_message_post(case=CaseFactory(), actor=worker, text="Чужое дело.")
    assert list(family_messages(case=case)) == []
    assert list(family_messages(case=other.case)) == [other]


def test_setting_the_family_status_is_audited_and_repeats_are_no_ops():
    case, worker = CaseFactory(), UserFactory(role=Role.COORDINATOR)
    family_status_set(case=case, actor=worker, family_status="need_information")
    family_status_set(case=case, actor=worker, family_status="need_information")
    case.refresh_from_db()
    assert case.family_status == Case.FamilyStatus.NEED_INFORMATION
    events = AuditEvent.objects.filter(action="change", object_reference=case.reference)
    assert [e.detail for e in events] == [
        {"fields": ["family_status"], "family_status": "need_information"}
    ]
    assert TimelineEntry.objects.filter(case=case, kind="status").count() == 1


def test_an_unknown_family_status_is_refused_and_nothing_changes():
    case, worker = CaseFactory(), UserFactory(role=Role.COORDINATOR)
    with pytest.raises(ValueError):
        family_status_set(case=case, actor=worker, family_status="hacked")
    case.refresh_from_db()
    assert case.family_status == "received" and not AuditEvent.objects.exists()


def test_unconfirmed_access_codes_are_forgotten_after_a_day(settings):
    old = IntakeSubmission.objects.create(
        token_hash="old", case=CaseFactory(), access_code="1" * 16
    )
    new = IntakeSubmission.objects.create(
        token_hash="new", case=CaseFactory(), access_code="2" * 16
    )
    IntakeSubmission.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.INTAKE_RECEIPT_HOURS + 1)
    )
    assert intake_receipts_expire() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.access_code, new.access_code) == ("", "2" * 16)


@pytest.mark.django_db
def test_a_repeated_status_form_adds_once():
    from casework.models import TimelineEntry
    from casework.services.family import family_information_add

    case = CaseFactory()
    first = family_information_add(case=case, text="Его перевели.", uploads=[], token="form-1")
    again = family_information_add(case=case, text="Его перевели.", uploads=[], token="form-1")
    assert again.pk == first.pk
    assert TimelineEntry.objects.filter(case=case).count() == 1
    other = family_information_add(case=case, text="Ещё.", uploads=[], token="form-2")
    assert other.pk != first.pk
