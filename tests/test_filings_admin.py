"""Filings, deadlines, legal rules, exchanges and the dashboard, through the admin's own URLs."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.exceptions import TransitionError
from casework.models import (
    AuditEvent,
    AuthorityOffice,
    Case,
    Deadline,
    Exchange,
    Filing,
    Heartbeat,
    JurisdictionCalendar,
    ResponseRule,
    Serviceman,
    TimelineEntry,
    Verification,
)
from casework.roles import Role
from casework.services.filings import (
    deadline_hand_over,
    filing_create,
    filing_mark_sent,
    filing_record_registration,
)
from casework.services.system import heartbeat_record
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
TODAY = timezone.localdate()
NOT_FOUND_REDIRECT = "/admin/"  # the admin's answer for a missing object
MAX_PAGE_QUERIES = 16
WRITES = [AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE, AuditEvent.Action.DELETE]


@pytest.fixture(autouse=True)
def fresh_dashboard_cache(monkeypatch):  # type: ignore[no-untyped-def]
    """Dashboard numbers are cached for a minute in the shared Redis: keep each test's apart."""
    from casework.admin import dashboard

    prefix = uuid.uuid4().hex
    monkeypatch.setattr(dashboard, "_key", lambda *parts: ":".join([prefix, *map(str, parts)]))


@pytest.fixture
def case(team, caseworker):  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker)


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


def draft(case, kind="complaint", office_kind="ru_mod", signer="family") -> Filing:  # type: ignore[no-untyped-def]
    return filing_create(
        case=case, office=office(office_kind), kind=kind, signer=signer, actor=None
    )


def sent(case, on: dt.date, **kwargs) -> Filing:  # type: ignore[no-untyped-def]
    filing = draft(case, **kwargs)
    return filing_mark_sent(
        filing=filing, actor=None, sent_on=on, method="e_reception", received_on=on
    )


def action_url(filing: Filing, name: str) -> str:
    return reverse("admin:casework_filing_action", args=[filing.pk, name])


def change_url(obj) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"admin:casework_{obj._meta.model_name}_change", args=[obj.pk])


def shown_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in response.context["messages"]]


def snapshot(filing: Filing) -> tuple[object, ...]:
    """Everything a refused transition must leave as it was."""
    return (
        Filing.objects.values().get(pk=filing.pk),
        list(Deadline.objects.order_by("pk").values_list("pk", "state", "due_at")),
        Filing.objects.count(),
        AuditEvent.objects.filter(action__in=WRITES).count(),
    )


def open_due_day(filing: Filing) -> dt.date:
    deadline = Deadline.objects.get(filing=filing, kind="response_due", state="open")
    return deadline.due_at.astimezone(MSK).date()


# --- Creating a draft and every transition ----------------------------------------------------


def test_caseworker_creates_a_draft_from_the_case_page(verified_client, caseworker, case):
    client = verified_client(caseworker)
    case_page = client.get(change_url(case)).content.decode()
    add_url = reverse("admin:casework_filing_add") + f"?case={case.pk}"
    assert add_url in case_page
    form_page = client.get(add_url)
    assert form_page.status_code == 200
    assert f'value="{case.reference}"' in form_page.content.decode()
    response = client.post(
        add_url,
        {
            "case_reference": case.reference,
            "office": office("ru_mod").pk,
            "kind": "complaint",
            "signer": "family",
            "notes": "Жалоба о непредоставлении ВВК.",
        },
    )
    filing = Filing.objects.get(case=case)
    assert (response.status_code, response["Location"]) == (302, change_url(filing))
    assert (filing.status, filing.kind, filing.created_by) == ("draft", "complaint", caseworker)
    created = AuditEvent.objects.filter(object_reference=filing.reference, action="create")
    assert created.count() == 1


def form_token(response) -> str:  # type: ignore[no-untyped-def]
    """The one-time token a rendered form carries in its hidden field."""
    return response.context["form"]["token"].value()


def test_a_double_submitted_draft_is_created_once(verified_client, caseworker, case):
    client = verified_client(caseworker)
    add_url = reverse("admin:casework_filing_add") + f"?case={case.pk}"
    form_page = client.get(add_url)
    token = form_token(form_page)
    assert f'name="token" value="{token}"' in form_page.content.decode()
    data = {
        "case_reference": case.reference,
        "office": office("ru_mod").pk,
        "kind": "complaint",
        "signer": "family",
        "token": token,
    }
    first, again = client.post(add_url, data), client.post(add_url, data)
    filing = Filing.objects.get(case=case)
    assert first["Location"] == again["Location"] == change_url(filing)
    assert AuditEvent.objects.filter(object_reference=filing.reference).count() == 1
    fresh = form_token(client.get(add_url))
    assert fresh != token
    client.post(add_url, {**data, "token": fresh})
    assert Filing.objects.filter(case=case).count() == 2


def test_a_refused_draft_keeps_what_was_typed_and_creates_nothing(
    verified_client, caseworker, case
):
    client = verified_client(caseworker)
    response = client.post(
        reverse("admin:casework_filing_add"),
        {
            "case_reference": case.reference,
            "office": office("ru_unit_commander").pk,
            "kind": "raport",
            "signer": "family",  # a рапорт is the serviceman's own
            "notes": "Черновик рапорта.",
        },
    )
    assert response.status_code == 200
    assert any("Only the serviceman himself" in text for text in shown_messages(response))
    body = response.content.decode()
    assert "Черновик рапорта." in body and f'value="{case.reference}"' in body
    assert not Filing.objects.exists()


def test_each_transition_works_through_the_admin(verified_client, caseworker, case):
    client = verified_client(caseworker)
    filing = draft(case)
    page = client.get(change_url(filing)).content.decode()
    assert action_url(filing, "sent") in page
    assert action_url(filing, "registration") not in page  # offered only when it applies

    response = client.post(
        action_url(filing, "sent"),
        {
            "sent_on": (TODAY - timedelta(days=20)).isoformat(),
            "method": "registered_mail",
            "tracking_number": "RA123456789RU",
            "proof_to_follow": "the receipt is with the mother",
        },
    )
    assert (response.status_code, response["Location"]) == (302, change_url(filing))
    filing.refresh_from_db()
    assert (filing.status, filing.tracking_number) == ("sent", "RA123456789RU")
    assert Deadline.objects.filter(filing=filing, state="open").count() == 1

    registered_on = TODAY - timedelta(days=18)
    response = client.post(
        action_url(filing, "registration"),
        {"registration_number": "ОГ-12/345", "registered_on": registered_on.isoformat()},
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert (filing.status, filing.registration_number) == ("registered", "ОГ-12/345")
    first_due = open_due_day(filing)

    # The notice names its new date, fewer than the 30 days the rule allows: the clock takes it.
    named = first_due + timedelta(days=13)
    response = client.post(
        action_url(filing, "extension"),
        {"notice_on": (TODAY - timedelta(days=2)).isoformat(), "extended_to": named.isoformat()},
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert (filing.status, filing.extensions, filing.extended_to) == ("extended", 1, named)
    assert open_due_day(filing) == named

    response = client.post(
        action_url(filing, "response"), {"answered_on": TODAY.isoformat(), "outcome": "refused"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert (filing.status, filing.outcome) == ("answered", "refused")
    assert not Deadline.objects.filter(filing=filing, kind="response_due", state="open").exists()

    escalate_page = client.get(action_url(filing, "escalate")).content.decode()
    assert "escalation-proposals" in escalate_page
    assert "Administrative claim in the garrison military court" in escalate_page  # ladder A.5
    response = client.post(action_url(filing, "escalate"), {})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == "escalated"
    drafts = Filing.objects.filter(escalates=filing)
    assert {(d.office.kind, d.kind, d.status) for d in drafts} >= {
        ("ru_military_court", "court_claim", "draft")
    }
    follow = client.get(change_url(filing)).content.decode()
    for other in drafts:
        assert other.reference in follow  # the filing page lists what followed from it

    transitions = AuditEvent.objects.filter(object_reference=filing.reference, action="change")
    assert [e.detail["transition"] for e in transitions.order_by("pk")] == [
        "sent",
        "registered",
        "extended",
        "answered",
        "escalated",
    ]
    assert all(e.actor == caseworker for e in transitions)


def test_a_refused_transition_shows_the_message_and_changes_nothing(
    verified_client, caseworker, case
):
    client = verified_client(caseworker)
    filing = sent(case, TODAY - timedelta(days=5))
    before = snapshot(filing)
    response = client.post(
        action_url(filing, "registration"),
        {"registration_number": "ВХ-777", "registered_on": (TODAY - timedelta(days=9)).isoformat()},
    )
    assert response.status_code == 200  # the same form again, not an error page
    assert shown_messages(response) == ["Registration cannot come before sending."]
    assert 'value="ВХ-777"' in response.content.decode()  # what was typed is kept
    assert snapshot(filing) == before

    response = client.post(
        action_url(filing, "sent"), {"sent_on": TODAY.isoformat(), "method": "in_person"}
    )
    assert response.status_code == 200
    assert shown_messages(response) == ["A filing that is sent cannot be marked sent."]
    assert snapshot(filing) == before

    response = client.post(action_url(filing, "escalate"), {})
    assert shown_messages(response) == ["Only an overdue or refused filing can be escalated."]
    assert snapshot(filing) == before

    response = client.post(action_url(filing, "vvk"), {"board_date": "2026-01-01", "category": "В"})
    assert shown_messages(response) == ["Only a medical board referral has a board result."]
    assert snapshot(filing) == before


def test_a_second_extension_is_refused_by_the_rule(verified_client, caseworker, case):
    filing = sent(case, TODAY - timedelta(days=12))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="1", registered_on=TODAY - timedelta(days=10)
    )
    client = verified_client(caseworker)
    later = (TODAY + timedelta(days=30)).isoformat()
    first = client.post(
        action_url(filing, "extension"),
        {"notice_on": TODAY.isoformat(), "extended_to": later},
        follow=True,
    )
    assert first.redirect_chain == [(change_url(filing), 302)]
    before = snapshot(filing)
    second = client.post(
        action_url(filing, "extension"), {"notice_on": TODAY.isoformat(), "extended_to": later}
    )
    assert second.status_code == 200
    assert shown_messages(second) == ["The rule ru-59fz-general v1 allows only 1 extension(s)."]
    assert snapshot(filing) == before


def test_bad_input_keeps_what_was_typed_and_changes_nothing(verified_client, caseworker, case):
    filing = draft(case)
    before = snapshot(filing)
    response = verified_client(caseworker).post(
        action_url(filing, "sent"),
        {"sent_on": "31.02.2026", "method": "registered_mail", "tracking_number": "RA99RU"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "errornote" in body and 'value="RA99RU"' in body
    assert snapshot(filing) == before


def test_forwarded_response_needs_the_office_then_starts_a_new_clock(
    verified_client, caseworker, case
):
    filing = sent(case, TODAY - timedelta(days=6))
    client = verified_client(caseworker)
    before = snapshot(filing)
    refused = client.post(
        action_url(filing, "response"), {"answered_on": TODAY.isoformat(), "outcome": "forwarded"}
    )
    assert shown_messages(refused) == ["Say which office it was forwarded to."]
    assert snapshot(filing) == before
    prosecutor = office("ru_prosecutor_garrison")
    response = client.post(
        action_url(filing, "response"),
        {"answered_on": TODAY.isoformat(), "outcome": "forwarded", "forwarded_to": prosecutor.pk},
    )
    assert response.status_code == 302
    follow_up = Filing.objects.get(escalates=filing)
    assert (follow_up.office, follow_up.status) == (prosecutor, "sent")


@pytest.mark.parametrize(("service_type", "advised"), [("mobilised", True), ("contract", False)])
def test_board_result_shows_the_decree_647_advice_prominently(
    verified_client, caseworker, case, service_type, advised
):
    Serviceman.objects.filter(pk=case.serviceman_id).update(service_type=service_type)
    filing = draft(case, kind="vvk_request", office_kind="ru_unit_commander", signer="serviceman")
    client = verified_client(caseworker)
    response = client.post(
        action_url(filing, "vvk"),
        {"board_date": (TODAY - timedelta(days=3)).isoformat(), "category": "В"},
        follow=True,
    )
    filing.refresh_from_db()
    assert (filing.fitness_category, filing.board_date) == ("В", TODAY - timedelta(days=3))
    body = response.content.decode()
    assert ('id="vvk-advice"' in body) is advised
    assert any("decree 647" in text for text in shown_messages(response)) is advised
    assert TimelineEntry.objects.filter(case=case, kind="note").exists() is advised


# --- Visibility -------------------------------------------------------------------------------


def test_caseworker_cannot_open_another_teams_filing_by_url(verified_client, caseworker, case):
    mine = draft(case)
    theirs = sent(CaseFactory(), TODAY - timedelta(days=4))
    client = verified_client(caseworker)
    listing = client.get(reverse("admin:casework_filing_changelist")).content.decode()
    assert mine.reference in listing and theirs.reference not in listing
    deadlines = client.get(reverse("admin:casework_deadline_changelist")).content.decode()
    assert theirs.case.reference not in deadlines
    before = snapshot(theirs)
    for url, missing in (
        (change_url(theirs), reverse("admin:casework_filing_change", args=[987654321])),
        (
            reverse("admin:casework_filing_history", args=[theirs.pk]),
            reverse("admin:casework_filing_history", args=[987654321]),
        ),
        (action_url(theirs, "registration"), action_url(Filing(pk=987654321), "registration")),
    ):
        expected, response = client.get(missing), client.get(url)
        assert (response.status_code, response.get("Location")) == (
            expected.status_code,
            expected.get("Location"),
        ), url
        assert response.status_code == 302 and response["Location"] == NOT_FOUND_REDIRECT
    posted = client.post(
        action_url(theirs, "registration"),
        {"registration_number": "1", "registered_on": TODAY.isoformat()},
    )
    assert (posted.status_code, posted["Location"]) == (302, NOT_FOUND_REDIRECT)
    created = client.post(
        reverse("admin:casework_filing_add"),
        {
            "case_reference": theirs.case.reference,
            "office": office("ru_mod").pk,
            "kind": "complaint",
            "signer": "family",
        },
    )
    assert created.status_code == 200 and "No case with this reference." in created.content.decode()
    assert snapshot(theirs) == before


def test_tracking_and_registration_numbers_stay_off_lists_and_urls(
    verified_client, coordinator, case
):
    filing = sent(case, TODAY - timedelta(days=4))
    filing_record_registration(
        filing=filing, actor=None, registration_number="ВХ-SECRET-42", registered_on=TODAY
    )
    client = verified_client(coordinator)
    for url in (
        reverse("admin:casework_filing_changelist"),
        reverse("admin:casework_deadline_changelist"),
        change_url(case),
    ):
        body = client.get(url).content.decode()
        assert "ВХ-SECRET-42" not in body, url
        assert 'name="q"' not in body, url
    assert "ВХ-SECRET-42" in client.get(change_url(filing)).content.decode()  # its own page


# --- The case page ------------------------------------------------------------------------------


def test_case_page_summarises_filings_with_marks_and_next_steps(verified_client, caseworker, case):
    # Calendars published through last year only: this year's due dates may still move.
    JurisdictionCalendar.objects.filter(jurisdiction="RU").update(
        published_through_year=TODAY.year - 1
    )
    filing = sent(case, TODAY - timedelta(days=3))
    proposal = draft(case, kind="vvk_request", office_kind="ru_unit_commander", signer="serviceman")
    body = verified_client(caseworker).get(change_url(case)).content.decode()
    assert filing.reference in body and proposal.reference in body
    assert "unverified — check with a lawyer" in body  # 59-FZ is "sourced", not verified
    if open_due_day(filing).year == TODAY.year:
        assert "provisional" in body
    assert action_url(filing, "registration") in body and action_url(filing, "response") in body
    assert action_url(proposal, "sent") in body and action_url(proposal, "vvk") in body


# --- Legal rules: versions, preview and apply, verification ---------------------------------------


def test_coordinator_edits_a_used_rule_as_a_new_version_previews_and_applies(
    verified_client, coordinator, case
):
    filing = sent(case, TODAY - timedelta(days=10))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="1", registered_on=TODAY - timedelta(days=8)
    )
    old_due = open_due_day(filing)
    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    client = verified_client(coordinator)

    page = client.get(change_url(rule))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]  # used: read-only
    new_version_url = reverse("admin:casework_responserule_new_version", args=[rule.pk])
    assert new_version_url in page.content.decode()
    assert client.post(change_url(rule), {"amount": 5}).status_code == 403  # no edit in place

    form = client.get(new_version_url)
    assert form.status_code == 200
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if value is not None and name not in {"office_kinds", "filing_kinds"}
    }
    data.update(
        amount=20,
        valid_from=rule.valid_from.isoformat(),
        roll_forward="on",
        office_kinds=rule.office_kinds,
        filing_kinds=rule.filing_kinds,
        source="Corrected by the lawyer.",
    )
    response = client.post(new_version_url, data)
    new = ResponseRule.objects.get(code=rule.code, version=2)
    apply_url = reverse("admin:casework_responserule_apply", args=[new.pk])
    assert (response.status_code, response["Location"]) == (302, apply_url)
    assert (new.amount, new.verification) == (20, Verification.SOURCED)
    rule.refresh_from_db()
    assert rule.amount == 30  # the used version did not change
    assert open_due_day(filing) == old_due  # and nothing moved yet

    preview = client.get(apply_url)
    rows = preview.context["rows"]
    assert [(row["filing"].pk, row["case"].reference) for row in rows] == [
        (filing.pk, case.reference)
    ]
    new_due = TODAY - timedelta(days=8) + timedelta(days=20)
    body = preview.content.decode()
    assert filing.reference in body and case.reference in body
    assert old_due.strftime("%d.%m.%Y") in body
    assert open_due_day(filing) == old_due  # the preview saved nothing

    applied = client.post(apply_url, {"confirm": "yes"})
    assert (applied.status_code, applied["Location"]) == (302, change_url(new))
    filing.refresh_from_db()
    assert filing.rule == new
    assert open_due_day(filing) >= new_due  # rolled forward if it ends on a day off
    assert open_due_day(filing) < old_due
    event = AuditEvent.objects.get(object_reference=str(new), detail__applied_to_filings=1)
    assert event.actor == coordinator
    assert AuditEvent.objects.filter(
        object_reference=str(new), action="create", detail__from_version=1
    ).exists()


def test_an_invalid_new_version_keeps_what_was_typed(verified_client, coordinator):
    rule = ResponseRule.objects.get(code="ua-raport-48h", version=1)
    client = verified_client(coordinator)
    url = reverse("admin:casework_responserule_new_version", args=[rule.pk])
    initial = client.get(url).context["form"].initial
    data = {k: v for k, v in initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        office_kinds=rule.office_kinds,
        filing_kinds=rule.filing_kinds,
        start_from="registration",  # an hour term must run from receipt
        title="Рапорт: 48 часов (правка)",
        valid_from=rule.valid_from.isoformat(),
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "These terms cannot be computed" in response.content.decode()
    assert "Рапорт: 48 часов (правка)" in response.content.decode()
    assert ResponseRule.objects.filter(code=rule.code).count() == 1


def test_marking_a_rule_verified_records_who_and_clears_the_mark(
    verified_client, coordinator, caseworker, case
):
    filing = sent(case, TODAY - timedelta(days=3))
    rule = filing.rule
    assert Deadline.objects.filter(filing=filing, unverified=True).count() == 1
    client = verified_client(coordinator)
    response = client.post(reverse("admin:casework_responserule_verify", args=[rule.pk]))
    assert (response.status_code, response["Location"]) == (302, change_url(rule))
    rule.refresh_from_db()
    assert (rule.verification, rule.verified_by) == (Verification.VERIFIED, coordinator)
    assert rule.verified_at is not None
    assert not Deadline.objects.filter(filing=filing, unverified=True).exists()
    assert AuditEvent.objects.filter(object_reference=str(rule), actor=coordinator).count() == 1
    body = verified_client(caseworker).get(change_url(case)).content.decode()
    assert "unverified — check with a lawyer" not in body


def test_caseworker_may_view_rules_but_not_edit_them(verified_client, caseworker, case):
    sent(case, TODAY - timedelta(days=3))
    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    unused = ResponseRule.objects.get(code="ua-raport-14d", version=1)
    before = (
        list(ResponseRule.objects.order_by("pk").values()),
        list(Filing.objects.values("pk", "rule", "due_at")),
        AuditEvent.objects.filter(action__in=WRITES).count(),
    )
    client = verified_client(caseworker)
    assert client.get(reverse("admin:casework_responserule_changelist")).status_code == 200
    page = client.get(change_url(rule))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    body = page.content.decode()
    assert reverse("admin:casework_responserule_new_version", args=[rule.pk]) not in body
    assert reverse("admin:casework_responserule_verify", args=[rule.pk]) not in body
    assert client.get(change_url(unused)).context["has_change_permission"] is False
    refused = [
        client.post(change_url(unused), {"amount": 1}),
        client.get(reverse("admin:casework_responserule_add")),
        client.get(reverse("admin:casework_responserule_new_version", args=[rule.pk])),
        client.post(
            reverse("admin:casework_responserule_new_version", args=[rule.pk]), {"amount": 1}
        ),
        client.get(reverse("admin:casework_responserule_apply", args=[rule.pk])),
        client.post(
            reverse("admin:casework_responserule_apply", args=[rule.pk]), {"confirm": "yes"}
        ),
        client.post(reverse("admin:casework_responserule_verify", args=[rule.pk])),
        client.post(change_url(office("ru_mod")), {"name": "x"}),
        client.get(reverse("admin:casework_escalationstep_add")),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    after = (
        list(ResponseRule.objects.order_by("pk").values()),
        list(Filing.objects.values("pk", "rule", "due_at")),
        AuditEvent.objects.filter(action__in=WRITES).count(),
    )
    assert after == before


def test_an_unused_version_is_corrected_in_place(verified_client, coordinator):
    rule = ResponseRule.objects.get(code="ua-raport-14d", version=1)
    client = verified_client(coordinator)
    page = client.get(change_url(rule))
    assert page.context["has_change_permission"]
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data["roll_forward"] = "on"
    data["amount"] = 15
    response = client.post(change_url(rule), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    rule.refresh_from_db()
    assert (rule.version, rule.amount) == (1, 15)
    change = AuditEvent.objects.get(object_reference=str(rule), action="change")
    assert change.detail == {"fields": ["amount"]}


# --- Exchanges ---------------------------------------------------------------------------------


def test_recording_an_exchange_reports_which_cases_woke_up(verified_client, coordinator):
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    free = CaseFactory()
    client = verified_client(coordinator)
    assert client.get(reverse("admin:casework_exchange_add")).status_code == 200
    text = f"{captive.reference.lower()}\n{free.reference}, ZZZZ-ZZZZ Путинцев Кирилл"
    response = client.post(
        reverse("admin:casework_exchange_add"),
        {"happened_on": "2026-11-01", "description": "84 for 84", "case_references": text},
        follow=True,
    )
    assert response.status_code == 200
    texts = shown_messages(response)
    assert f"1 case woke up: {captive.reference}." in texts
    assert f"Not woken (not marked as in captivity, or closed): {free.reference}." in texts
    assert "1 reference matches no case you can see." in texts
    assert not any("Путинцев" in text for text in texts)
    captive.refresh_from_db()
    assert (captive.in_captivity, captive.needs_attention) == (False, True)
    assert Filing.objects.filter(case=captive, status="draft").count() == 1


def test_a_double_submitted_exchange_is_recorded_once(verified_client, coordinator):
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    later = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    client = verified_client(coordinator)
    add_url = reverse("admin:casework_exchange_add")
    form_page = client.get(add_url)
    token = form_token(form_page)
    assert f'name="token" value="{token}"' in form_page.content.decode()
    data = {"happened_on": "2026-11-01", "case_references": captive.reference, "token": token}
    first = client.post(add_url, data, follow=True)
    again = client.post(add_url, data, follow=True)
    exchange = Exchange.objects.get()
    for response in (first, again):  # the repeat answers as the first did
        assert response.redirect_chain[-1][0] == change_url(exchange)
        assert f"1 case woke up: {captive.reference}." in shown_messages(response)
    assert Filing.objects.filter(case=captive).count() == 1
    # One note of the exchange, one entry of the filing it proposed: nothing twice.
    assert sorted(captive.timeline.values_list("kind", flat=True)) == ["filing", "note"]
    assert AuditEvent.objects.filter(object_type="exchange", action="change").count() == 1
    # Two exchanges on one day are real: a new form on the same date records a second one.
    fresh = {**data, "case_references": later.reference, "token": form_token(client.get(add_url))}
    assert f"1 case woke up: {later.reference}." in shown_messages(
        client.post(add_url, fresh, follow=True)
    )
    assert Exchange.objects.filter(happened_on=dt.date(2026, 11, 1)).count() == 2


def test_an_exchange_without_references_keeps_the_form(verified_client, coordinator):
    response = verified_client(coordinator).post(
        reverse("admin:casework_exchange_add"),
        {"happened_on": "2026-11-01", "description": "обмен", "case_references": "нет"},
    )
    assert response.status_code == 200
    assert "No case reference found in the text." in response.content.decode()
    assert 'value="обмен"' in response.content.decode()


# --- Dashboard and case list: numbers, filters, and a fixed number of queries --------------------


def populate(team, user, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` cases of `team` assigned to `user`, each with a filing and a deadline."""
    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    mod = office("ru_mod")
    now = timezone.now()
    for index in range(count):
        case = CaseFactory(team=team, assignee=user, status="new" if index % 2 else "active")
        status = ["sent", "registered", "overdue", "extended"][index % 4]
        due = now + timedelta(days=index % 10 - 3, hours=1)
        filing = Filing.objects.create(
            case=case, office=mod, kind="complaint", signer="family", status=status, rule=rule,
            sent_on=TODAY, due_at=due, tracking_number=f"RA{index}RU",
        )  # fmt: skip
        Deadline.objects.create(
            case=case, filing=filing, kind="response_due", due_at=due,
            state="missed" if status == "overdue" else "open", responsible=user,
            backup_team=team, rule=rule,
        )  # fmt: skip
        if status != "overdue":
            Case.objects.filter(pk=case.pk).update(next_deadline=due)


def count_queries(client: Client, url: str) -> int:
    from casework.admin.dashboard import dashboard_forget

    dashboard_forget()  # count cold: nothing cached
    dashboard_forget(client.session_user)  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_dashboard_and_case_list_use_a_fixed_number_of_queries(verified_client, team, role):
    user = UserFactory(role=role, teams=[team])
    other_team = TeamFactory()
    client = verified_client(user)
    client.session_user = user  # type: ignore[attr-defined]
    pages = [
        reverse("admin:index"),
        reverse("admin:casework_case_changelist"),
        reverse("admin:casework_case_changelist") + "?next_deadline=week",
        reverse("admin:casework_case_changelist") + "?next_deadline=overdue",
    ]
    populate(team, user, 3)
    populate(other_team, UserFactory(role=Role.CASEWORKER, teams=[other_team]), 1)
    small = [count_queries(client, url) for url in pages]
    populate(team, user, 37)
    populate(other_team, UserFactory(role=Role.CASEWORKER, teams=[other_team]), 10)
    large = [count_queries(client, url) for url in pages]
    assert Case.objects.count() == 51 and Deadline.objects.count() == 51
    assert large == small
    assert max(large) <= MAX_PAGE_QUERIES, large
    client.get(reverse("admin:index"))  # counts the numbers once more, and keeps them
    with CaptureQueriesContext(connection) as warm:
        assert client.get(reverse("admin:index")).status_code == 200
    # Counting costs the caseworker 2 queries and the coordinator 3 (the team table); this user
    # has no email address, so the overview lists their reminders (one query, never cached),
    # and a coordinator's lists the staff emails given up (one more, never cached); the case
    # list 13 (docs/benchmarks.md: 12, and one for the people of the "assigned to" filter);
    # kept numbers leave only the page's own 11 and those lists.
    caseworker = role == Role.CASEWORKER
    assert large == [14 if caseworker else 16, 13, 13, 13]
    assert len(warm) == (12 if caseworker else 13)  # the numbers were kept for the next view


def test_dashboard_counts_for_a_caseworker_and_per_team_for_a_coordinator(
    verified_client, team, caseworker, coordinator
):
    populate(team, caseworker, 8)  # statuses cycle sent, registered, overdue, extended
    other_team = TeamFactory(name="Zz other")
    populate(other_team, UserFactory(role=Role.CASEWORKER, teams=[other_team]), 4)
    heartbeat_record(name=Heartbeat.SWEEP)
    now = timezone.now()
    mine = Deadline.objects.filter(responsible=caseworker)
    overdue = (
        mine.filter(state="missed").count() + mine.filter(state="open", due_at__lt=now).count()
    )
    soon = mine.filter(state="open", due_at__gte=now, due_at__lt=now + timedelta(days=7)).count()

    response = verified_client(caseworker).get(reverse("admin:index"))
    counts = response.context["dashboard"]["mine"]
    assert (counts.overdue, counts.due_soon) == (overdue, soon)
    assert counts.new_intakes == Case.objects.filter(team=team, status="new").count() == 4
    assert counts.awaiting_response == 6  # the open clocks of sent, registered and extended
    assert response.context["dashboard"]["teams"] == ()
    assert not response.context["sweep_stale"]
    assert 'id="sweep-stale"' not in response.content.decode()

    response = verified_client(coordinator).get(reverse("admin:index"))
    rows = {row.team_name: row.counts for row in response.context["dashboard"]["teams"]}
    assert rows[team.name].new_intakes == 4 and rows["Zz other"].new_intakes == 2
    assert rows[team.name].awaiting_response == 6 and rows["Zz other"].awaiting_response == 3
    assert rows[team.name].overdue == overdue
    assert response.context["dashboard"]["mine"].overdue == 0  # nothing is the coordinator's own


def test_dashboard_warns_when_the_sweep_is_stale(verified_client, caseworker):
    from casework.models import Heartbeat

    Heartbeat.objects.create(name=Heartbeat.SWEEP, at=timezone.now() - timedelta(days=2))
    body = verified_client(caseworker).get(reverse("admin:index")).content.decode()
    assert 'id="sweep-stale"' in body


def test_case_list_shows_and_filters_by_next_deadline(verified_client, caseworker, team):
    now = timezone.now()
    soon = CaseFactory(team=team, next_deadline=now + timedelta(days=2))
    later = CaseFactory(team=team, next_deadline=now + timedelta(days=30))
    none = CaseFactory(team=team)
    late = CaseFactory(team=team)
    filing = sent(late, TODAY - timedelta(days=100))
    Filing.objects.filter(pk=filing.pk).update(status="overdue")
    Deadline.objects.filter(filing=filing).update(state="missed")
    Case.objects.filter(pk=late.pk).update(next_deadline=None)
    client = verified_client(caseworker)
    listing = reverse("admin:casework_case_changelist")

    def shown(query: str) -> list[str]:
        response = client.get(listing + query)
        return [case.reference for case in response.context["cl"].result_list]

    assert shown("?next_deadline=week") == [soon.reference]
    assert shown("?next_deadline=overdue") == [late.reference]
    assert set(shown("?next_deadline=none")) == {none.reference, late.reference}
    by_deadline = shown("?o=" + str(list(client.get(listing).context["cl"].list_display).index(
        "next_deadline_column")))  # fmt: skip
    assert by_deadline[:2] == [soon.reference, later.reference]  # no deadline sorts last
    body = client.get(listing).content.decode()
    assert soon.next_deadline.astimezone(MSK).strftime("%d.%m.%Y") in body


# --- Handing a deadline over -------------------------------------------------------------------


def hand_over_url(deadline: Deadline) -> str:
    return reverse("admin:casework_deadline_hand_over", args=[deadline.pk])


def test_a_caseworker_hands_a_deadline_to_a_team_colleague(verified_client, caseworker, case, team):
    colleague = UserFactory(role=Role.CASEWORKER, teams=[team], username="colleague")
    UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()], username="stranger")
    deadline = sent(case, TODAY).deadlines.get(state=Deadline.State.OPEN)
    assert deadline.responsible == caseworker
    client = verified_client(caseworker)
    assert f'href="{change_url(deadline)}"' in client.get(change_url(case)).content.decode()
    assert f'href="{hand_over_url(deadline)}"' in client.get(change_url(deadline)).content.decode()
    page = client.get(hand_over_url(deadline)).content.decode()
    assert "colleague" in page and "stranger" not in page  # only who can open the case
    assert '<form method="post" novalidate id="hand-over-form">' in page
    assert 'value="Hand over"' in page and f'<a href="{change_url(deadline)}">' in page

    response = client.post(hand_over_url(deadline), {"responsible": colleague.pk}, follow=True)
    deadline.refresh_from_db()
    assert deadline.responsible == colleague and deadline.backup_team == team
    assert shown_messages(response) == ["colleague now answers for this deadline."]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).latest("pk")
    assert event.detail == {"deadline": deadline.pk, "responsible": [caseworker.pk, colleague.pk]}
    assert (event.actor, event.object_reference) == (caseworker, case.reference)


def test_a_deadline_is_never_handed_to_someone_who_cannot_open_the_case(
    verified_client, caseworker, case
):
    stranger = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    deadline = sent(case, TODAY).deadlines.get(state=Deadline.State.OPEN)
    client = verified_client(caseworker)
    before = Deadline.objects.values().get(pk=deadline.pk), AuditEvent.objects.count()
    response = client.post(hand_over_url(deadline), {"responsible": stranger.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert (Deadline.objects.values().get(pk=deadline.pk), AuditEvent.objects.count()) == before
    with pytest.raises(TransitionError):  # the service refuses too, whoever calls it
        deadline_hand_over(deadline=deadline, responsible=stranger, actor=caseworker)
    assert Deadline.objects.values().get(pk=deadline.pk) == before[0]


def test_a_closed_deadline_or_another_teams_deadline_cannot_be_handed_over(
    verified_client, caseworker, case, team
):
    colleague = UserFactory(role=Role.CASEWORKER, teams=[team])
    filing = sent(case, TODAY)
    deadline = filing.deadlines.get(state=Deadline.State.OPEN)
    Deadline.objects.filter(pk=deadline.pk).update(state=Deadline.State.MET)
    client = verified_client(caseworker)
    assert client.post(hand_over_url(deadline), {"responsible": colleague.pk}).status_code == 403
    with pytest.raises(TransitionError):
        deadline_hand_over(deadline=deadline, responsible=colleague, actor=caseworker)
    elsewhere = sent(CaseFactory(), TODAY).deadlines.get(state=Deadline.State.OPEN)
    response = client.post(hand_over_url(elsewhere), {"responsible": colleague.pk})
    assert response.status_code == 302 and response["Location"] == NOT_FOUND_REDIRECT
    assert Deadline.objects.get(pk=deadline.pk).responsible == caseworker
    assert Deadline.objects.get(pk=elsewhere.pk).responsible is None


# --- Discarding a draft ------------------------------------------------------------------------


def test_a_draft_made_by_mistake_is_discarded_and_audited(verified_client, caseworker, case):
    client = verified_client(caseworker)
    filing = draft(case)
    assert action_url(filing, "discard") in client.get(change_url(filing)).content.decode()
    assert "no authority knows of it" in client.get(action_url(filing, "discard")).content.decode()
    response = client.post(action_url(filing, "discard"), {}, follow=True)
    assert response.redirect_chain == [(change_url(case), 302)]
    assert shown_messages(response) == [f"Draft {filing.reference} discarded."]
    assert not Filing.objects.filter(pk=filing.pk).exists()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).get()
    assert (event.actor, event.object_reference) == (caseworker, filing.reference)
    assert event.detail == {"case": case.reference, "kind": "complaint"}


def test_a_sent_filing_cannot_be_discarded(verified_client, caseworker, case):
    client = verified_client(caseworker)
    filing = sent(case, TODAY)
    assert action_url(filing, "discard") not in client.get(change_url(filing)).content.decode()
    before = snapshot(filing), AuditEvent.objects.count()
    response = client.post(action_url(filing, "discard"), {}, follow=True)
    assert "Only a draft can be discarded; a filing that was sent stays." in shown_messages(
        response
    )
    assert (snapshot(filing), AuditEvent.objects.count()) == before


def test_only_people_who_see_the_case_can_answer_for_its_deadlines(team, caseworker):
    from casework.selectors import cases_visible_to, users_who_see_case

    administrator = UserFactory(role=Role.ADMINISTRATOR)  # no case content for this role
    case = CaseFactory(team=team, assignee=administrator)
    superuser, coordinator = UserFactory(is_superuser=True), UserFactory(role=Role.COORDINATOR)
    UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    UserFactory(role=Role.CASEWORKER, teams=[team], is_active=False)
    candidates = set(users_who_see_case(case))
    assert candidates == {caseworker, superuser, coordinator}
    # The same rule as cases_visible_to, read from the case's side.
    everyone = UserFactory._meta.model.objects.all()
    assert {u for u in everyone if cases_visible_to(u).filter(pk=case.pk).exists()} == candidates
    deadline = sent(case, TODAY).deadlines.get(state=Deadline.State.OPEN)
    with pytest.raises(TransitionError):
        deadline_hand_over(deadline=deadline, responsible=administrator, actor=caseworker)
    assert Deadline.objects.get(pk=deadline.pk).responsible == administrator


def test_discarding_the_last_escalation_draft_lets_the_filing_be_escalated_again(caseworker, case):
    from casework.services.filings import filing_discard, filing_escalate, filing_record_response

    filing = sent(case, TODAY - timedelta(days=40))
    filing_record_response(
        filing=filing, actor=None, answered_on=TODAY, outcome="refused", forwarded_to=None
    )
    drafts = filing_escalate(filing=filing, actor=caseworker)
    assert Filing.objects.get(pk=filing.pk).status == Filing.Status.ESCALATED
    for number, proposed in enumerate(drafts, start=1):
        filing_discard(filing=proposed, actor=caseworker)
        still_escalated = number < len(drafts)
        status = Filing.objects.get(pk=filing.pk).status
        assert status == (Filing.Status.ESCALATED if still_escalated else Filing.Status.ANSWERED)
    again = filing_escalate(filing=filing, actor=caseworker)
    assert [d.office_id for d in again] == [d.office_id for d in drafts]
