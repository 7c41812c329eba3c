"""Dated facts: the chronology a caseworker keeps, where he is now, and the drafts' chronology."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from docx import Document

from casework.drafting import docx_build, draft_render
from casework.models import AuditEvent, AuthorityOffice, CaseFact, Filing
from casework.roles import Role
from casework.selectors import case_chronology, case_current_place
from casework.services.documents import document_facts
from casework.services.facts import FactError, fact_add, fact_use_set
from casework.services.filings import filing_create
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def case(team, caseworker):  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker, summary="Мама пишет: его били в части")


def facts_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:casework_case_facts", args=[case.pk])


def change_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:casework_case_change", args=[case.pk])


def filing_to(case, office_kind: str, kind: str = "complaint") -> Filing:  # type: ignore[no-untyped-def]
    office = AuthorityOffice.objects.filter(kind=office_kind).order_by("pk").first()
    assert office is not None
    return filing_create(case=case, office=office, kind=kind, signer="family", actor=None)


def test_a_caseworker_adds_a_fact_inline_encrypted_and_audited_without_its_words(
    verified_client, caseworker, case
):
    client = verified_client(caseworker)
    assert 'id="case-fact-form"' in client.get(change_url(case)).content.decode()
    response = client.post(
        facts_url(case),
        {
            "action": "add",
            "kind": "hospitalised",
            "happened_on": "12.03.2026",
            "precision": "day",
            "text": "военный госпиталь им. Бурденко",
            "source": "от матери, по телефону",
            "use_in_documents": "on",
        },
    )
    assert (response.status_code, response["Location"]) == (302, f"{change_url(case)}#case-facts")
    fact = CaseFact.objects.get(case=case)
    assert (fact.kind, fact.happened_on, fact.precision, fact.use_in_documents) == (
        "hospitalised",
        date(2026, 3, 12),
        "day",
        True,
    )
    assert (fact.text, fact.source, fact.created_by) == (
        "военный госпиталь им. Бурденко",
        "от матери, по телефону",
        caseworker,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, source FROM casework_casefact WHERE id = %s", [fact.pk])
        raw = " ".join(cursor.fetchone())
    assert "Бурденко" not in raw and "матери" not in raw
    event = AuditEvent.objects.get(action="create", object_type="casefact")
    assert (event.object_reference, event.detail) == (
        case.reference,
        {"fact": fact.pk, "kind": "hospitalised", "use_in_documents": True},
    )
    page = client.get(change_url(case)).content.decode()
    assert "военный госпиталь им. Бурденко" in page and "12.03.2026" in page


def test_an_other_fact_without_words_is_refused(case):
    with pytest.raises(FactError):
        fact_add(case=case, actor=None, kind="other", happened_on=date(2026, 1, 1), text=" ")
    assert not CaseFact.objects.exists()


def test_a_fact_on_a_day_to_come_is_refused_and_nothing_is_kept(verified_client, caseworker, case):
    response = verified_client(caseworker).post(
        facts_url(case),
        {
            "action": "add",
            "kind": "moved",
            "happened_on": (TODAY + timedelta(days=1)).strftime("%d.%m.%Y"),
            "precision": "day",
            "text": "в/ч 12345",
        },
        follow=True,
    )
    assert "A fact cannot happen on a day still to come." in response.content.decode()
    assert not CaseFact.objects.exists()
    assert not AuditEvent.objects.filter(object_type="casefact").exists()


def test_another_team_and_an_auditor_add_nothing(verified_client, case):
    stranger = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    auditor = UserFactory(role=Role.AUDITOR)
    posted = {"action": "add", "kind": "moved", "happened_on": "01.03.2026", "precision": "day"}
    for user in (stranger, auditor):
        response = verified_client(user).post(facts_url(case), posted)
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    with pytest.raises(Exception) as refused:
        fact_add(case=case, actor=stranger, kind="moved", happened_on=date(2026, 3, 1))
    assert type(refused.value).__name__ == "NotFoundError"
    assert not CaseFact.objects.exists()


def test_where_he_is_now_is_the_latest_move_on_the_workbench(verified_client, caseworker, case):
    fact_add(case=case, actor=None, kind="moved", happened_on=date(2026, 1, 5), text="в/ч 11111")
    fact_add(
        case=case,
        actor=None,
        kind="moved",
        happened_on=date(2026, 2, 20),
        precision="about",
        text="госпиталь в Ростове",
        source="со слов сослуживца",
    )
    fact_add(case=case, actor=None, kind="contact", happened_on=date(2026, 3, 1), text="звонил")
    place = case_current_place(case)
    assert place is not None and place.text == "госпиталь в Ростове"
    page = verified_client(caseworker).get(change_url(case)).content.decode()
    summary = page[page.index('id="current-place"') :]
    assert summary.startswith(
        'id="current-place">госпиталь в Ростове <span class="help">(moved there ~20.02.2026; '
        "со слов сослуживца)"
    )


def test_a_fact_is_left_out_of_documents_and_back(verified_client, caseworker, case):
    fact = fact_add(case=case, actor=None, kind="board", happened_on=date(2026, 2, 1))
    client = verified_client(caseworker)
    client.post(facts_url(case), {"action": "unuse", "fact": fact.pk})
    assert case_chronology(case) == []
    client.post(facts_url(case), {"action": "use", "fact": fact.pk})
    assert case_chronology(case) == [fact]
    changes = AuditEvent.objects.filter(action="change", object_type="casefact")
    assert [event.detail["value"] for event in changes.order_by("pk")] == [False, True]
    fact_use_set(fact=fact, actor=caseworker, use_in_documents=True)  # already: no new event
    assert changes.count() == 2


def _facts_of_a_history(case) -> None:  # type: ignore[no-untyped-def]
    fact_add(
        case=case,
        actor=None,
        kind="hospitalised",
        happened_on=date(2026, 3, 12),
        text="военный госпиталь, г. Ростов-на-Дону",
        source="от матери",
    )
    fact_add(case=case, actor=None, kind="exchange", happened_on=date(2025, 5, 24), precision="day")
    fact_add(
        case=case,
        actor=None,
        kind="moved",
        happened_on=date(2026, 4, 2),
        precision="about",
        text="в/ч 95396",
    )
    fact_add(
        case=case,
        actor=None,
        kind="other",
        happened_on=date(2024, 6, 1),
        precision="year",
        text="призван по мобилизации",
    )
    fact_add(
        case=case,
        actor=None,
        kind="contact",
        happened_on=date(2026, 4, 20),
        text="звонил матери, жалуется на боли",
        use_in_documents=False,
    )
    fact_add(
        case=case,
        actor=None,
        kind="board",
        happened_on=date(2026, 5, 3),
        precision="month",
        text="категория «В»",
    )


def test_the_drafts_chronology_in_russian_in_date_order_marked_facts_only(case):
    _facts_of_a_history(case)
    facts = document_facts(filing_to(case, "ru_prosecutor_garrison"))
    assert facts["case"]["chronology"] == (
        "в 2024 г. — призван по мобилизации\n"
        "24.05.2025 — обмен\n"
        "12.03.2026 — госпитализация: военный госпиталь, г. Ростов-на-Дону\n"
        "около 02.04.2026 — перемещение: в/ч 95396\n"
        "05.2026 — освидетельствование военно-врачебной комиссией: категория «В»"
    )


def test_the_drafts_chronology_in_ukrainian_for_a_ukrainian_office():
    case = CaseFactory(serviceman__jurisdiction="UA")
    fact_add(case=case, actor=None, kind="hospitalised", happened_on=date(2026, 3, 12), text="Київ")
    fact_add(case=case, actor=None, kind="moved", happened_on=date(2026, 4, 2), precision="about")
    fact_add(case=case, actor=None, kind="board", happened_on=date(2026, 5, 3), precision="year")
    facts = document_facts(filing_to(case, "ua_mod_rights"))
    assert facts["case"]["chronology"] == (
        "12.03.2026 — госпіталізація: Київ\n"
        "близько 02.04.2026 — переміщення\n"
        "у 2026 р. — огляд військово-лікарською комісією"
    )


def test_a_case_without_facts_prints_a_blank_and_the_familys_words_never(case):
    facts = document_facts(filing_to(case, "ru_prosecutor_garrison"))
    assert facts["case"]["chronology"] == "________________"
    _facts_of_a_history(case)
    facts = document_facts(filing_to(case, "ru_prosecutor_garrison"))
    printed = "\n".join(value for group in facts.values() for value in group.values())
    assert "его били" not in printed  # the family's own account (Case.summary)
    assert "от матери" not in printed  # a fact's source stays in the case
    assert "жалуется на боли" not in printed  # a fact left out of documents


def test_a_template_prints_the_chronology_as_lines_of_the_docx(case):
    _facts_of_a_history(case)
    facts = document_facts(filing_to(case, "ru_prosecutor_garrison"))
    parts = {
        "heading": "{{ office.addressee }}",
        "title": "ЖАЛОБА",
        "body": "Обстоятельства:\n{{ case.chronology }}\n\nПРОШУ:",
        "signature": "{{ today.date }}",
    }
    docx = Document(io.BytesIO(docx_build(draft_render(parts, facts))))
    text = "\n".join(paragraph.text for paragraph in docx.paragraphs)
    assert (
        "Обстоятельства:\nв 2024 г. — призван по мобилизации\n24.05.2025 — обмен\n"
        "12.03.2026 — госпитализация" in text
    )


def test_the_seeded_complaint_prints_the_marked_chronology(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from casework.models import GeneratedDocument
    from casework.services.filings import filing_create
    from tests.test_documents import office, text_of

    case = CaseFactory()
    CaseFact.objects.create(
        case=case,
        kind=CaseFact.Kind.HOSPITALISED,
        happened_on=date(2025, 3, 12),
        text="военный госпиталь",
        source="со слов матери",
    )
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="complaint",
            signer="family",
            actor=None,
        )
    text = text_of(GeneratedDocument.objects.get(filing=filing))
    assert "12.03.2025 — госпитализация: военный госпиталь" in text
    assert "со слов матери" not in text  # the source stays in the case


def test_templates_nobody_edited_get_the_chronology_as_a_new_version():  # type: ignore[no-untyped-def]
    from django.apps import apps

    from casework.models import DocumentTemplate
    from casework.rules.document_seed import (
        CHRONOLOGY_REVISED,
        TEMPLATES,
        parts_digest,
        revise_for_chronology,
    )

    rows = {row["code"]: row for row in TEMPLATES}
    before = {}
    for code in CHRONOLOGY_REVISED:
        newest = DocumentTemplate.objects.filter(code=code).order_by("-version").first()
        # As an installation made before this change has it: the text without the chronology.
        old_body = rows[code]["body"]
        for snippet in (
            "{% if case.chronology %}{{ case.chronology }}\n{% endif %}",
            "{% if case.chronology %}Хронологія подій:\n{{ case.chronology }}\n\n{% endif %}",
        ):
            old_body = old_body.replace(snippet, "")
        newest.body = old_body
        newest.save(update_fields=["body"])
        assert parts_digest({**rows[code], "body": old_body}) == CHRONOLOGY_REVISED[code], code
        before[code] = newest.version
    edited = DocumentTemplate.objects.filter(code="ua-appeal").order_by("-version").first()
    edited.body += "\nПравка юриста."
    edited.save(update_fields=["body"])

    revise_for_chronology(apps)
    revise_for_chronology(apps)  # a second run changes nothing
    for code in ("ru-complaint-prosecutor", "ru-appeal-command"):
        versions = DocumentTemplate.objects.filter(code=code).order_by("-version")
        assert versions[0].version == before[code] + 1 and versions.count() == before[code] + 1
        assert "case.chronology" in versions[0].body and versions[0].verification == "unverified"
        assert "case.chronology" not in versions[1].body
    assert (
        DocumentTemplate.objects.filter(code="ua-appeal")
        .order_by("-version")[0]
        .body.endswith("Правка юриста.")
    )
