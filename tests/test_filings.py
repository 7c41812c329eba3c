"""Filings and legal clocks: worked examples, every transition and refusal, ladders, exchanges."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from casework.exceptions import RuleError, TransitionError
from casework.models import (
    AuditEvent,
    AuthorityOffice,
    Case,
    Deadline,
    Filing,
    Notification,
    ResponseRule,
    Serviceman,
    TimelineEntry,
)
from casework.roles import Role
from casework.services.exchanges import exchange_record
from casework.services.filings import (
    filing_create,
    filing_escalate,
    filing_mark_sent,
    filing_record_extension,
    filing_record_registration,
    filing_record_response,
    vvk_record_result,
)
from casework.services.reminders import deadlines_sweep
from casework.services.rules import rule_change_apply, rule_change_preview
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
MSK, KYIV = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Kyiv")


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


@pytest.fixture
def worker():
    return UserFactory(role=Role.CASEWORKER, email="worker@example.org")


@pytest.fixture
def case(worker):
    return CaseFactory(assignee=worker)


def new_filing(case, kind="complaint", office_kind="ru_mod", signer="family", actor=None):
    return filing_create(
        case=case, office=office(office_kind), kind=kind, signer=signer, actor=actor
    )


def sent(case, *, on, kind="complaint", office_kind="ru_mod", signer="family", **extra):
    filing = new_filing(case, kind, office_kind, signer)
    return filing_mark_sent(filing=filing, actor=None, sent_on=on, method="e_reception", **extra)


def due_day(filing, kind=Deadline.Kind.RESPONSE_DUE):
    deadline = Deadline.objects.get(filing=filing, kind=kind, state=Deadline.State.OPEN)
    return deadline.due_at.astimezone(ZoneInfo(filing.office.time_zone)).date()


@pytest.mark.parametrize(
    ("received", "registered", "expected"),
    [
        # Registration unknown: receipt (Fri) + 3 + 30.
        (dt.date(2026, 3, 6), None, dt.date(2026, 4, 8)),
        # Registered on a Friday: +30 is Sunday 5 April, rolled to Monday.
        (dt.date(2026, 3, 5), dt.date(2026, 3, 6), dt.date(2026, 4, 6)),
        # Ends on 2 January in the New Year holidays: rolls to 12 January 2026.
        (dt.date(2025, 12, 1), dt.date(2025, 12, 3), dt.date(2026, 1, 12)),
        # Ends on the substituted day off of 3 November 2025 (and the 4th is a holiday).
        (dt.date(2025, 10, 3), dt.date(2025, 10, 4), dt.date(2025, 11, 5)),
    ],
)
def test_russian_response_terms(case, received, registered, expected):
    filing = sent(case, on=received, received_on=received)
    if registered:
        filing = filing_record_registration(
            filing=filing, actor=None, registration_number="12/345", registered_on=registered
        )
    assert due_day(filing) == expected
    assert filing.rule.code == "ru-59fz-general"
    case.refresh_from_db()
    assert case.next_deadline == Deadline.objects.get(filing=filing, state="open").due_at


def test_prosecutor_has_an_early_check_at_fifteen_days(case):
    filing = sent(case, on=dt.date(2026, 11, 20), office_kind="ru_prosecutor_garrison")
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="ВП-1", registered_on=dt.date(2026, 11, 20)
    )
    assert due_day(filing, Deadline.Kind.EARLY_CHECK) == dt.date(2026, 12, 7)  # 5 Dec is Saturday
    assert due_day(filing) == dt.date(2026, 12, 21)  # 20 Dec is Sunday
    deadline = Deadline.objects.get(filing=filing, kind="response_due", state="open")
    assert deadline.unverified is True  # "sourced" is not yet checked by a lawyer
    assert deadline.responsible == case.assignee and deadline.backup_team == case.team


def test_one_extension_moves_the_clock_and_a_second_is_refused_with_nothing_changed(case):
    filing = sent(case, on=dt.date(2026, 3, 5), received_on=dt.date(2026, 3, 5))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="1", registered_on=dt.date(2026, 3, 6)
    )
    filing = filing_record_extension(filing=filing, actor=None, notice_on=dt.date(2026, 4, 1))
    assert filing.status == Filing.Status.EXTENDED
    assert due_day(filing) == dt.date(2026, 5, 5)  # 6 Mar + 60 = 5 May
    before = (
        list(Deadline.objects.values_list("pk", "state", "due_at")),
        AuditEvent.objects.count(),
    )
    with pytest.raises(RuleError):
        filing_record_extension(filing=filing, actor=None, notice_on=dt.date(2026, 4, 20))
    filing.refresh_from_db()
    assert filing.extensions == 1 and filing.status == Filing.Status.EXTENDED
    after = (
        list(Deadline.objects.values_list("pk", "state", "due_at")),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_ukrainian_term_is_capped_at_45_days(case):
    case.serviceman.jurisdiction = "UA"
    filing = sent(case, on=dt.date(2026, 3, 31), office_kind="ua_mod_rights")
    assert due_day(filing) == dt.date(2026, 4, 30)
    filing = filing_record_extension(filing=filing, actor=None, notice_on=dt.date(2026, 4, 20))
    assert due_day(filing) == dt.date(2026, 5, 15)  # the 45-day ceiling from receipt
    with pytest.raises(RuleError):
        filing_record_extension(filing=filing, actor=None, notice_on=dt.date(2026, 5, 1))


def test_ukrainian_health_raport_is_due_in_48_hours(case):
    case.serviceman.jurisdiction = "UA"  # a Ukrainian office takes a Ukrainian serviceman's
    received = dt.datetime(2026, 3, 20, 17, 0, tzinfo=KYIV)  # a Friday
    filing = sent(
        case,
        on=dt.date(2026, 3, 20),
        kind="raport",
        office_kind="ua_commander",
        signer="serviceman",
        received_at=received,
    )
    deadline = Deadline.objects.get(filing=filing, state="open")
    assert deadline.kind == Deadline.Kind.RAPORT_48H
    assert deadline.due_at == dt.datetime(2026, 3, 22, 17, 0, tzinfo=KYIV)  # Sunday, not rolled


def test_a_raport_must_be_signed_by_the_serviceman(case):
    with pytest.raises(RuleError):
        new_filing(case, kind="raport", office_kind="ru_unit_commander", signer="family")
    assert Filing.objects.count() == 0


def test_impossible_transitions_are_refused_and_change_nothing(case):
    filing = sent(case, on=dt.date(2026, 3, 5))
    state = (
        Filing.objects.values().get(pk=filing.pk),
        Deadline.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(TransitionError):
        filing_mark_sent(filing=filing, actor=None, sent_on=dt.date(2026, 3, 6), method="in_person")
    with pytest.raises(TransitionError):
        filing_record_registration(
            filing=filing, actor=None, registration_number="1", registered_on=dt.date(2026, 3, 1)
        )
    with pytest.raises(TransitionError):
        filing_escalate(filing=filing, actor=None)
    with pytest.raises(TransitionError):
        filing_mark_sent(
            filing=new_filing(case),
            actor=None,
            sent_on=dt.date(2026, 3, 5),
            method="registered_mail",
        )
    assert (Filing.objects.values().get(pk=filing.pk), Deadline.objects.count()) == state[:2]


def test_forwarded_filing_starts_a_new_clock_at_the_receiving_office(case):
    filing = sent(case, on=dt.date(2026, 3, 2), received_on=dt.date(2026, 3, 2))
    prosecutor = office("ru_prosecutor_garrison")
    filing_record_response(
        filing=filing,
        actor=None,
        answered_on=dt.date(2026, 3, 10),
        outcome="forwarded",
        forwarded_to=prosecutor,
    )
    follow_up = Filing.objects.get(escalates=filing)
    assert follow_up.office == prosecutor and follow_up.status == Filing.Status.SENT
    assert follow_up.rule.code == "ru-prosecutor"
    assert due_day(follow_up) == dt.date(2026, 4, 13)  # 10 Mar + 3 + 30 = 12 Apr (Sun) -> 13
    assert not Deadline.objects.filter(filing=filing, state="open").exists()


def test_a_rule_edited_after_filing_is_previewed_then_applied(case):
    filing = sent(case, on=dt.date(2026, 3, 5), received_on=dt.date(2026, 3, 5))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="1", registered_on=dt.date(2026, 3, 10)
    )
    assert due_day(filing) == dt.date(2026, 4, 9)
    old = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    new = ResponseRule.objects.get(pk=old.pk)
    new.pk, new.version, new.amount = None, 2, 20
    new.save()
    preview = rule_change_preview(rule=new)
    assert [(m.filing.pk, m.new_due.astimezone(MSK).date()) for m in preview] == [
        (filing.pk, dt.date(2026, 3, 30))
    ]
    assert due_day(filing) == dt.date(2026, 4, 9)  # the preview saved nothing
    assert rule_change_apply(rule=new, actor=UserFactory(role=Role.COORDINATOR)) == 1
    filing.refresh_from_db()
    assert filing.rule == new and due_day(filing) == dt.date(2026, 3, 30)
    assert AuditEvent.objects.filter(object_reference=str(new)).count() == 1


def test_sweep_marks_overdue_opens_court_limit_and_emails_a_digest_without_names(
    case, worker, django_capture_on_commit_callbacks
):
    filing = sent(case, on=dt.date(2025, 1, 10), received_on=dt.date(2025, 1, 10))
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    filing.refresh_from_db()
    assert filing.status == Filing.Status.OVERDUE
    court = Deadline.objects.get(filing=filing, kind=Deadline.Kind.COURT_LIMIT)
    assert court.state == Deadline.State.MISSED  # 3 months after Feb 2025 is long gone
    # One reminder per missed clock (the response and the court limit), both in one email.
    assert Notification.objects.filter(recipient=worker, state="sent").count() == 2
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert case.reference in body
    for secret in (case.serviceman.surname, case.serviceman.given_name, case.applicant.phone):
        assert secret not in body and secret not in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()  # a second sweep sends nothing new
    assert len(mail.outbox) == 1


def test_escalation_proposes_the_next_rungs_of_ladder_a(case):
    filing = sent(
        case,
        on=dt.date(2025, 1, 10),
        kind="vvk_request",
        office_kind="ru_unit_commander",
        signer="serviceman",
        received_on=dt.date(2025, 1, 10),
    )
    deadlines_sweep()
    drafts = filing_escalate(filing=Filing.objects.get(pk=filing.pk), actor=None)
    assert sorted((d.office.kind, d.kind, d.signer) for d in drafts) == [
        ("ru_higher_commander", "raport", "serviceman"),
        ("ru_prosecutor_garrison", "complaint", "family"),
    ]
    assert all(d.escalates_id == filing.pk and d.status == "draft" for d in drafts)
    assert Filing.objects.get(pk=filing.pk).status == Filing.Status.ESCALATED


def test_exchange_wakes_cases_in_captivity_and_proposes_first_filings(coordinator):
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    free = CaseFactory()
    _, woken = exchange_record(
        happened_on=dt.date(2025, 5, 24),
        description="1000 for 1000",
        case_references=[captive.reference, free.reference],
        servicemen=[],
        actor=coordinator,
    )
    assert [c.pk for c in woken] == [captive.pk]
    captive.refresh_from_db()
    assert (captive.in_captivity, captive.needs_attention) == (False, True)
    assert captive.priority == Case.Priority.HIGH
    assert captive.serviceman.status == Serviceman.Status.RELEASED
    assert captive.serviceman.released_on == dt.date(2025, 5, 24)
    proposal = Filing.objects.get(case=captive)
    assert (proposal.kind, proposal.signer, proposal.status) == (
        "vvk_request",
        "serviceman",
        "draft",
    )
    assert not Filing.objects.filter(case=free).exists()


@pytest.mark.parametrize(("service_type", "noted"), [("mobilised", True), ("contract", False)])
def test_category_v_for_a_mobilised_man_gets_the_decree_note(case, service_type, noted):
    Serviceman.objects.filter(pk=case.serviceman_id).update(service_type=service_type)
    filing = new_filing(
        case, kind="vvk_request", office_kind="ru_unit_commander", signer="serviceman"
    )
    vvk_record_result(filing=filing, actor=None, board_date=dt.date(2026, 2, 1), category="В")
    notes = case.timeline.filter(kind=TimelineEntry.Kind.NOTE).count()
    assert notes == (1 if noted else 0)


@pytest.mark.integration
def test_sweep_on_a_real_worker_emails_once_through_a_real_smtp_server(celery_worker, smtp_server):
    from casework.tasks import sweep_deadlines
    from tests.conftest import wait_for

    worker = UserFactory(role=Role.CASEWORKER, email="night.shift@example.org")
    case = CaseFactory(assignee=worker)
    sent(case, on=dt.date(2025, 1, 10), received_on=dt.date(2025, 1, 10))
    sweep_deadlines.apply_async(queue=celery_worker)
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60)
    message = smtp_server.messages[0].decode()
    assert case.reference in message and "night.shift@example.org" in message
    assert case.serviceman.surname not in message
    sweep_deadlines.apply_async(queue=celery_worker)  # a repeat sends nothing more
    assert wait_for(lambda: Notification.objects.filter(state="pending").count() == 0, timeout=30)
    assert not wait_for(lambda: len(smtp_server.messages) > 1, timeout=3)


def test_reminders_for_someone_without_an_email_fail_once_and_are_not_resent_singly(
    django_capture_on_commit_callbacks,
):
    from casework.services.notifications import notifications_requeue_stale

    silent = UserFactory(role=Role.CASEWORKER, email="")
    sent(CaseFactory(assignee=silent), on=dt.date(2025, 1, 10), received_on=dt.date(2025, 1, 10))
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert set(Notification.objects.filter(recipient=silent).values_list("state", flat=True)) == {
        "failed"
    }
    assert mail.outbox == []
    Notification.objects.update(state="pending", created_at=dt.datetime(2025, 1, 1, tzinfo=MSK))
    assert notifications_requeue_stale() == 0  # digests are the sweep's, never sent one by one
