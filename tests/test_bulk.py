"""The sweep's set-based writes (casework/services/bulk.py): rows inserted without model
instances get every default a model instance would, a conflicting row is skipped and leaves the
row already there untouched, and the array form of `IN` selects exactly the ids given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import AuditEvent, Case, Notification
from casework.services.bulk import ids_in, rows_insert
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
FIELDS = ("kind", "recipient_id", "case_id", "dedupe_key", "created_at")


def test_inserted_rows_take_the_model_defaults_and_a_conflict_leaves_the_old_row_alone():
    user, case = UserFactory(), CaseFactory()
    earlier = timezone.now() - timedelta(hours=1)
    old = Notification.objects.create(
        kind=Notification.Kind.DEADLINE_REMINDER,
        recipient=user,
        case=case,
        dedupe_key="deadline:1:day:0:1",
        state=Notification.State.SENT,
        attempts=2,
        created_at=earlier,
    )
    kind = Notification.Kind.DEADLINE_REMINDER.value
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows_insert(
            Notification,
            FIELDS,
            [
                (kind, user.pk, case.pk, "deadline:1:day:0:1", before),
                (kind, user.pk, case.pk, "deadline:2:day:0:1", before),
            ],
            ignore_conflicts=True,
        )
    assert len(queries) == 1
    old_after = Notification.objects.get(pk=old.pk)
    assert (old_after.state, old_after.attempts, old_after.created_at) == ("sent", 2, earlier)
    new = Notification.objects.get(dedupe_key="deadline:2:day:0:1")
    assert (new.kind, new.recipient_id, new.case_id, new.deadline_id) == (
        kind,
        user.pk,
        case.pk,
        None,
    )
    assert (new.state, new.attempts, new.urgent, new.failure) == ("pending", 0, False, "")
    assert (new.claimed_at, new.sent_at, new.given_up_at) == (None, None, None)
    assert new.created_at == before
    assert before <= new.next_attempt_at <= timezone.now()
    assert Notification.objects.count() == 2


def test_json_detail_and_auto_now_add_are_written_as_a_model_would():
    before = timezone.now()
    rows_insert(
        AuditEvent,
        ("action", "object_type", "object_reference", "detail"),
        [("change", "filing", "G-1", {"transition": "overdue", "fields": ["status"]})],
    )
    event = AuditEvent.objects.get(object_reference="G-1")
    assert event.detail == {"transition": "overdue", "fields": ["status"]}
    assert (event.action, event.object_type, event.actor_id) == ("change", "filing", None)
    assert before <= event.at <= timezone.now()


def test_nothing_to_insert_sends_no_statement():
    with CaptureQueriesContext(connection) as queries:
        rows_insert(Notification, FIELDS, [])
    assert len(queries) == 0


def test_ids_in_selects_exactly_the_ids_given():
    cases = [CaseFactory() for _ in range(4)]
    wanted = [cases[0].pk, cases[2].pk]
    assert sorted(Case.objects.filter(ids_in("pk", wanted)).values_list("pk", flat=True)) == wanted
    assert not Case.objects.filter(ids_in("pk", [])).exists()
