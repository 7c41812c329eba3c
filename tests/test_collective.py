"""Issue 17: collective complaints: cases selected by unit (keyed hash), exchange or office, an
anonymised summary with small counts suppressed, consenting families (checked at the moment of
use), and a draft from an unverified template signed by those who agreed."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from docx import Document

from casework.models import Applicant, AuditEvent, AuthorityOffice, Exchange, Filing, Serviceman
from casework.roles import Role
from casework.selectors.collective import (
    collective_cases,
    collective_signatories,
    collective_summary,
)
from casework.services.collective import UNVERIFIED_MARK
from tests.factories import ApplicantFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

SPELLINGS = ("в/ч 42038", "ВЧ42038", "войсковая часть 42038", "в/ч 42038", "42038", "в/ч № 42038")


def _unit_cases() -> dict[str, list[Any]]:
    cases = []
    for index, unit in enumerate(SPELLINGS):
        cases.append(
            CaseFactory(
                serviceman__unit_number=unit,
                serviceman__status=Serviceman.Status.REDEPLOYED,
                injured=index < 2,
                applicant__consent_collective=index < 3,
                applicant__legal_name=("Сидорова Анна Петровна", "", "Кузина Ольга Ивановна")[index]
                if index < 3
                else "Молчанова Ирина",
            )
        )
    CaseFactory(serviceman__unit_number="в/ч 51111", applicant__consent_collective=True)
    return {"cases": cases}


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_a_unit_is_found_by_its_keyed_hash_however_it_is_written():
    made = _unit_cases()["cases"]
    found = collective_cases(unit="в/ч 42038")
    assert sorted(found.values_list("pk", flat=True)) == sorted(c.pk for c in made)
    assert collective_cases().count() == 0  # nothing chosen, nothing selected


def test_the_summary_counts_and_suppresses_small_figures():
    _unit_cases()
    summary = collective_summary(collective_cases(unit="42038"))
    assert (summary.cases, summary.men) == (6, 6)
    assert summary.statuses == (("redeployed", 6),)
    assert dict(summary.facts) == {"injured": None, "in_captivity": 0, "under_25": 0}
    assert summary.opened_from == summary.opened_to == date.today().strftime("%m.%Y")
    small = collective_summary(collective_cases(unit="в/ч 51111"))
    assert (small.cases, small.men, small.opened_from, small.opened_to) == (None, None, "", "")


def test_only_families_who_agree_now_are_listed():
    made = _unit_cases()["cases"]
    cases = collective_cases(unit="42038")
    assert [a.legal_name for a in collective_signatories(cases)] == [
        "Сидорова Анна Петровна",
        "",
        "Кузина Ольга Ивановна",
    ]
    Applicant.objects.filter(pk=made[0].applicant_id).update(consent_collective=False)
    assert [a.legal_name for a in collective_signatories(cases)] == ["", "Кузина Ольга Ивановна"]


def test_the_draft_is_signed_by_those_who_agree_at_that_moment_and_marked_unverified(
    verified_client,
):  # type: ignore[no-untyped-def]
    made = _unit_cases()["cases"]
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = verified_client(coordinator, language="ru")
    shown_before = AuditEvent.objects.count()
    page = client.post("/admin/collective/", {"unit": "ВЧ 42038", "step": "show"})
    body = page.content.decode()
    shown = AuditEvent.objects.order_by("pk")[shown_before:]
    assert [(e.action, e.object_type, e.detail) for e in shown] == [
        ("view", "collective", {"by": "unit", "cases": 6, "signatories": 3})
    ]
    assert page.status_code == 200
    assert "Сидорова Анна Петровна" in body and "Молчанова" not in body
    assert "42038" not in page.request["PATH_INFO"] and "42038" not in page.request["QUERY_STRING"]
    template = page.context["form"].fields["template"].queryset.get(code="collective-complaint-ru")
    # Withdrawn after the page was shown: she neither appears nor signs.
    Applicant.objects.filter(pk=made[0].applicant_id).update(consent_collective=False)
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin/collective/", {"unit": "ВЧ 42038", "template": template.pk, "step": "draft"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="collective-')
    text = _text(response.content)
    assert UNVERIFIED_MARK in text
    assert "КОЛЛЕКТИВНАЯ ЖАЛОБА" in text
    assert "Сидорова" not in text and "Молчанова" not in text
    assert "1. ________________ ________________" in text  # agreed, legal name not recorded
    assert "2. Кузина Ольга Ивановна ________________" in text
    assert "обращений — 6, военнослужащих — 6" in text
    assert "ранены: менее 5" in text
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_type, e.object_reference) for e in events] == [
        ("export", "collective", "collective-complaint-ru")
    ]
    assert events[0].detail == {
        "by": "unit",
        "cases": 6,
        "signatories": 2,
        "template_version": 1,
    }


def test_cases_are_selected_by_exchange_or_by_office(verified_client):  # type: ignore[no-untyped-def]
    exchange = Exchange.objects.create(happened_on=date(2025, 5, 24), description="май")
    by_exchange = [CaseFactory(serviceman__exchange=exchange) for _ in range(2)]
    CaseFactory()
    assert set(collective_cases(exchange=exchange)) == set(by_exchange)
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    filed = CaseFactory()
    Filing.objects.create(case=filed, office=office, kind="complaint", signer=Filing.Signer.FAMILY)
    assert list(collective_cases(office=office)) == [filed]
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    page = client.post("/admin/collective/", {"exchange": exchange.pk, "step": "show"})
    assert 'id="collective-summary"' in page.content.decode()
    both = client.post(
        "/admin/collective/", {"exchange": exchange.pk, "unit": "42038", "step": "show"}
    )
    assert "Choose one of: a unit, an exchange or an office." in both.content.decode()


def test_a_caseworker_is_refused(verified_client, caseworker, team):  # type: ignore[no-untyped-def]
    CaseFactory(team=team, serviceman__unit_number="в/ч 42038")
    client = verified_client(caseworker)
    before = AuditEvent.objects.count()
    assert client.get("/admin/collective/").status_code == 403
    assert client.post("/admin/collective/", {"unit": "42038", "step": "show"}).status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_mans_other_relatives_who_agree_are_listed_too():
    case = CaseFactory(applicant=None, serviceman__unit_number="в/ч 99999")
    ApplicantFactory(serviceman=case.serviceman, consent_collective=True, legal_name="Брат Иван")
    assert [a.legal_name for a in collective_signatories(collective_cases(unit="99999"))] == [
        "Брат Иван"
    ]


def test_the_seeded_templates_pass_the_lawyers_check_and_are_unverified():
    from casework.drafting import PARTS, template_check
    from casework.models import DocumentTemplate
    from casework.rules.collective_seed import COLLECTIVE_TEMPLATES

    for values in COLLECTIVE_TEMPLATES:
        assert template_check({part: values[part] for part in PARTS}) == {}
        seeded = DocumentTemplate.objects.get(code=values["code"])
        assert (seeded.verification, seeded.filing_kinds) == ("unverified", [])


def test_a_small_complement_hides_the_figure_it_could_be_worked_out_from():
    # 7 cases, 6 injured: "not injured" would be 1, so 6 is hidden too; 0 in captivity is shown.
    for index in range(7):
        CaseFactory(serviceman__unit_number="в/ч 77777", injured=index < 6)
    summary = collective_summary(collective_cases(unit="77777"))
    assert summary.cases == 7
    assert dict(summary.facts) == {"injured": None, "in_captivity": 0, "under_25": 0}


def test_the_draft_service_refuses_a_caseworker(caseworker):  # type: ignore[no-untyped-def]
    from casework.exceptions import PermissionDeniedError
    from casework.models import DocumentTemplate
    from casework.services.collective import collective_draft

    _unit_cases()
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        collective_draft(
            actor=caseworker,
            template=DocumentTemplate.objects.get(code="collective-complaint-ru"),
            unit="42038",
        )
    assert AuditEvent.objects.count() == before
