"""Retention: closed cases are erased after the promised months, never live work.

A case with an open or missed clock, a legal hold, or a case merged into one that stays is kept;
a person a remaining case still lists stays when their own closed case goes.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from casework.models import (
    Applicant,
    Attachment,
    AuditEvent,
    AuthorityOffice,
    Case,
    Deadline,
    Filing,
    Serviceman,
    TimelineEntry,
)
from casework.roles import Role
from casework.selectors import case_for_family
from casework.services.access_codes import access_code_reissue, status_access_check
from casework.services.attachments import CLEANED, ORIGINAL, attachment_path
from casework.services.cases import case_legal_hold_lift, case_legal_hold_set, case_update
from casework.services.filings import filing_create, filing_mark_sent, filing_record_response
from casework.services.people import case_merge, serviceman_merge
from casework.services.reminders import deadlines_sweep
from tests.factories import ApplicantFactory, CaseFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def twelve_months(settings):  # type: ignore[no-untyped-def]
    settings.RETENTION_MONTHS_AFTER_CLOSE = 12


@pytest.fixture
def coordinator():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COORDINATOR)


def closed(days_ago: int, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    case = CaseFactory(status=Case.Status.CLOSED, **kwargs)
    return backdate(case, days_ago)


def backdate(case: Case, days_ago: int) -> Case:
    """As if the case had been closed `days_ago` days ago (time passing, not a shortcut)."""
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - dt.timedelta(days=days_ago))
    case.refresh_from_db()
    return case


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def sent_filing(case: Case, *, on: dt.date) -> Filing:
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    return filing_mark_sent(filing=filing, actor=None, sent_on=on, method="e_reception")


def snapshot() -> dict[str, list]:
    return {
        "cases": sorted(Case.objects.values_list("pk", "status", "closed_at")),
        "deadlines": sorted(Deadline.objects.values_list("pk", "state")),
        "servicemen": sorted(Serviceman.objects.values_list("pk", flat=True)),
        "applicants": sorted(Applicant.objects.values_list("pk", "serviceman_id")),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


def test_purge_erases_only_cases_closed_longer_than_promised(django_capture_on_commit_callbacks):
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
        purge()

    assert set(Case.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert not Serviceman.objects.filter(pk=old.serviceman_id).exists()
    assert not Applicant.objects.filter(pk=old.applicant_id).exists()
    assert Serviceman.objects.filter(pk=shared.serviceman_id).exists()
    assert not TimelineEntry.objects.filter(case_id=old.pk).exists()
    assert not attachment_path(attachment.public_id, ORIGINAL).exists()
    assert not attachment_path(attachment.public_id, CLEANED).exists()
    erased = AuditEvent.objects.filter(action="delete").values_list("object_reference", flat=True)
    assert sorted(erased) == sorted([old.reference, shared.reference])
    purge()  # nothing more to do
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


# --- Live clocks ---------------------------------------------------------------------------------


def test_a_closed_case_whose_response_clock_is_still_open_stays_with_its_clock():
    case = CaseFactory()
    filing = sent_filing(case, on=timezone.localdate() - dt.timedelta(days=5))
    clock = Deadline.objects.get(filing=filing, kind=Deadline.Kind.RESPONSE_DUE)
    assert clock.state == Deadline.State.OPEN and clock.due_at > timezone.now()
    # Closed the old way (a status written straight to the row, as before this rule existed).
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    backdate(case, 400)

    output = purge()

    assert Case.objects.filter(pk=case.pk).exists()
    assert Deadline.objects.get(pk=clock.pk).state == Deadline.State.OPEN
    assert Filing.objects.filter(pk=filing.pk).exists()
    assert f"  {case.reference}: 1 open clock\n" in output
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_a_missed_clock_nobody_settled_keeps_the_case_and_a_settled_one_does_not():
    overdue_case, answered_late = CaseFactory(), CaseFactory()
    long_ago = timezone.localdate() - dt.timedelta(days=120)
    overdue_filing = sent_filing(overdue_case, on=long_ago)
    late_filing = sent_filing(answered_late, on=long_ago)
    deadlines_sweep()  # both run out: filings overdue, response clocks missed
    filing_record_response(
        filing=Filing.objects.get(pk=late_filing.pk),
        actor=None,
        answered_on=timezone.localdate(),
        outcome=Filing.Outcome.REFUSED,
    )
    assert Filing.objects.get(pk=overdue_filing.pk).status == Filing.Status.OVERDUE
    assert Deadline.objects.filter(
        filing=late_filing, kind=Deadline.Kind.RESPONSE_DUE, state=Deadline.State.MISSED
    ).exists()  # kept as a record of the authority's lateness
    # A clock of its own (no filing) that ran out: nothing settles it but a person.
    custom = CaseFactory()
    Deadline.objects.create(
        case=custom,
        kind=Deadline.Kind.CUSTOM,
        due_at=timezone.now() - dt.timedelta(days=2),
        state=Deadline.State.MISSED,
    )
    # Running out and the refusal each opened a court limit: open clocks, not this test's point.
    Deadline.objects.filter(case__in=[overdue_case, answered_late]).exclude(
        state=Deadline.State.MISSED
    ).update(state=Deadline.State.CANCELLED)
    for case in (overdue_case, answered_late, custom):
        Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
        backdate(case, 400)

    output = purge()

    assert set(Case.objects.values_list("pk", flat=True)) == {overdue_case.pk, custom.pk}
    assert f"  {overdue_case.reference}: 1 missed clock\n" in output
    assert f"  {custom.reference}: 1 missed clock\n" in output


def test_a_legal_hold_keeps_a_closed_case_until_a_coordinator_lifts_it(coordinator):
    case = closed(400)
    case_legal_hold_set(case=case, actor=coordinator, reason="Суд по делу о взыскании")

    output = purge()

    assert Case.objects.filter(pk=case.pk).exists()
    assert f"  {case.reference}: legal hold\n" in output
    assert "Суд" not in output

    case_legal_hold_lift(case=case, actor=coordinator)
    purge()
    assert not Case.objects.filter(pk=case.pk).exists()


# --- People ------------------------------------------------------------------------------------


def test_a_serviceman_and_a_relative_on_a_live_case_stay_when_a_closed_case_of_theirs_goes():
    live = CaseFactory(status=Case.Status.ACTIVE)
    sister = ApplicantFactory(serviceman=live.serviceman, name="Мария Вершинина")
    gone = closed(400, serviceman=live.serviceman, applicant=sister)

    output = purge()

    assert not Case.objects.filter(pk=gone.pk).exists()  # the closed case goes
    assert Serviceman.objects.filter(pk=live.serviceman_id).exists()  # the people stay
    assert Applicant.objects.get(pk=sister.pk).serviceman_id == live.serviceman_id
    assert f"  serviceman {live.serviceman.reference}: serviceman of case {live.reference}\n" in (
        output
    )
    assert (
        f"  applicant {sister.reference}: relative of the serviceman of case {live.reference}\n"
        in output
    )
    assert "Мария" not in output and "Вершинин" not in output


def test_the_applicant_of_a_remaining_case_stays_when_the_man_she_was_filed_under_goes():
    """A merge can give her case to another man's record: his erasure must not take her."""
    her_first = closed(400)
    mother = Applicant.objects.get(pk=her_first.applicant_id)
    live = CaseFactory(applicant=mother)  # another man's record, her as its applicant

    purge()

    assert not Case.objects.filter(pk=her_first.pk).exists()
    assert not Serviceman.objects.filter(pk=her_first.serviceman_id).exists()
    assert Applicant.objects.get(pk=mother.pk).serviceman_id is None
    assert Case.objects.get(pk=live.pk).applicant_id == mother.pk


# --- Merges --------------------------------------------------------------------------------------


def test_a_case_merged_into_a_live_case_stays_and_her_code_still_leads_there(coordinator):
    """The surviving case had no applicant and took hers: twelve months on, her code still works."""
    survivor = CaseFactory(status=Case.Status.ACTIVE, applicant=None)
    merged = CaseFactory(serviceman=survivor.serviceman)
    code = access_code_reissue(case=merged, actor=coordinator)
    case_merge(survivor=survivor, merged=merged, actor=coordinator)
    assert Case.objects.get(pk=survivor.pk).applicant_id == merged.applicant_id
    backdate(merged, 400)  # a year after the merge

    output = purge()

    assert Case.objects.filter(pk=merged.pk).exists()
    assert Applicant.objects.filter(pk=merged.applicant_id).exists()
    opened = status_access_check(reference=merged.reference, code=code, client="c")
    assert case_for_family(pk=opened.pk).pk == survivor.pk
    assert f"  {merged.reference}: merged into {survivor.reference}, which stays\n" in output


def test_the_second_relatives_merged_case_and_record_stay_while_the_surviving_case_lists_her(
    coordinator,
):
    """The issue's case: two relatives wrote in under two spellings; servicemen and cases merged."""
    mother_case = CaseFactory(status=Case.Status.ACTIVE)
    wife_case = CaseFactory()
    wife = Applicant.objects.get(pk=wife_case.applicant_id)
    code = access_code_reissue(case=wife_case, actor=coordinator)
    serviceman_merge(
        survivor=mother_case.serviceman, merged=wife_case.serviceman, actor=coordinator
    )
    case_merge(
        survivor=Case.objects.get(pk=mother_case.pk),
        merged=Case.objects.get(pk=wife_case.pk),
        actor=coordinator,
    )
    backdate(wife_case, 400)

    purge()

    assert Case.objects.filter(pk=wife_case.pk).exists()
    assert Applicant.objects.get(pk=wife.pk).serviceman_id == mother_case.serviceman_id
    opened = status_access_check(reference=wife_case.reference, code=code, client="c")
    assert opened.pk == wife_case.pk

    # When the surviving case itself is erased, the case merged into it goes in the same run
    # (it pointed there), and so does everyone nothing else lists.
    Case.objects.filter(pk=mother_case.pk).update(status=Case.Status.CLOSED)
    backdate(mother_case, 400)
    output = purge()
    assert not Case.objects.filter(pk__in=[mother_case.pk, wife_case.pk]).exists()
    assert not Applicant.objects.filter(pk=wife.pk).exists()
    assert not Serviceman.objects.filter(pk=mother_case.serviceman_id).exists()
    assert output.index(mother_case.reference) < output.index(wife_case.reference)


def test_a_merge_chain_is_erased_from_the_last_survivor_back():
    coordinator = UserFactory(role=Role.COORDINATOR)
    first, second, third = (closed(400) for _ in range(3))
    for case in (first, second, third):
        Case.objects.filter(pk=case.pk).update(status=Case.Status.ACTIVE, closed_at=None)
    case_merge(survivor=second, merged=first, actor=coordinator)
    case_merge(survivor=third, merged=Case.objects.get(pk=second.pk), actor=coordinator)
    Case.objects.filter(pk=third.pk).update(status=Case.Status.CLOSED)
    for case in (first, second, third):
        backdate(case, 400)

    output = purge("--dry-run")
    assert output.startswith("would erase 3 closed cases\n")
    assert output.index(third.reference) < output.index(second.reference)
    assert output.index(second.reference) < output.index(first.reference)
    purge()
    assert not Case.objects.filter(pk__in=[first.pk, second.pk, third.pk]).exists()


# --- The dry run ---------------------------------------------------------------------------------


def test_dry_run_lists_what_would_go_and_why_the_rest_stays_and_changes_nothing(coordinator):
    live = CaseFactory(status=Case.Status.ACTIVE)
    goes = closed(400, serviceman=live.serviceman)
    held = closed(400)
    case_legal_hold_set(case=held, actor=coordinator, reason="следствие")
    with_clock = CaseFactory()
    sent_filing(with_clock, on=timezone.localdate())
    Case.objects.filter(pk=with_clock.pk).update(status=Case.Status.CLOSED)
    backdate(with_clock, 400)
    recent = closed(10)
    before = snapshot()

    output = purge("--dry-run")

    assert snapshot() == before
    lines = output.splitlines()
    assert lines[:2] == ["would erase 1 closed case", f"  {goes.reference}"]
    assert lines[2] == "would keep 2 closed cases past retention (live work)"
    assert sorted(lines[3:5]) == sorted(
        [f"  {held.reference}: legal hold", f"  {with_clock.reference}: 1 open clock"]
    )
    assert lines[5] == "would keep 2 people of erased cases (a remaining case lists them)"
    assert recent.reference not in output and live.reference in output
    for case in (live, goes, held, with_clock):
        serviceman = Serviceman.objects.get(pk=case.serviceman_id)
        applicant = Applicant.objects.get(pk=case.applicant_id)
        for value in (serviceman.surname, serviceman.given_name, applicant.name, applicant.phone):
            assert value not in output
    assert "следствие" not in output
