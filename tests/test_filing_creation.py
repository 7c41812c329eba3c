"""One creation path for filings: every way a filing comes to exist writes the same record.

Each path (case page, API, escalation, exchange wake-up, forwarded answer, demo seed) must leave
the creation audit event, one timeline entry and, when a template fits, a draft document.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import (
    AuditEvent,
    AuthorityOffice,
    Case,
    Filing,
    GeneratedDocument,
    Serviceman,
    TimelineEntry,
)
from casework.roles import Role
from casework.selectors import template_for
from casework.services.exchanges import exchange_record
from casework.services.filings import (
    filing_create,
    filing_escalate,
    filing_mark_sent,
    filing_record_response,
)
from casework.services.reminders import deadlines_sweep
from tests.factories import CaseFactory, UserFactory, api_token_for

pytestmark = pytest.mark.django_db


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


@pytest.fixture
def case(team, caseworker) -> Case:  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker)


def assert_recorded_as_created(filing: Filing, *, actor_id: int | None) -> None:
    """The three things every path must leave, exactly once each."""
    created = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="filing", object_reference=filing.reference
    )
    assert list(created.values_list("actor_id", flat=True)) == [actor_id]
    entries = TimelineEntry.objects.filter(case=filing.case_id, kind=TimelineEntry.Kind.FILING)
    assert sum(filing.reference in entry.text for entry in entries) == 1
    documents = GeneratedDocument.objects.filter(filing=filing)
    expected = 1 if template_for(filing) is not None else 0
    assert documents.count() == expected
    if expected:
        assert documents.get().template == template_for(filing)


def test_the_case_page_creates_a_recorded_draft(case, caseworker, verified_client):
    client = verified_client(caseworker)
    add_url = reverse("admin:casework_filing_add") + f"?case={case.pk}"
    token = client.get(add_url).context["form"]["token"].value()
    response = client.post(
        add_url,
        {
            "case_reference": case.reference,
            "office": office("ru_prosecutor_garrison").pk,
            "kind": "complaint",
            "signer": "family",
            "notes": "",
            "token": token,
        },
    )
    filing = Filing.objects.get(case=case)
    assert response.status_code == 302
    assert_recorded_as_created(filing, actor_id=caseworker.pk)
    assert GeneratedDocument.objects.filter(filing=filing).count() == 1  # a template fits


def test_the_api_creates_a_recorded_draft_once_per_key(case, caseworker):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(caseworker)}")
    url = reverse("api:case-filings", args=[case.reference])
    body = {"office": office("ru_mod").pk, "kind": "complaint", "signer": "family"}
    first = client.post(url, body, format="json", headers={"Idempotency-Key": "k1"})
    again = client.post(url, body, format="json", headers={"Idempotency-Key": "k1"})
    filing = Filing.objects.get(case=case)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json() == {"reference": filing.reference, "status": "draft"}
    assert_recorded_as_created(filing, actor_id=caseworker.pk)


def test_the_api_refuses_a_signer_the_rule_forbids_and_creates_nothing(case, caseworker):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(caseworker)}")
    url = reverse("api:case-filings", args=[case.reference])
    body = {"office": office("ru_unit_commander").pk, "kind": "raport", "signer": "family"}
    response = client.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "rule"
    assert not Filing.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.FILING).exists()


def test_the_api_answers_404_for_another_teams_case(caseworker):
    other = CaseFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(caseworker)}")
    url = reverse("api:case-filings", args=[other.reference])
    body = {"office": office("ru_mod").pk, "kind": "complaint", "signer": "family"}
    assert client.post(url, body, format="json").status_code == 404
    assert not Filing.objects.exists()


def test_escalation_drafts_are_recorded(case, caseworker):
    filing = filing_create(
        case=case,
        office=office("ru_unit_commander"),
        kind="vvk_request",
        signer="serviceman",
        actor=caseworker,
    )
    filing_mark_sent(
        filing=filing, actor=caseworker, sent_on=dt.date(2025, 1, 10), method="in_person"
    )
    deadlines_sweep()
    drafts = filing_escalate(filing=Filing.objects.get(pk=filing.pk), actor=caseworker)
    assert len(drafts) == 2
    for draft in drafts:
        assert draft.escalates_id == filing.pk
        assert_recorded_as_created(draft, actor_id=caseworker.pk)


def test_a_forwarded_answer_opens_a_recorded_follow_up(case, caseworker):
    filing = filing_create(
        case=case, office=office("ru_mod"), kind="complaint", signer="family", actor=caseworker
    )
    sent_on = dt.date.today() - dt.timedelta(days=5)
    filing_mark_sent(filing=filing, actor=caseworker, sent_on=sent_on, method="e_reception")
    filing_record_response(
        filing=filing,
        actor=caseworker,
        answered_on=dt.date.today(),
        outcome=Filing.Outcome.FORWARDED,
        forwarded_to=office("ru_prosecutor_garrison"),
    )
    follow_up = Filing.objects.get(escalates=filing)
    assert (follow_up.office.kind, follow_up.status) == ("ru_prosecutor_garrison", "sent")
    assert_recorded_as_created(follow_up, actor_id=caseworker.pk)


def test_an_exchange_proposes_recorded_first_filings_from_the_ladder_data():
    coordinator = UserFactory(role=Role.COORDINATOR)
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    exchange_record(
        happened_on=dt.date(2025, 5, 24),
        description="",
        case_references=[captive.reference],
        servicemen=[],
        actor=coordinator,
    )
    proposal = Filing.objects.get(case=captive)
    assert (proposal.office.kind, proposal.kind, proposal.signer) == (
        "ru_unit_commander",
        "vvk_request",
        "serviceman",
    )
    assert_recorded_as_created(proposal, actor_id=coordinator.pk)


def test_a_caseworker_cannot_record_an_exchange_and_nothing_changes():
    caseworker = UserFactory(role=Role.CASEWORKER)
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    from casework.exceptions import PermissionDeniedError
    from casework.models import Exchange

    with pytest.raises(PermissionDeniedError):
        exchange_record(
            happened_on=dt.date(2025, 5, 24),
            description="",
            case_references=[captive.reference],
            servicemen=[],
            actor=caseworker,
        )
    assert not Exchange.objects.exists()
    assert not Filing.objects.exists()
    assert Case.objects.get(pk=captive.pk).in_captivity is True


def test_first_rungs_are_editable_data_not_code():
    """Removing the RU first rung from the ladder data means an exchange proposes nothing."""
    from casework.models import EscalationStep

    EscalationStep.objects.filter(trigger="released", jurisdiction="RU").delete()
    coordinator = UserFactory(role=Role.COORDINATOR)
    captive = CaseFactory(in_captivity=True, serviceman__status=Serviceman.Status.CAPTIVE)
    exchange_record(
        happened_on=dt.date(2025, 5, 24),
        description="",
        case_references=[captive.reference],
        servicemen=[],
        actor=coordinator,
    )
    assert not Filing.objects.filter(case=captive).exists()
    assert Case.objects.get(pk=captive.pk).in_captivity is False  # the case still woke up


def test_the_demo_seed_makes_its_sample_filings_through_the_service():
    call_command("seed_demo", cases=20, jobs=1, sample_filings=5)
    filings = list(Filing.objects.order_by("pk"))
    assert len(filings) == 5
    for filing in filings:
        assert_recorded_as_created(filing, actor_id=None)
