"""Issue 13, item 6: no page shows a case without a view event, and audit rows cannot be
rewritten or deleted in the database, except by the retention purge's own path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent, Case, TimelineEntry
from casework.roles import Role
from casework.services.audit import audit_record
from tests.factories import CaseFactory, TeamFactory, TimelineEntryFactory, UserFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db


def case_views(case: Case) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="case", object_reference=case.reference
    ).count()


def test_a_case_page_shown_again_after_an_invalid_post_is_audited():
    team = TeamFactory()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    case = CaseFactory(team=team, status=Case.Status.ACTIVE)
    case.serviceman.surname = "Кандыбалов"
    case.serviceman.save()
    client = signed_in(caseworker)
    before = case_views(case)

    # An invalid status: the form comes back with the case's people on it.
    response = client.post(
        reverse("admin:casework_case_change", args=[case.pk]), {"status": "no-such-status"}
    )

    assert response.status_code == 200
    assert "Кандыбалов" in response.content.decode()
    assert case_views(case) == before + 1
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).latest("id")
    assert event.actor == caseworker
    assert Case.objects.get(pk=case.pk).status == Case.Status.ACTIVE  # nothing saved


def test_an_invalid_post_to_a_serviceman_page_is_audited_too():
    team = TeamFactory()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    case = CaseFactory(team=team)
    client = signed_in(caseworker)
    serviceman = case.serviceman

    response = client.post(
        reverse("admin:casework_serviceman_change", args=[serviceman.pk]),
        {"birth_date": "not a date"},
    )

    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="serviceman", actor=caseworker
    ).exists()


# --- Append-only in the database ----------------------------------------------------------------


def _event(*, days_ago: int = 0) -> AuditEvent:
    if not days_ago:
        return audit_record(actor=None, action=AuditEvent.Action.LOGIN, reference="probe")
    # A row written long ago (`at` is set on insert, and no row may be changed afterwards).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} (action, object_type, object_reference,"  # noqa: S608
            " detail, at) VALUES ('login', '', 'probe', '{}', %s) RETURNING id",
            [timezone.now() - dt.timedelta(days=days_ago)],
        )
        return AuditEvent.objects.get(pk=cursor.fetchone()[0])


def test_the_database_refuses_to_change_an_audit_row():
    event = _event()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_reference="rewritten")
    event.refresh_from_db()
    assert event.object_reference == "probe"


def test_the_database_refuses_to_delete_an_audit_row():
    event = _event()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_cannot_rewrite_or_delete_either():
    event = _event()
    table = AuditEvent._meta.db_table
    for statement in (
        f"UPDATE {table} SET action = 'view' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert (event.action, event.object_reference) == (AuditEvent.Action.LOGIN, "probe")


def test_deleting_a_staff_member_with_a_history_is_refused():
    from django.db.models import ProtectedError

    person = UserFactory(role=Role.CASEWORKER)
    audit_record(actor=person, action=AuditEvent.Action.LOGIN)
    with pytest.raises(ProtectedError):
        person.delete()
    assert AuditEvent.objects.filter(actor=person).count() == 1


def test_the_purge_permission_ends_with_its_transaction():
    from casework.services.audit import audit_events_purge

    old = _event()
    assert audit_events_purge(before=timezone.now() - dt.timedelta(days=1)) == 0
    # Right after a purge, the same connection is refused again.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()
    assert AuditEvent.objects.filter(pk=old.pk).exists()


def test_retention_erases_only_audit_rows_older_than_promised(settings):
    settings.AUDIT_RETENTION_MONTHS = 24
    old, recent = _event(days_ago=30 * 25), _event(days_ago=30 * 23)

    call_command("purge_expired")

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    purge = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_type="auditevent")
    assert purge.actor is None and purge.detail["count"] == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=recent.pk).delete()  # and the door is shut again


def test_retention_keeps_the_audit_when_told_to_keep_it_forever(settings):
    settings.AUDIT_RETENTION_MONTHS = 0
    event = _event(days_ago=3650)
    call_command("purge_expired")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_case_keeps_its_audit_rows():
    team = TeamFactory()
    case = CaseFactory(team=team)
    TimelineEntryFactory(case=case)
    created = audit_record(actor=None, action=AuditEvent.Action.VIEW, obj=case)
    from casework.services.cases import case_delete

    case_delete(case=case, actor=None)
    assert AuditEvent.objects.filter(pk=created.pk).exists()
    assert not TimelineEntry.objects.filter(case_id=case.pk).exists()
