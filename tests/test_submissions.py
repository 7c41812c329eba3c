"""One-time submission tokens when two requests carry one token at the very same moment."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from casework.models import AuditEvent, TimelineEntry
from casework.roles import Role
from casework.services.cases import timeline_entry_add
from tests.factories import CaseFactory, UserFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_simultaneous_repeat_waits_for_the_first_and_returns_its_entry():
    user = UserFactory(role=Role.CASEWORKER)
    case = CaseFactory(assignee=user)
    inserted, first = threading.Event(), {}

    def add_first() -> None:
        try:
            with transaction.atomic():
                first["entry"] = timeline_entry_add(
                    case=case, actor=user, kind="note", text="Звонила мать", token="tap"
                )
                inserted.set()
                time.sleep(0.5)  # not committed yet when the repeat arrives
        finally:
            connection.close()

    thread = threading.Thread(target=add_first)
    thread.start()
    assert inserted.wait(timeout=10)
    # The repeat sees no committed row, so it inserts, waits on the unique token, then yields.
    repeat = timeline_entry_add(
        case=case, actor=user, kind="note", text="Звонила мать", token="tap"
    )
    thread.join()
    assert repeat.pk == first["entry"].pk
    assert TimelineEntry.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="create", object_reference=case.reference).count() == 1
