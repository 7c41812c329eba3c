"""Follow-ups: a caseworker's own reminders, in the same overview, sweep and digest as clocks."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.exceptions import NotFoundError
from casework.models import AuditEvent, Case, Deadline
from casework.roles import Role
from casework.selectors import dashboard_counts_for_user
from casework.services.follow_ups import FollowUpError, follow_up_add, follow_up_close
from casework.services.reminders import deadlines_sweep, reminder_digest_send
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
WORDS = "позвонить маме Ольге Петровне про госпиталь"


@pytest.fixture
def case(team, caseworker):  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker)


def follow_ups_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:casework_case_follow_ups", args=[case.pk])


def change_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:casework_case_change", args=[case.pk])


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Deadline.objects.order_by("pk").values_list("pk", "state", "reminded_stage", "closed_at")
    )


def test_a_caseworker_sets_a_follow_up_on_the_case_page(verified_client, caseworker, case):
    client = verified_client(caseworker)
    assert 'id="case-follow-up-form"' in client.get(change_url(case)).content.decode()
    friday = timezone.localdate() + timedelta(days=4)
    response = client.post(
        follow_ups_url(case),
        {
            "action": "add",
            "text": WORDS,
            "due_on": friday.strftime("%d.%m.%Y"),
            "due_time": "11:30",
        },
    )
    assert (response.status_code, response["Location"]) == (
        302,
        f"{change_url(case)}#case-follow-ups",
    )
    deadline = Deadline.objects.get(case=case)
    assert (deadline.kind, deadline.state, deadline.note, deadline.responsible) == (
        "follow_up",
        "open",
        WORDS,
        caseworker,  # nobody named: the one who set it
    )
    assert deadline.due_at == dt.datetime.combine(friday, dt.time(11, 30), MSK)
    assert deadline.backup_team_id == case.team_id and deadline.filing_id is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM casework_deadline WHERE id = %s", [deadline.pk])
        assert "Ольге" not in cursor.fetchone()[0]
    assert Case.objects.get(pk=case.pk).next_deadline == deadline.due_at
    event = AuditEvent.objects.get(action="create", object_type="deadline")
    assert event.detail == {"deadline": deadline.pk, "kind": "follow_up"}
    page = client.get(change_url(case)).content.decode()
    assert WORDS in page and f"{friday:%d.%m.%Y} 11:30 MSK" in page


def test_follow_ups_sit_in_the_overview_with_the_clocks(verified_client, caseworker, case):
    follow_up_add(
        case=case,
        actor=caseworker,
        due_at=timezone.now() + timedelta(days=2),
        text=WORDS,
        responsible=None,
    )
    assert dashboard_counts_for_user(user=caseworker).due_soon == 1
    client = verified_client(caseworker)
    listing = client.get(reverse("admin:casework_deadline_changelist")).content.decode()
    assert "follow-up" in listing and case.reference in listing
    assert WORDS not in listing  # the words are on the case page and the deadline's own page
    deadline = Deadline.objects.get(case=case)
    views = AuditEvent.objects.filter(action="view", object_type="deadline")
    page = client.get(reverse("admin:casework_deadline_change", args=[deadline.pk]))
    assert WORDS in page.content.decode() and views.count() == 1


def test_the_digest_says_follow_up_and_the_reference_never_the_words(caseworker, case):
    caseworker.email = "w@org.example"
    caseworker.save(update_fields=["email"])
    due = timezone.now() + timedelta(hours=20)
    follow_up_add(case=case, actor=caseworker, due_at=due, text=WORDS, responsible=None)
    assert deadlines_sweep().queued == 1
    assert reminder_digest_send(user=caseworker) == 1
    [email] = mail.outbox
    assert f"- {case.reference}: напоминание, срок " in email.body  # staff emails: Russian
    assert "Ольге" not in email.body and "позвонить" not in email.body
    assert "Ольге" not in email.subject


def test_done_closes_it_and_nobody_is_reminded(verified_client, caseworker, case):
    deadline = follow_up_add(
        case=case,
        actor=caseworker,
        due_at=timezone.now() + timedelta(hours=3),
        text=WORDS,
        responsible=None,
    )
    client = verified_client(caseworker)
    client.post(follow_ups_url(case), {"action": "done", "deadline": deadline.pk})
    deadline.refresh_from_db()
    assert (deadline.state, deadline.reminded_stage) == ("met", "done")
    assert Case.objects.get(pk=case.pk).next_deadline is None
    assert deadlines_sweep().queued == 0
    before = snapshot()
    with pytest.raises(FollowUpError):
        follow_up_close(deadline=deadline, actor=caseworker, done=False)
    assert snapshot() == before


def test_a_statutory_clock_is_not_closed_as_a_follow_up(caseworker, case):
    clock = Deadline.objects.create(
        case=case, kind=Deadline.Kind.CUSTOM, due_at=timezone.now() + timedelta(days=1)
    )
    before = snapshot()
    with pytest.raises(FollowUpError):
        follow_up_close(deadline=clock, actor=caseworker, done=True)
    assert snapshot() == before


def test_refusals_keep_nothing(verified_client, caseworker, case):
    stranger = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    soon = timezone.now() + timedelta(days=1)
    with pytest.raises(FollowUpError):
        follow_up_add(
            case=case,
            actor=caseworker,
            due_at=timezone.now() - timedelta(minutes=1),
            text=WORDS,
            responsible=None,
        )
    with pytest.raises(FollowUpError):  # someone who cannot open the case
        follow_up_add(case=case, actor=caseworker, due_at=soon, text=WORDS, responsible=stranger)
    with pytest.raises(FollowUpError):
        follow_up_add(case=case, actor=caseworker, due_at=soon, text="  ", responsible=None)
    with pytest.raises(NotFoundError):
        follow_up_add(case=case, actor=stranger, due_at=soon, text=WORDS, responsible=None)
    response = verified_client(stranger).post(
        follow_ups_url(case),
        {"action": "add", "text": WORDS, "due_on": "01.01.2099", "due_time": "10:00"},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not Deadline.objects.exists()
    assert not AuditEvent.objects.filter(object_type="deadline").exists()
