"""Every reminder reaches a person: staff without an address or away have theirs sent to the
team's coordinators (and see them on the overview), long-missed clocks are escalated, the demo's
staff have addresses, and a digest names the filing, office kind and due moment only."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from casework.models import (
    AuditEvent,
    AuthorityOffice,
    Case,
    Deadline,
    Notification,
    StaffProfile,
)
from casework.roles import Role
from casework.selectors import deadline_reminder_recipients
from casework.services.filings import filing_create, filing_mark_sent
from casework.services.reminders import deadlines_sweep
from casework.services.staff import StaffAccountError, staff_away_set
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return TeamFactory()


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COORDINATOR, teams=[team], email="lead@example.org")


@pytest.fixture
def other_lead():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COORDINATOR, teams=[TeamFactory()], email="other@example.org")


def clock_for(user, team, *, days: float = 3) -> Deadline:  # type: ignore[no-untyped-def]
    return Deadline.objects.create(
        case=CaseFactory(team=team, assignee=user),
        kind=Deadline.Kind.CUSTOM,
        due_at=timezone.now() + timedelta(days=days),
        responsible=user,
        backup_team=team,
    )


def recipients(deadline: Deadline, *, escalation: bool = False) -> list[int]:
    [answer] = deadline_reminder_recipients([(deadline, escalation)])
    return answer


def test_a_reminder_goes_to_the_responsible_person_when_an_email_reaches_them(
    team, lead, other_lead
):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    assert recipients(clock_for(worker, team)) == [worker.pk]


def test_without_an_address_the_teams_coordinators_get_it(team, lead, other_lead):
    silent = UserFactory(role=Role.CASEWORKER, teams=[team], email="")
    UserFactory(role=Role.COORDINATOR, teams=[team], email="")  # no address either: not them
    assert recipients(clock_for(silent, team)) == [lead.pk]


def test_with_no_coordinator_in_the_team_every_reachable_coordinator_gets_it(other_lead):
    team = TeamFactory()
    silent = UserFactory(role=Role.CASEWORKER, teams=[team], email="")
    assert recipients(clock_for(silent, team)) == [other_lead.pk]


def test_an_absence_sends_reminders_to_the_team_until_its_last_day(team, lead):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    clock = clock_for(worker, team)
    staff_away_set(user=worker, actor=worker, away_until=TODAY + timedelta(days=2))
    assert recipients(clock) == [lead.pk]
    [later] = deadline_reminder_recipients([(clock, False)], today=TODAY + timedelta(days=2))
    assert later == [lead.pk]  # the last day is still away
    [back] = deadline_reminder_recipients([(clock, False)], today=TODAY + timedelta(days=3))
    assert back == [worker.pk]


def test_an_escalation_goes_to_the_teams_coordinators_even_when_the_person_is_reachable(
    team, lead, other_lead
):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    assert recipients(clock_for(worker, team), escalation=True) == [lead.pk]


def test_the_sweep_sends_a_silent_persons_reminder_to_the_coordinator_and_names_no_one(
    team, lead, django_capture_on_commit_callbacks, settings
):
    settings.STAFF_EMAIL_LANGUAGE = "en"
    silent = UserFactory(role=Role.CASEWORKER, teams=[team], email="")
    case = CaseFactory(team=team, assignee=silent)
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    filing = filing_mark_sent(filing=filing, actor=None, sent_on=TODAY, method="e_reception")
    response = Deadline.objects.get(filing=filing, kind=Deadline.Kind.RESPONSE_DUE)
    due = timezone.now() + timedelta(days=2)
    Deadline.objects.filter(pk=response.pk).update(due_at=due)
    Deadline.objects.filter(filing=filing, kind=Deadline.Kind.EARLY_CHECK).delete()
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert set(Notification.objects.values_list("recipient", "state")) == {(lead.pk, "sent")}
    [email] = mail.outbox
    assert email.to == ["lead@example.org"]
    local = due.astimezone(dt.timezone(timedelta(hours=3)))  # the office's zone: Moscow
    with translation.override("en"):
        office_kind = office.get_kind_display()
    line = (
        f"- {case.reference}: response due of {filing.reference} to "
        f"{office_kind}, due {local:%d.%m.%Y %H:%M} MSK ("
    )
    assert line in email.body, email.body
    serviceman, applicant = case.serviceman, case.applicant
    for personal in (serviceman.surname, serviceman.given_name, applicant.phone, office.name):
        assert personal not in email.body and personal not in email.subject


def test_an_escalated_line_says_so(team, lead, django_capture_on_commit_callbacks, settings):
    settings.STAFF_EMAIL_LANGUAGE = "en"
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    clock = clock_for(worker, team, days=-5)
    with django_capture_on_commit_callbacks(execute=True):
        report = deadlines_sweep()
    assert report.escalated == 1
    by_recipient = {email.to[0]: email.body for email in mail.outbox}
    assert set(by_recipient) == {"w@example.org", "lead@example.org"}
    assert "sent to the team's coordinators" in by_recipient["lead@example.org"]
    assert "sent to the team's coordinators" not in by_recipient["w@example.org"]
    assert clock.case.reference in by_recipient["lead@example.org"]


# --- "Away until": the person or an administrator, through the audited service ---------------


def test_the_person_and_an_administrator_set_an_absence_audited(team):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    admin = UserFactory(role=Role.ADMINISTRATOR)
    staff_away_set(user=worker, actor=worker, away_until=TODAY + timedelta(days=7))
    assert StaffProfile.objects.get(user=worker).away_until == TODAY + timedelta(days=7)
    staff_away_set(user=worker, actor=admin, away_until=None)
    assert StaffProfile.objects.get(user=worker).away_until is None
    events = AuditEvent.objects.filter(object_reference=worker.username).order_by("pk")
    assert [(e.actor_id, e.detail) for e in events] == [
        (worker.pk, {"fields": ["away_until"], "away": True}),
        (admin.pk, {"fields": ["away_until"], "away": False}),
    ]


@pytest.mark.parametrize("who", ["colleague", "coordinator"])
def test_nobody_else_sets_an_absence_and_nothing_changes(team, who):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    role = Role.CASEWORKER if who == "colleague" else Role.COORDINATOR
    other = UserFactory(role=role, teams=[team])
    with pytest.raises(StaffAccountError):
        staff_away_set(user=worker, actor=other, away_until=TODAY + timedelta(days=3))
    assert not StaffProfile.objects.filter(user=worker, away_until__isnull=False).exists()
    assert not AuditEvent.objects.filter(object_reference=worker.username).exists()


def test_a_past_day_is_refused(team):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    with pytest.raises(StaffAccountError):
        staff_away_set(user=worker, actor=worker, away_until=TODAY - timedelta(days=1))
    assert not StaffProfile.objects.filter(user=worker, away_until__isnull=False).exists()


def test_the_person_sets_their_absence_on_their_own_page_and_the_overview_says_so(team, lead):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    client = signed_in(worker)
    page = client.get(reverse("admin:staff_away"))
    assert page.status_code == 200
    day = TODAY + timedelta(days=5)
    answer = client.post(reverse("admin:staff_away"), {"away_until": day.isoformat()})
    assert answer.status_code == 302
    assert StaffProfile.objects.get(user=worker).away_until == day
    overview = client.get(reverse("admin:index")).content.decode()
    assert f"You are away until {day:%d.%m.%Y}" in overview


def test_an_administrator_sets_an_absence_on_the_staff_form(team):
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    admin = UserFactory(role=Role.ADMINISTRATOR, is_superuser=False)
    client = signed_in(admin)
    url = reverse("admin:auth_user_change", args=[worker.pk])
    day = TODAY + timedelta(days=3)
    data = {
        "email": worker.email,
        "role": Role.CASEWORKER.value,
        "is_active": "on",
        "away_until": day.isoformat(),
    }
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert StaffProfile.objects.get(user=worker).away_until == day
    assert AuditEvent.objects.filter(
        object_reference=worker.username, actor=admin, detail__fields=["away_until"]
    ).exists()


# --- Seen on the overview and the staff list ---------------------------------------------------


def test_someone_without_an_address_sees_their_reminders_on_the_overview(team, lead):
    silent = UserFactory(role=Role.CASEWORKER, teams=[team], email="")
    soon = clock_for(silent, team, days=2)
    clock_for(silent, team, days=20)  # not yet a reminder
    body = signed_in(silent).get(reverse("admin:index")).content.decode()
    assert 'id="reminders-no-email"' in body
    assert soon.case.reference in body
    assert body.count('href="/admin/casework/deadline/') >= 1
    with_address = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    assert 'id="reminders-no-email"' not in signed_in(with_address).get("/admin/").content.decode()


def test_the_staff_list_flags_people_without_an_address(team):
    UserFactory(role=Role.CASEWORKER, username="quiet.one", email="")
    UserFactory(role=Role.CASEWORKER, username="reachable.one", email="r@example.org")
    admin = UserFactory(role=Role.ADMINISTRATOR)
    body = signed_in(admin).get(reverse("admin:auth_user_changelist")).content.decode()
    quiet_row = body[body.index("quiet.one") :].split("</tr>")[0]
    reachable_row = body[body.index("reachable.one") :].split("</tr>")[0]
    assert "NO EMAIL: to the team&#x27;s coordinators" in quiet_row
    assert "by email" in reachable_row


# --- The demo ------------------------------------------------------------------------------------


def test_a_sweep_over_the_demo_sends_its_reminders(django_capture_on_commit_callbacks):
    call_command("seed_demo", "--cases", "40", "--filings-per-case", "2", "--jobs", "1")
    from django.contrib.auth.models import User

    demo_staff = User.objects.filter(username__startswith="demo")
    assert {user.email for user in demo_staff} == {f"{u.username}@example.org" for u in demo_staff}
    with django_capture_on_commit_callbacks(execute=True):
        report = deadlines_sweep()
    assert report.queued > 0
    states = set(Notification.objects.values_list("state", flat=True))
    assert states == {"sent"}
    assert mail.outbox and all(email.to[0].endswith("@example.org") for email in mail.outbox)
    assert Case.objects.count() >= 40
