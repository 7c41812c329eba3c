"""The deadline sweep: its cost follows the clocks that changed, never how many clocks exist, and
it keeps its behaviour (overdue filings with their court limit, missed clocks, one reminder row
per deadline, stage, due moment and recipient, digests after commit)."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import AuditEvent, AuthorityOffice, Case, Deadline, Filing, Notification
from casework.roles import Role
from casework.services.filings import filing_create, filing_mark_sent
from casework.services.reminders import deadlines_sweep
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return TeamFactory()


@pytest.fixture
def worker(team):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.CASEWORKER, teams=[team], email="worker@example.org")


def sent_filing(case: Case, *, on: dt.date) -> Filing:
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    return filing_mark_sent(filing=filing, actor=None, sent_on=on, method="e_reception")


def populate(team, worker, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` cases of every kind the sweep meets: a clock far off, one due within a week,
    one answered, one that ran out long ago (after a first sweep, all of them settled)."""
    today = timezone.localdate()
    for index in range(count):
        case = CaseFactory(team=team, assignee=worker)
        sent_filing(case, on=today - timedelta(days=(index % 4) * 10))
        Deadline.objects.create(
            case=case,
            kind=Deadline.Kind.CUSTOM,
            due_at=timezone.now() + timedelta(days=3, hours=index % 5),
            responsible=worker,
            backup_team=team,
        )
    deadlines_sweep()


def sweep_statements(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements of one sweep. Each batch is a transaction of its own; inside the test's
    transaction those are savepoints, which are left out (a real BEGIN/COMMIT is not logged)."""
    with CaptureQueriesContext(connection) as queries:
        deadlines_sweep(**kwargs)
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_sweep_with_nothing_to_do_costs_the_same_at_any_size_and_writes_only_its_heartbeat(
    team, worker
):
    populate(team, worker, 3)
    small = sweep_statements()
    populate(team, worker, 30)
    assert Deadline.objects.count() >= 66 and Notification.objects.count() > 0
    rows_before = Notification.objects.count()
    large = sweep_statements()
    # three empty index ranges, the heartbeat, the reminders waiting for a digest
    assert len(large) == len(small) == 5, large
    writes = [sql for sql in large if WRITE.match(sql)]
    assert len(writes) == 1 and "casework_heartbeat" in writes[0]
    assert Notification.objects.count() == rows_before


def running_out(team, worker, count: int) -> list[Filing]:  # type: ignore[no-untyped-def]
    """`count` filings whose response clock runs out a minute ago, already reminded a day
    before (what the sweep meets when many clocks end at the same moment)."""
    filings = [
        sent_filing(CaseFactory(team=team, assignee=worker), on=timezone.localdate())
        for _ in range(count)
    ]
    Deadline.objects.filter(filing__in=filings, kind=Deadline.Kind.RESPONSE_DUE).update(
        due_at=timezone.now() - timedelta(minutes=1), reminded_stage="day"
    )
    Deadline.objects.filter(filing__in=filings, kind=Deadline.Kind.EARLY_CHECK).delete()
    return filings


def test_clocks_running_out_cost_statements_per_batch_not_per_clock(team, worker):
    deadlines_sweep()  # the heartbeat row exists from now on (its first write is an insert)
    running_out(team, worker, 2)
    small = sweep_statements()
    running_out(team, worker, 12)
    large = sweep_statements()
    # Overdue filings: 7 a batch and 3 once (court rules, calendar); other clocks run out: 1 (an
    # empty read); reminders: 5 a batch; then the heartbeat and the reminders waiting: 18.
    assert len(large) == len(small) == 18, (len(small), len(large))
    assert Filing.objects.filter(status=Filing.Status.OVERDUE).count() == 14
    assert Deadline.objects.filter(kind=Deadline.Kind.COURT_LIMIT, state="open").count() == 14


def test_small_batches_take_every_clock_once(
    team, worker, django_capture_on_commit_callbacks, settings
):
    settings.STAFF_EMAIL_LANGUAGE = "en"
    filings = running_out(team, worker, 5)
    with django_capture_on_commit_callbacks(execute=True):
        report = deadlines_sweep(batch=2)
    # filings 2 + 2 + 1, no other clock ran out, reminders 2 + 2 + 1
    assert (report.overdue_filings, report.batches) == (5, 7)
    statuses = Filing.objects.filter(pk__in=[f.pk for f in filings]).values_list("status")
    assert set(statuses) == {("overdue",)}
    response_clocks = Deadline.objects.filter(filing__in=filings, kind=Deadline.Kind.RESPONSE_DUE)
    assert set(response_clocks.values_list("state", "reminded_stage")) == {("missed", "missed")}
    missed_rows = Notification.objects.filter(dedupe_key__contains=":missed:")
    assert missed_rows.count() == 5 and set(missed_rows.values_list("recipient", flat=True)) == {
        worker.pk
    }
    assert (
        AuditEvent.objects.filter(
            object_type="filing", detail__transition="overdue", actor__isnull=True
        ).count()
        == 5
    )
    for filing in filings:  # the case's next deadline is the court limit now
        court = Deadline.objects.get(filing=filing, kind=Deadline.Kind.COURT_LIMIT)
        assert (court.state, court.responsible, court.backup_team) == ("open", worker, team)
        assert Case.objects.get(pk=filing.case_id).next_deadline == court.due_at
    [email] = mail.outbox  # one digest for the five
    assert email.to == ["worker@example.org"] and email.body.count("MISSED") == 5
    with django_capture_on_commit_callbacks(execute=True):
        again = deadlines_sweep(batch=2)
    assert (again.overdue_filings, again.missed_deadlines, again.queued) == (0, 0, 0)
    assert len(mail.outbox) == 1


def test_stages_move_forward_once_each_and_a_long_missed_clock_is_escalated(team, worker):
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team], email="lead@example.org")
    elsewhere = UserFactory(role=Role.COORDINATOR, teams=[TeamFactory()], email="x@example.org")
    now = timezone.now()
    clock = Deadline.objects.create(
        case=CaseFactory(team=team, assignee=worker),
        kind=Deadline.Kind.CUSTOM,
        due_at=now + timedelta(days=6),
        responsible=worker,
        backup_team=team,
    )

    def keys() -> list[tuple[str, int]]:
        rows = Notification.objects.filter(deadline=clock).order_by("pk")
        return [(row.dedupe_key.split(":")[2], row.recipient_id) for row in rows]

    deadlines_sweep(now=now)
    deadlines_sweep(now=now + timedelta(days=2))  # still in the week stage: nothing new
    assert keys() == [("week", worker.pk)]
    deadlines_sweep(now=now + timedelta(days=5, hours=12))
    assert keys() == [("week", worker.pk), ("day", worker.pk)]
    deadlines_sweep(now=now + timedelta(days=6, minutes=1))
    clock.refresh_from_db()
    assert (clock.state, clock.reminded_stage) == ("missed", "missed")
    deadlines_sweep(now=now + timedelta(days=8))  # missed 2 days: not yet escalated
    assert keys()[-1] == ("missed", worker.pk)
    deadlines_sweep(now=now + timedelta(days=9, minutes=2))  # missed more than 3 days
    assert keys() == [
        ("week", worker.pk),
        ("day", worker.pk),
        ("missed", worker.pk),
        ("escalated", coordinator.pk),
    ]
    assert elsewhere.pk not in [user for _, user in keys()]
    clock.refresh_from_db()
    assert clock.reminded_stage == "done"
    deadlines_sweep(now=now + timedelta(days=30))
    assert len(keys()) == 4


def test_a_missed_response_clock_answered_since_is_neither_reminded_nor_escalated(team, worker):
    from casework.services.filings import filing_record_response

    UserFactory(role=Role.COORDINATOR, teams=[team], email="lead@example.org")
    [filing] = running_out(team, worker, 1)
    Deadline.objects.filter(filing=filing).update(reminded_stage="day")
    filing_record_response(
        filing=filing, actor=None, answered_on=timezone.localdate(), outcome="granted"
    )
    clock = Deadline.objects.get(filing=filing, kind=Deadline.Kind.RESPONSE_DUE)
    assert clock.state == "missed"  # answered after its due moment: stays missed on record
    deadlines_sweep(now=timezone.now() + timedelta(days=5))
    clock.refresh_from_db()
    assert clock.reminded_stage == "done"
    assert not Notification.objects.filter(deadline=clock).exists()


def test_rows_written_by_an_earlier_sweep_are_not_written_twice(team, worker):
    populate(team, worker, 2)
    before = sorted(Notification.objects.values_list("dedupe_key", "state"))
    assert before
    Deadline.objects.update(reminded_stage="")  # as if the stages were lost: every clock again
    deadlines_sweep()
    assert sorted(Notification.objects.values_list("dedupe_key", "state")) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # see conftest
def test_a_filing_another_transaction_holds_is_skipped_not_waited_for(team, worker):
    """Two sweeps at once (beat's and a manual one) take different rows and never wait."""
    import threading

    from django.db import connections, transaction

    [held, free] = running_out(team, worker, 2)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Filing.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(timeout=30)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        report = deadlines_sweep()
        assert report.overdue_filings == 1
        assert Filing.objects.get(pk=free.pk).status == "overdue"
        assert Filing.objects.get(pk=held.pk).status == "sent"
        held_clock = Deadline.objects.get(filing=held, kind=Deadline.Kind.RESPONSE_DUE)
        assert held_clock.state == "open"  # runs out with its filing, at the next sweep
    finally:
        release.set()
        holder.join(timeout=30)
    assert deadlines_sweep().overdue_filings == 1
    assert Filing.objects.get(pk=held.pk).status == "overdue"
    assert Deadline.objects.filter(kind=Deadline.Kind.COURT_LIMIT).count() == 2
