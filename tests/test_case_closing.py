"""Closing a case asks what becomes of its live clocks; coordinators set and lift a legal hold.

Through the services and through the admin's case page (a real browser in the integration test).
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from casework.exceptions import LegalHoldError, OpenClocksError, PermissionDeniedError
from casework.models import AuditEvent, AuthorityOffice, Case, Deadline, Filing, TimelineEntry
from casework.roles import Role
from casework.services.cases import (
    case_close,
    case_delete,
    case_legal_hold_lift,
    case_legal_hold_set,
    case_update,
)
from casework.services.filings import filing_create, filing_mark_sent, filing_record_response
from casework.services.reminders import deadlines_sweep
from tests.factories import CaseFactory, TeamFactory, TOTPDeviceFactory, UserFactory
from tests.test_admin import change_form_data, login_form, totp_token
from tests.test_portal_browser import CHROMIUM_ARGS, live_site  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
REASON = "Семья отозвала обращение: сын демобилизован"


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return TeamFactory()


@pytest.fixture
def caseworker(team):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.CASEWORKER, teams=[team])


@pytest.fixture
def coordinator():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COORDINATOR)


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    device = TOTPDeviceFactory(user=user)
    client = Client(headers={"accept-language": "en"})
    assert login_form(client, user, device, totp_token(device)).status_code == 302
    return client


def sent_filing(case: Case, *, on: dt.date) -> Filing:
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    return filing_mark_sent(filing=filing, actor=None, sent_on=on, method="e_reception")


def with_open_clock(**kwargs) -> Case:  # type: ignore[no-untyped-def]
    case = CaseFactory(status=Case.Status.ACTIVE, **kwargs)
    sent_filing(case, on=timezone.localdate())
    case.refresh_from_db()
    assert case.next_deadline is not None
    return case


def state(case: Case) -> tuple[object, ...]:
    return (
        Case.objects.filter(pk=case.pk).values_list(
            "status", "closed_at", "next_deadline", "priority", "legal_hold_at"
        )[0],
        sorted(Deadline.objects.filter(case=case).values_list("pk", "state")),
        TimelineEntry.objects.filter(case=case).count(),
        # Writes only: every render of the case page is a (view) audit event, refusals included.
        AuditEvent.objects.exclude(action=AuditEvent.Action.VIEW).count(),
    )


# --- The service ---------------------------------------------------------------------------------


def test_closing_with_an_open_clock_and_no_reason_is_refused_and_changes_nothing(caseworker):
    case = with_open_clock(team=caseworker.teams.get())
    before = state(case)
    for language, words in (
        ("en", "1 open or missed clock."),
        ("ru", "1 открытый или пропущенный"),
    ):
        with translation.override(language), pytest.raises(OpenClocksError) as refused:
            case_close(case=case, actor=caseworker)
        assert refused.value.fields == {"clocks": 1}
        assert words in refused.value.message
    with pytest.raises(OpenClocksError):
        case_close(case=case, actor=caseworker, cancel_clocks_reason="   ")
    case.status = Case.Status.CLOSED  # the generic save of the case page closes the same way
    with pytest.raises(OpenClocksError):
        case_update(case=case, actor=caseworker, changed=["status", "priority"])
    assert state(case) == before


def test_closing_with_a_reason_cancels_the_live_clocks_and_writes_why(caseworker):
    case = with_open_clock(team=caseworker.teams.get())
    clocks = list(Deadline.objects.filter(case=case).live().values_list("pk", flat=True))

    closed = case_close(case=case, actor=caseworker, cancel_clocks_reason=REASON)

    case.refresh_from_db()
    assert (case.status, case.next_deadline) == (Case.Status.CLOSED, None)
    assert case.closed_at is not None and closed.pk == case.pk
    assert set(Deadline.objects.filter(case=case).values_list("state", flat=True)) == {
        Deadline.State.CANCELLED
    }
    note = TimelineEntry.objects.get(case=case, kind=TimelineEntry.Kind.STATUS)
    assert REASON in note.text and note.author == caseworker
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_reference=case.reference)
    assert event.detail == {"fields": ["status"], "cancelled_clocks": clocks}
    assert "Семья" not in json.dumps(list(AuditEvent.objects.values("detail")), ensure_ascii=False)
    # Closing a closed case changes nothing.
    before = state(case)
    case_close(case=case, actor=caseworker, cancel_clocks_reason=REASON)
    assert state(case) == before


def test_a_missed_clock_of_an_overdue_filing_is_asked_about_and_a_settled_one_is_not(coordinator):
    overdue, answered = CaseFactory(), CaseFactory()
    long_ago = timezone.localdate() - dt.timedelta(days=120)
    sent_filing(overdue, on=long_ago)
    late = sent_filing(answered, on=long_ago)
    deadlines_sweep()
    filing_record_response(
        filing=Filing.objects.get(pk=late.pk),
        actor=None,
        answered_on=timezone.localdate(),
        outcome=Filing.Outcome.GRANTED,
    )
    Deadline.objects.filter(case__in=[overdue, answered], state=Deadline.State.OPEN).update(
        state=Deadline.State.CANCELLED  # the court limits: only the missed clocks matter here
    )

    with pytest.raises(OpenClocksError):
        case_close(case=overdue, actor=coordinator)
    case_close(case=answered, actor=coordinator)  # its missed clock is only a record now
    assert Case.objects.get(pk=answered.pk).status == Case.Status.CLOSED
    assert Deadline.objects.filter(case=answered, state=Deadline.State.MISSED).exists()


def test_a_coordinator_sets_and_lifts_a_legal_hold_audited_without_the_reason(coordinator):
    case = CaseFactory()
    held = case_legal_hold_set(case=case, actor=coordinator, reason=f"  {REASON}  ")
    assert (held.legal_hold_by, held.legal_hold_reason) == (coordinator, REASON)
    assert held.legal_hold_at is not None and held.on_legal_hold
    again = case_legal_hold_set(case=case, actor=coordinator, reason="другая причина")
    assert (again.legal_hold_at, again.legal_hold_reason) == (held.legal_hold_at, REASON)

    lifted = case_legal_hold_lift(case=case, actor=coordinator)
    assert lifted.legal_hold_at is None and lifted.legal_hold_by is None
    assert lifted.legal_hold_reason == ""
    details = list(
        AuditEvent.objects.filter(object_reference=case.reference)
        .order_by("pk")
        .values_list("actor", "detail")
    )
    assert details == [
        (coordinator.pk, {"legal_hold": "set"}),
        (coordinator.pk, {"legal_hold": "lifted", "held_since": held.legal_hold_at.isoformat()}),
    ]


def test_a_hold_without_a_reason_or_by_a_caseworker_is_refused_and_changes_nothing(
    caseworker, coordinator
):
    case = CaseFactory(team=caseworker.teams.get())
    before = state(case)
    with pytest.raises(LegalHoldError):
        case_legal_hold_set(case=case, actor=coordinator, reason=" ")
    with pytest.raises(PermissionDeniedError):
        case_legal_hold_set(case=case, actor=caseworker, reason=REASON)
    case_legal_hold_set(case=case, actor=coordinator, reason=REASON)
    held = state(case)
    with pytest.raises(PermissionDeniedError):
        case_legal_hold_lift(case=case, actor=caseworker)
    assert state(case) == held and held[1:] == (before[1], before[2], before[3] + 1)


def test_a_case_on_legal_hold_is_not_erased_even_on_a_deletion_request(coordinator):
    case = CaseFactory(status=Case.Status.CLOSED)
    case_legal_hold_set(case=case, actor=coordinator, reason=REASON)
    before = state(case)
    with pytest.raises(LegalHoldError):
        case_delete(case=case, actor=coordinator)
    assert state(case) == before


# --- The admin's case page -----------------------------------------------------------------------


def test_closing_on_the_case_page_asks_about_the_clocks_until_answered(caseworker):
    case = with_open_clock(team=caseworker.teams.get())
    client = signed_in(caseworker)
    page = client.get(reverse("admin:casework_case_change", args=[case.pk]))
    assert "This case has 1 open or missed clock." in page.content.decode()
    data = change_form_data(page)
    data.update(status=Case.Status.CLOSED, priority=Case.Priority.HIGH)
    before = state(case)

    unanswered = client.post(reverse("admin:casework_case_change", args=[case.pk]), data)
    assert unanswered.status_code == 200
    assert unanswered.context["adminform"].form.errors["clocks_on_closing"] == [
        "This case has 1 open or missed clock. If you close the case, choose what becomes of it."
    ]
    no_reason = client.post(
        reverse("admin:casework_case_change", args=[case.pk]),
        {**data, "clocks_on_closing": "cancel"},
    )
    assert no_reason.context["adminform"].form.errors["clocks_cancel_reason"] == [
        "Give the reason the clocks are cancelled."
    ]
    assert state(case) == before

    done = client.post(
        reverse("admin:casework_case_change", args=[case.pk]),
        {**data, "clocks_on_closing": "cancel", "clocks_cancel_reason": REASON},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.priority) == (Case.Status.CLOSED, Case.Priority.HIGH)
    assert not Deadline.objects.filter(case=case).live().exists()
    assert REASON in TimelineEntry.objects.get(case=case, kind=TimelineEntry.Kind.STATUS).text
    closed_page = client.get(reverse("admin:casework_case_change", args=[case.pk]))
    assert "clocks_on_closing" not in closed_page.content.decode()


def test_keeping_the_case_open_saves_the_rest_and_leaves_the_clocks_running(caseworker):
    case = with_open_clock(team=caseworker.teams.get())
    client = signed_in(caseworker)
    data = change_form_data(client.get(reverse("admin:casework_case_change", args=[case.pk])))
    data.update(status=Case.Status.CLOSED, priority=Case.Priority.URGENT)
    data["clocks_on_closing"] = "keep_open"
    response = client.post(reverse("admin:casework_case_change", args=[case.pk]), data, follow=True)
    assert "The case stays open; its clocks keep running." in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.priority, case.closed_at) == (
        Case.Status.ACTIVE,
        Case.Priority.URGENT,
        None,
    )
    assert set(Deadline.objects.filter(case=case).values_list("state", flat=True)) == {"open"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_reference=case.reference)
    assert event.detail == {"fields": ["priority"]}


def test_a_case_without_live_clocks_closes_without_the_question(caseworker):
    case = CaseFactory(team=caseworker.teams.get(), status=Case.Status.ACTIVE)
    client = signed_in(caseworker)
    page = client.get(reverse("admin:casework_case_change", args=[case.pk]))
    assert "clocks_on_closing" not in page.content.decode()
    data = {**change_form_data(page), "status": Case.Status.CLOSED}
    response = client.post(reverse("admin:casework_case_change", args=[case.pk]), data)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_coordinator_sets_and_lifts_a_hold_on_the_case_page(coordinator):
    case = CaseFactory(status=Case.Status.CLOSED)
    client = signed_in(coordinator)
    hold_url = reverse("admin:casework_case_legal_hold", args=[case.pk])
    change_url = reverse("admin:casework_case_change", args=[case.pk])
    assert f'action="{hold_url}"' in client.get(change_url).content.decode()

    page = client.post(hold_url, {"action": "set", "reason": REASON}, follow=True).content.decode()
    assert "The case is on legal hold: nothing erases it until it is lifted." in page
    assert REASON in page and "On legal hold since" in page
    assert Case.objects.get(pk=case.pk).legal_hold_by == coordinator
    held_list = client.get(reverse("admin:casework_case_changelist") + "?legal_hold=yes")
    assert case.reference in held_list.content.decode()

    client.post(hold_url, {"action": "lift"})
    assert Case.objects.get(pk=case.pk).legal_hold_at is None
    free_list = client.get(reverse("admin:casework_case_changelist") + "?legal_hold=yes")
    assert case.reference not in free_list.content.decode()


def test_nobody_may_delete_a_held_case_in_the_admin_not_even_a_superuser(coordinator):
    case, other = CaseFactory(status=Case.Status.CLOSED), CaseFactory(status=Case.Status.CLOSED)
    case_legal_hold_set(case=case, actor=coordinator, reason=REASON)
    client = signed_in(UserFactory(is_superuser=True))
    held_page = client.get(reverse("admin:casework_case_change", args=[case.pk]))
    free_page = client.get(reverse("admin:casework_case_change", args=[other.pk]))
    assert 'class="deletelink"' in free_page.content.decode()
    assert 'class="deletelink"' not in held_page.content.decode()
    before = state(case)
    delete_url = reverse("admin:casework_case_delete", args=[case.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    # The list's bulk delete refuses a selection with a held case in it, erasing nothing.
    response = client.post(
        reverse("admin:casework_case_changelist"),
        {"action": "delete_selected", "_selected_action": [case.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Case.objects.filter(pk=other.pk).exists()
    assert state(case) == before


def test_a_caseworker_is_offered_no_hold_and_cannot_post_one(caseworker):
    case = CaseFactory(team=caseworker.teams.get())
    client = signed_in(caseworker)
    hold_url = reverse("admin:casework_case_legal_hold", args=[case.pk])
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert f'action="{hold_url}"' not in page and "No legal hold" in page
    before = state(case)
    assert client.post(hold_url, {"action": "set", "reason": REASON}).status_code == 403
    assert state(case) == before


# --- In a real browser ---------------------------------------------------------------------------


@pytest.mark.integration
def test_closing_a_case_with_an_open_clock_in_a_real_browser(live_site, monkeypatch):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    team = TeamFactory()
    person = UserFactory(role=Role.CASEWORKER, teams=[team])
    device = TOTPDeviceFactory(user=person)
    case = with_open_clock(team=team)
    clock = Deadline.objects.get(case=case, kind=Deadline.Kind.RESPONSE_DUE)
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="en-GB").new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )
        page.goto(f"{live_site}/admin/")
        page.fill("#id_username", person.username)
        page.fill("#id_password", "correct horse battery staple")
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{live_site}{reverse('admin:casework_case_change', args=[case.pk])}")
        page.select_option("#id_status", Case.Status.CLOSED)
        page.click("input[name=_save]")
        expect(page.locator(".errornote")).to_be_visible()
        expect(page.locator(".field-clocks_on_closing .errorlist")).to_have_text(
            "This case has 1 open or missed clock. If you close the case, "
            "choose what becomes of it."
        )
        assert Case.objects.get(pk=case.pk).status == Case.Status.ACTIVE
        assert page.input_value("#id_status") == Case.Status.CLOSED  # what was chosen stays

        page.check("input[name=clocks_on_closing][value=cancel]")
        page.fill("#id_clocks_cancel_reason", REASON)
        page.click("input[name=_save]")
        page.wait_for_load_state()
        expect(page.locator(".messagelist .success")).to_be_visible()
        chromium.close()
    assert elsewhere == []
    case.refresh_from_db()
    assert (case.status, case.next_deadline) == (Case.Status.CLOSED, None)
    assert Deadline.objects.get(pk=clock.pk).state == Deadline.State.CANCELLED
    assert REASON in TimelineEntry.objects.get(case=case, kind=TimelineEntry.Kind.STATUS).text
