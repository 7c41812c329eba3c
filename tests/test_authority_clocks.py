"""Clocks from what the authority said (issue 16): an extension to the date its notice names,
never later than the rule allows; a court claim's clock is the court's own term, with KAS art.
219's filing limit a clock of its own; a 48-hour рапорт sent at any past moment. Ukrainian board
outcomes per jurisdiction, and the Military Ombudsman's rules and rungs. Worked examples."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from casework.exceptions import TransitionError
from casework.models import AuthorityOffice, Deadline, EscalationStep, Filing, ResponseRule
from casework.roles import Role
from casework.services.filings import (
    court_limit_open,
    filing_create,
    filing_escalate,
    filing_mark_sent,
    filing_record_extension,
    filing_record_registration,
    filing_record_response,
    filings_mark_overdue,
    vvk_record_result,
)
from tests.factories import CaseFactory, UserFactory, api_token_for
from tests.test_filings_admin import action_url, shown_messages, snapshot

pytestmark = pytest.mark.django_db
MSK, KYIV = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Kyiv")


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk")[0]


def new(case, kind="complaint", office_kind="ru_mod", signer="family", **extra) -> Filing:  # type: ignore[no-untyped-def]
    return filing_create(
        case=case, office=office(office_kind), kind=kind, signer=signer, actor=None, **extra
    )


def sent(filing: Filing, on: dt.date, received_on: dt.date | None = None, **extra) -> Filing:
    return filing_mark_sent(
        filing=filing, actor=None, sent_on=on, method="e_reception", received_on=received_on,
        **extra,
    )  # fmt: skip


def end_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)


def clocks(filing: Filing) -> list[tuple[str, str, str, dt.datetime]]:
    return [
        (d.kind, d.state, d.rule.code if d.rule else "", d.due_at)
        for d in Deadline.objects.filter(filing=filing).select_related("rule").order_by("pk")
    ]


# --- Extensions: the date the notice names -----------------------------------------------------


def registered_filing() -> Filing:
    """59-FZ to the MoD: registered Friday 6 March 2026, due Monday 6 April (5 April: Sunday)."""
    filing = sent(new(CaseFactory()), dt.date(2026, 3, 5), received_on=dt.date(2026, 3, 5))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="ОГ-1", registered_on=dt.date(2026, 3, 6)
    )
    assert filing.due_at == end_of(dt.date(2026, 4, 6), MSK)
    return filing


def test_an_extension_takes_the_date_its_notice_names():
    filing = filing_record_extension(
        filing=registered_filing(),
        actor=None,
        notice_on=dt.date(2026, 4, 1),
        extended_to=dt.date(2026, 4, 20),  # 14 days more, not the 30 the rule allows
    )
    assert (filing.status, filing.extensions, filing.extended_to) == (
        "extended", 1, dt.date(2026, 4, 20),
    )  # fmt: skip
    assert filing.due_at == end_of(dt.date(2026, 4, 20), MSK)
    response = Deadline.objects.get(filing=filing, state="open")
    assert response.due_at == end_of(dt.date(2026, 4, 20), MSK)
    assert response.basis.endswith("notice: until 2026-04-20")


def test_a_notice_naming_a_date_past_the_rule_leaves_the_clock_at_the_rules_longest_term():
    filing = filing_record_extension(
        filing=registered_filing(),
        actor=None,
        notice_on=dt.date(2026, 4, 1),
        extended_to=dt.date(2026, 5, 20),  # beyond 6 March + 30 + 30
    )
    assert filing.extended_to == dt.date(2026, 5, 20)  # what the notice said, kept on record
    assert filing.due_at == end_of(dt.date(2026, 5, 5), MSK)  # the clock runs early, never late
    basis = Deadline.objects.get(filing=filing, state="open").basis
    assert "notice named 2026-05-20 (later)" in basis


def test_a_notice_naming_no_date_extends_as_far_as_the_rule_allows():
    filing = filing_record_extension(
        filing=registered_filing(), actor=None, notice_on=dt.date(2026, 4, 1)
    )
    assert filing.due_at == end_of(dt.date(2026, 5, 5), MSK)


def test_a_new_date_before_the_notice_is_refused_and_changes_nothing():
    filing = registered_filing()
    before = snapshot(filing)
    with pytest.raises(TransitionError):
        filing_record_extension(
            filing=filing,
            actor=None,
            notice_on=dt.date(2026, 4, 1),
            extended_to=dt.date(2026, 3, 31),
        )
    assert snapshot(filing) == before


# --- Court: the court's own term, and KAS 219's filing limit apart ------------------------------


def test_a_filed_claims_clock_is_the_courts_term_and_it_meets_the_filing_limit():
    case = CaseFactory()
    complaint = sent(
        new(case, office_kind="ru_prosecutor_garrison"),
        dt.date(2026, 2, 2),
        received_on=dt.date(2026, 2, 2),
    )
    complaint = filing_record_response(
        filing=complaint, actor=None, answered_on=dt.date(2026, 3, 10), outcome="refused"
    )
    # The violation became known with the refusal: 3 months to file (KAS art. 219).
    assert clocks(complaint)[-1] == (
        "court_limit", "open", "ru-kas-219", end_of(dt.date(2026, 6, 10), MSK),
    )  # fmt: skip
    claim = new(
        case, kind="court_claim", office_kind="ru_military_court", signer="serviceman",
        escalates=complaint,
    )  # fmt: skip
    claim = sent(claim, dt.date(2026, 4, 1), received_on=dt.date(2026, 4, 3))
    # One month from the court's receipt (KAS art. 226): 3 May is a Sunday, so Monday 4 May.
    assert claim.rule is not None and claim.rule.code == "ru-kas-226"
    assert clocks(claim) == [
        ("response_due", "open", "ru-kas-226", end_of(dt.date(2026, 5, 4), MSK))
    ]
    assert clocks(complaint)[-1][:3] == ("court_limit", "met", "ru-kas-219")
    assert not Deadline.objects.filter(filing=claim, rule__code="ru-kas-219").exists()


def test_a_late_or_refusing_court_opens_no_new_filing_limit():
    case = CaseFactory()
    claim = new(case, kind="court_claim", office_kind="ru_military_court", signer="serviceman")
    claim = sent(claim, dt.date(2026, 4, 1), received_on=dt.date(2026, 4, 3))
    assert filings_mark_overdue(now=end_of(dt.date(2026, 5, 5), MSK), limit=100) == 1
    claim.refresh_from_db()
    assert claim.status == "overdue"
    assert [c[:2] for c in clocks(claim)] == [("response_due", "missed")]
    filing_record_response(
        filing=claim, actor=None, answered_on=dt.date(2026, 5, 20), outcome="refused"
    )
    assert not Deadline.objects.filter(filing=claim, kind="court_limit").exists()


def test_a_claim_filed_directly_gets_its_filing_limit_from_the_day_the_violation_became_known():
    case = CaseFactory()
    claim = new(case, kind="court_claim", office_kind="ru_military_court", signer="serviceman")
    court_limit_open(filing=claim, actor=None, known_on=dt.date(2026, 3, 1))
    court_limit_open(filing=claim, actor=None, known_on=dt.date(2026, 3, 2))  # corrected
    assert clocks(claim) == [
        ("court_limit", "cancelled", "ru-kas-219", end_of(dt.date(2026, 6, 1), MSK)),
        ("court_limit", "open", "ru-kas-219", end_of(dt.date(2026, 6, 2), MSK)),
    ]
    claim.refresh_from_db()
    assert (claim.status, claim.due_at) == ("draft", None)  # no response due from KAS 219
    late = sent(claim, dt.date(2026, 6, 3), received_on=dt.date(2026, 6, 3))
    assert clocks(late)[1][:2] == ("court_limit", "missed")  # filed a day after the limit
    on_time = new(case, kind="court_claim", office_kind="ru_military_court", signer="serviceman")
    court_limit_open(filing=on_time, actor=None, known_on=dt.date(2026, 3, 2))
    on_time = sent(on_time, dt.date(2026, 6, 2), received_on=dt.date(2026, 6, 2))
    assert clocks(on_time)[0][:2] == ("court_limit", "met")


def test_a_filing_limit_is_refused_for_other_filings_future_days_and_sent_claims():
    case = CaseFactory()
    complaint = new(case)
    claim = new(case, kind="court_claim", office_kind="ru_military_court", signer="serviceman")
    tomorrow = timezone.localdate() + timedelta(days=1)
    for filing, day in ((complaint, dt.date(2026, 3, 2)), (claim, tomorrow)):
        before = snapshot(filing)
        with pytest.raises(TransitionError):
            court_limit_open(filing=filing, actor=None, known_on=day)
        assert snapshot(filing) == before
    claim = sent(claim, dt.date(2026, 4, 1))
    before = snapshot(claim)
    with pytest.raises(TransitionError):
        court_limit_open(filing=claim, actor=None, known_on=dt.date(2026, 3, 2))
    assert snapshot(claim) == before


def test_staff_open_the_filing_limit_from_the_claims_page(verified_client, caseworker, team):
    case = CaseFactory(team=team, assignee=caseworker)
    claim = new(case, kind="court_claim", office_kind="ru_military_court", signer="serviceman")
    client = verified_client(caseworker)
    page = client.get(f"/admin/casework/filing/{claim.pk}/change/").content.decode()
    assert action_url(claim, "court_limit") in page
    response = client.post(action_url(claim, "court_limit"), {"known_on": "2026-03-02"})
    assert response.status_code == 302
    assert clocks(claim) == [
        ("court_limit", "open", "ru-kas-219", end_of(dt.date(2026, 6, 2), MSK))
    ]


# --- A 48-hour рапорт sent at any past moment ---------------------------------------------------


def ua_raport():  # type: ignore[no-untyped-def]
    case = CaseFactory(serviceman__jurisdiction="UA")
    return new(case, kind="raport", office_kind="ua_commander", signer="serviceman")


def test_a_48_hour_raport_sent_yesterday_runs_from_that_moment():
    yesterday = timezone.localdate() - timedelta(days=1)
    handed_in = dt.datetime.combine(yesterday, dt.time(10, 0), tzinfo=KYIV)
    filing = filing_mark_sent(
        filing=ua_raport(), actor=None, sent_on=yesterday, method="armiya_plus",
        received_at=handed_in,
    )  # fmt: skip
    assert clocks(filing) == [
        ("raport_48h", "open", "ua-raport-48h", handed_in + timedelta(hours=48))
    ]


def test_a_48_hour_raport_of_a_past_day_without_a_time_runs_from_the_start_of_that_day():
    day = timezone.localdate() - timedelta(days=3)
    filing = filing_mark_sent(filing=ua_raport(), actor=None, sent_on=day, method="armiya_plus")
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=KYIV)
    assert filing.received_at == start
    assert clocks(filing) == [("raport_48h", "open", "ua-raport-48h", start + timedelta(hours=48))]


def test_a_moment_in_the_future_is_refused_and_changes_nothing():
    filing = ua_raport()
    before = snapshot(filing)
    with pytest.raises(TransitionError):
        filing_mark_sent(
            filing=filing, actor=None, sent_on=timezone.localdate(), method="armiya_plus",
            received_at=timezone.now() + timedelta(hours=2),
        )  # fmt: skip
    assert snapshot(filing) == before


def test_staff_mark_a_raport_sent_yesterday_at_a_time(verified_client, caseworker, team):
    case = CaseFactory(team=team, assignee=caseworker, serviceman__jurisdiction="UA")
    filing = new(case, kind="raport", office_kind="ua_commander", signer="serviceman")
    yesterday = timezone.localdate() - timedelta(days=1)
    response = verified_client(caseworker).post(
        action_url(filing, "sent"),
        {"sent_on": yesterday.isoformat(), "method": "armiya_plus", "at_time": "21:30"},
    )
    assert response.status_code == 302
    handed_in = dt.datetime.combine(yesterday, dt.time(21, 30), tzinfo=KYIV)
    assert clocks(filing) == [
        ("raport_48h", "open", "ua-raport-48h", handed_in + timedelta(hours=48))
    ]


# --- Medical-board outcomes per jurisdiction ----------------------------------------------------


def referral(jurisdiction: str) -> Filing:
    office_kind = "ua_commander" if jurisdiction == "UA" else "ru_unit_commander"
    case = CaseFactory(serviceman__jurisdiction=jurisdiction)
    return new(case, kind="vvk_request", office_kind=office_kind, signer="serviceman")


@pytest.mark.parametrize(("jurisdiction", "foreign"), [("UA", "В"), ("RU", "ua_fit_support")])
def test_a_board_outcome_of_another_country_is_refused_and_changes_nothing(jurisdiction, foreign):
    filing = referral(jurisdiction)
    before = snapshot(filing)
    with pytest.raises(TransitionError):
        vvk_record_result(
            filing=filing, actor=None, board_date=dt.date(2026, 2, 1), category=foreign
        )
    assert snapshot(filing) == before
    filing.fitness_category = foreign
    with pytest.raises(ValidationError):
        filing.clean()


def test_a_ukrainian_board_outcome_is_recorded_and_shown_translated():
    filing = vvk_record_result(
        filing=referral("UA"), actor=None, board_date=dt.date(2026, 2, 1),
        category="ua_unfit_review",
    )  # fmt: skip
    filing.refresh_from_db()
    assert filing.fitness_category == "ua_unfit_review"
    with translation.override("uk"):
        assert filing.get_fitness_category_display() == (
            "непридатний з переоглядом через 6–12 місяців"
        )
    with translation.override("ru"):
        assert filing.get_fitness_category_display() == (
            "не годен, переосвидетельствование через 6–12 месяцев (UA)"
        )


def test_the_board_form_offers_only_the_cases_countrys_outcomes(verified_client, caseworker, team):
    case = CaseFactory(team=team, assignee=caseworker, serviceman__jurisdiction="UA")
    filing = new(case, kind="vvk_request", office_kind="ua_commander", signer="serviceman")
    client = verified_client(caseworker, language="uk")
    page = client.get(action_url(filing, "vvk")).content.decode()
    for value in Filing.CATEGORIES_BY_JURISDICTION["UA"]:
        assert f'value="{value}"' in page
    for value in Filing.CATEGORIES_BY_JURISDICTION["RU"]:
        assert f'value="{value}"' not in page
    assert "придатний до служби у військових частинах забезпечення, ТЦК та СП тощо" in page
    before = snapshot(filing)
    refused = client.post(action_url(filing, "vvk"), {"board_date": "2026-02-01", "category": "Д"})
    assert refused.status_code == 200 and refused.context["form"].errors["category"]
    assert snapshot(filing) == before


# --- The Military Ombudsman ---------------------------------------------------------------------


def test_the_military_ombudsman_answers_in_10_days_or_3_when_the_filing_says_life_is_at_risk():
    case = CaseFactory(serviceman__jurisdiction="UA")
    usual = sent(new(case, office_kind="ua_military_ombudsman"), dt.date(2026, 3, 5))
    urgent = sent(
        new(case, office_kind="ua_military_ombudsman", life_or_health_at_risk=True),
        dt.date(2026, 3, 5),
    )
    # Calendar days from receipt (assumed on the sending day), not moved off a Sunday.
    assert clocks(usual) == [
        ("response_due", "open", "ua-military-ombudsman", end_of(dt.date(2026, 3, 15), KYIV))
    ]
    assert clocks(urgent) == [
        ("response_due", "open", "ua-military-ombudsman-urgent", end_of(dt.date(2026, 3, 8), KYIV))
    ]
    assert Deadline.objects.get(filing=urgent).unverified is True
    # An office with no shorter term keeps its own rule whatever the filing says.
    other = new(case, office_kind="ua_mod_rights", life_or_health_at_risk=True)
    assert other.rule is not None and other.rule.code == "ua-393-general"


def test_the_military_ombudsman_is_a_rung_of_ladder_d_and_the_danger_carries_over():
    case = CaseFactory(serviceman__jurisdiction="UA")
    raport = new(
        case, kind="raport", office_kind="ua_higher_commander", signer="serviceman",
        life_or_health_at_risk=True,
    )  # fmt: skip
    raport = filing_mark_sent(
        filing=raport, actor=None, sent_on=dt.date(2026, 3, 5), method="armiya_plus",
        received_at=dt.datetime(2026, 3, 5, 9, 0, tzinfo=KYIV),
    )  # fmt: skip
    filings_mark_overdue(now=dt.datetime(2026, 3, 8, tzinfo=KYIV), limit=10)
    drafts = filing_escalate(filing=raport, actor=None)
    assert {(d.office.kind, d.kind, d.signer, d.life_or_health_at_risk) for d in drafts} == {
        ("ua_mod_rights", "complaint", "family", True),
        ("ua_military_ombudsman", "complaint", "family", True),
    }
    ombudsman = next(d for d in drafts if d.office.kind == "ua_military_ombudsman")
    assert ombudsman.rule is not None and ombudsman.rule.code == "ua-military-ombudsman-urgent"
    assert ombudsman.office.addressee == "Військовому омбудсману"
    step = EscalationStep.objects.get(ladder="D", to_office_kind="ua_military_ombudsman")
    assert (step.position, step.verification) == (3, "unverified")


def test_seeding_again_inserts_only_what_is_missing():
    from django.apps import apps

    from casework.rules.seed import seed_legal_additions

    ombudsman = office("ua_military_ombudsman")
    ombudsman.addressee = "Військовому омбудсману Іваненку І. І."
    ombudsman.save()
    ResponseRule.objects.filter(code="ua-military-ombudsman").update(amount=7)
    counts = (
        AuthorityOffice.objects.count(),
        ResponseRule.objects.count(),
        EscalationStep.objects.count(),
    )
    seed_legal_additions(apps)
    assert counts == (
        AuthorityOffice.objects.count(),
        ResponseRule.objects.count(),
        EscalationStep.objects.count(),
    )
    ombudsman.refresh_from_db()
    assert ombudsman.addressee == "Військовому омбудсману Іваненку І. І."
    assert ResponseRule.objects.get(code="ua-military-ombudsman").amount == 7


def test_the_api_creates_a_filing_that_says_life_or_health_is_at_risk(team):
    user = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    case = CaseFactory(team=team, serviceman__jurisdiction="UA")
    response = client.post(
        f"/api/v1/cases/{case.reference}/filings/",
        {
            "office": office("ua_military_ombudsman").pk,
            "kind": "complaint",
            "signer": "family",
            "life_or_health_at_risk": True,
        },
        format="json",
    )
    assert response.status_code == 201
    filing = Filing.objects.get(reference=response.json()["reference"])
    assert filing.life_or_health_at_risk is True
    assert filing.rule is not None and filing.rule.code == "ua-military-ombudsman-urgent"


def test_staff_are_told_when_the_notice_names_a_date_past_the_rule(
    verified_client, caseworker, team
):
    case = CaseFactory(team=team, assignee=caseworker)
    filing = sent(new(case), dt.date(2026, 3, 5), received_on=dt.date(2026, 3, 5))
    filing = filing_record_registration(
        filing=filing, actor=None, registration_number="ОГ-3", registered_on=dt.date(2026, 3, 6)
    )
    response = verified_client(caseworker).post(
        action_url(filing, "extension"),
        {"notice_on": "2026-04-01", "extended_to": "2026-05-20"},
        follow=True,
    )
    assert shown_messages(response) == [
        f"Extension recorded for {filing.reference}; the answer is now due 05.05.2026 23:59 MSK.",
        "The notice names 20.05.2026, later than the rule allows: the clock stays at the rule's "
        "longest term. The authority is late after that day.",
    ]
    filing.refresh_from_db()
    assert filing.due_at == end_of(dt.date(2026, 5, 5), MSK)
