"""Drafts of the templates LEGAL.md §5 found missing (RU discharge рапорт, higher VVK, independent
VVE, court claim; UA ВЛК рапорт, Military Ombudsman), opened with python-docx as staff receive
them, over a case with every fact and over one with none."""

from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from docx import Document

from casework.models import AuthorityOffice, Exchange, Filing, GeneratedDocument, ResponseRule
from casework.services.documents import document_generate
from casework.services.filings import filing_create, filing_mark_sent, vvk_record_result
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NICKNAME = "Оленька"
LEGAL_NAME = "Кузнецова Ольга Петровна"
BLANK = "________________"


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


def full_case(jurisdiction: str):  # type: ignore[no-untyped-def]
    unit = "А1234" if jurisdiction == "UA" else "в/ч 42038"
    case = CaseFactory(
        serviceman__jurisdiction=jurisdiction,
        serviceman__surname="Кузнецов",
        serviceman__given_name="Кирилл",
        serviceman__patronymic="Андреевич",
        serviceman__unit_number=unit,
        serviceman__rank="рядовой" if jurisdiction == "RU" else "солдат",
        applicant__name=NICKNAME,
        applicant__legal_name=LEGAL_NAME,
        applicant__address="г. Тверь, ул. Садовая, 1",
    )
    serviceman = case.serviceman
    serviceman.captured_on, serviceman.released_on = date(2024, 2, 10), date(2025, 5, 24)
    serviceman.exchange = Exchange.objects.create(happened_on=date(2025, 5, 24))
    serviceman.save()
    return case


def blank_case(jurisdiction: str):  # type: ignore[no-untyped-def]
    return CaseFactory(
        serviceman__jurisdiction=jurisdiction,
        serviceman__surname="",
        serviceman__given_name="",
        serviceman__patronymic="",
        serviceman__birth_date=None,
        serviceman__unit_number="",
        applicant__name=NICKNAME,
        applicant__legal_name="",
        applicant__relationship="other",
    )


def draft_of(filing: Filing) -> tuple[str, list[str]]:
    """The draft's template code and its paragraphs, as Word shows them."""
    pending = GeneratedDocument.objects.get(filing=filing)
    document = document_generate(document_id=pending.pk)
    assert document is not None and document.state == "ready", document and document.failure
    docx = Document(io.BytesIO(base64.b64decode(document.content)))
    return document.template.code, [paragraph.text for paragraph in docx.paragraphs]


def file(case, kind: str, office_kind: str, signer: str, **extra) -> Filing:  # type: ignore[no-untyped-def]
    return filing_create(
        case=case, office=office(office_kind), kind=kind, signer=signer, actor=None, **extra
    )


# (jurisdiction, kind, office kind, signer, template, addressee with every fact / with none,
#  citations, the requests that addressee is asked, the signature's last line with every fact)
NEW_TEMPLATES = [
    (
        "RU", "discharge_raport", "ru_unit_commander", "serviceman", "ru-raport-discharge",
        "Командиру войсковой части 42038", f"Командиру войсковой части {BLANK}",
        ["подпункт «в» пункта 1 статьи 51 Федерального закона от 28.03.1998 № 53-ФЗ",
         "пункт 5 Указа Президента Российской Федерации от 21.09.2022 № 647",
         "приказом Министра обороны Российской Федерации от 18.08.2014 № 555"],
        ["прошу уволить меня с военной службы по состоянию здоровья.",
         "1. Копия заключения военно-врачебной комиссии."],
        "рядовой ________________ (подпись) К.А. Кузнецов",
    ),
    (
        "RU", "appeal", "ru_vvk", "serviceman", "ru-appeal-vvk-higher",
        f"Председателю военно-врачебной комиссии {BLANK}",
        f"Председателю военно-врачебной комиссии {BLANK}",
        ["постановлением Правительства Российской Федерации от 04.07.2013 № 565"],
        ["1. Провести контрольное (повторное) освидетельствование вышестоящей "
         "военно-врачебной комиссией.",
         "3. О принятом решении сообщить мне в письменной форме."],
        "________________ / Кузнецов Кирилл Андреевич",
    ),
    (
        "RU", "appeal", "ru_independent_vve", "serviceman", "ru-vve-independent",
        f"Руководителю {BLANK} (экспертная организация, проводящая независимую военно-врачебную "
        "экспертизу)",
        f"Руководителю {BLANK} (экспертная организация, проводящая независимую военно-врачебную "
        "экспертизу)",
        ["постановлением Правительства Российской Федерации от 28.07.2008 № 574"],
        ["1. Провести независимую военно-врачебную экспертизу.",
         "2. Сообщить мне в письменной форме об условиях и сроках её проведения."],
        "________________ / Кузнецов Кирилл Андреевич",
    ),
    (
        "RU", "court_claim", "ru_military_court", "serviceman", "ru-court-claim",
        f"В {BLANK} гарнизонный военный суд", f"В {BLANK} гарнизонный военный суд",
        ["частью 1 статьи 219 Кодекса административного судопроизводства Российской Федерации",
         "На основании статей 124–126, 218 и 220 Кодекса административного судопроизводства",
         "от 04.07.2013 № 565"],
        ["1. Признать незаконным бездействие (решение) административного ответчика: "
         "________________.",
         "2. Обязать административного ответчика устранить допущенное нарушение: рассмотреть мой "
         "рапорт по существу и направить меня на военно-врачебную комиссию."],
        "________________ / Кузнецов Кирилл Андреевич",
    ),
    (
        "UA", "vvk_request", "ua_commander", "serviceman", "ua-raport-vlk",
        "Командиру військової частини А1234", f"Командиру військової частини {BLANK}",
        ["наказом Міністра оборони України від 14.08.2008 № 402",
         "наказом Міністерства оборони України від 06.08.2024 № 531"],
        ["Прошу направити мене на медичний огляд військово-лікарською комісією для визначення "
         "ступеня придатності до військової служби."],
        "солдат ________________ Кирилл КУЗНЕЦОВ",  # ДСТУ 4163:2020: Власне ім'я ПРІЗВИЩЕ
    ),
    (
        "UA", "complaint", "ua_military_ombudsman", "family", "ua-complaint-military-ombudsman",
        "Військовому омбудсману", "Військовому омбудсману",
        ["статті 5 Закону України «Про звернення громадян»"],
        ["1. Розглянути скаргу та перевірити дії (бездіяльність) командування.",
         "3. Повідомити мене про результати розгляду в письмовій формі."],
        f"________________ / {LEGAL_NAME}",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("jurisdiction", "kind", "office_kind", "signer", "code", "addressee", "addressee_blank",
     "citations", "requests", "signature"),
    NEW_TEMPLATES,
    ids=[row[4] for row in NEW_TEMPLATES],
)  # fmt: skip
def test_a_new_template_addresses_names_cites_and_asks_as_a_lawyer_would(
    jurisdiction, kind, office_kind, signer, code, addressee, addressee_blank, citations,
    requests, signature,
):  # fmt: skip
    used, lines = draft_of(file(full_case(jurisdiction), kind, office_kind, signer))
    text = "\n".join(lines)
    assert used == code
    assert lines[0] == addressee  # the official, in the dative, as the office row writes it
    for citation in citations:
        assert citation in text, citation
    for request in requests:
        assert request in (lines if request[0].isdigit() else text), request
    assert lines[-1].splitlines()[-1] == signature
    assert NICKNAME not in text  # the "how should we address you" name never signs
    if signer == "family":
        assert f"Заявник: {LEGAL_NAME}" in lines and f"Я, {LEGAL_NAME}, — член сім'ї" in text
    else:
        assert "Кузнецов Кирилл Андреевич" in text
    assert "10.02.2024" in text and "24.05.2025" in text  # his captivity, from the record

    used, lines = draft_of(file(blank_case(jurisdiction), kind, office_kind, signer))
    text = "\n".join(lines)
    assert used == code
    assert lines[0] == addressee_blank
    for citation in citations:  # the law does not depend on what the case knows
        assert citation in text, citation
    for request in requests:
        assert request in (lines if request[0].isdigit() else text), request
    assert NICKNAME not in text and "None" not in text and "{" not in text
    if signer == "family":  # a blank line where the legal name goes, never the nickname
        assert (
            f"Заявник: {BLANK}" in lines and f"Я, {BLANK}, — член сім'ї військовослужбовця." in text
        )
        assert lines[-1].splitlines()[-1] == f"{BLANK} / {BLANK}"
    assert "10.02.2024" not in text and "полон" not in text.replace("полонен", "")


def test_the_board_result_on_record_is_cited_and_chooses_the_discharge_ground():
    case = full_case("RU")
    referral = file(case, "vvk_request", "ru_unit_commander", "serviceman")
    vvk_record_result(filing=referral, actor=None, board_date=date(2026, 2, 1), category="В")
    _code, lines = draft_of(file(case, "discharge_raport", "ru_unit_commander", "serviceman"))
    text = "\n".join(lines)
    assert (
        "Заключением военно-врачебной комиссии от 01.02.2026 мне определена категория годности "
        "к военной службе: В — ограниченно годен."
    ) in text
    # Limited fit: p. 1 «г» or p. 3 «б», not the «в» of "not fit".
    assert "подпункт «г» пункта 1" in text and "подпункт «б» пункта 3" in text
    assert "подпункт «в» пункта 1" not in text
    _code, lines = draft_of(file(case, "appeal", "ru_vvk", "serviceman"))
    text = "\n".join(lines)
    assert "категория «В» не является основанием для увольнения (пункт 5 Указа" in text
    assert (
        "2. Отменить заключение военно-врачебной комиссии от 01.02.2026 и вынести новое "
        "заключение с учётом всех имеющихся у меня ранений и заболеваний."
    ) in lines


def test_a_court_claim_names_the_silent_body_as_respondent_and_when_he_learned():
    case = full_case("RU")
    raport = file(case, "vvk_request", "ru_unit_commander", "serviceman")
    raport = filing_mark_sent(
        filing=raport, actor=None, sent_on=date(2026, 3, 2), method="in_person",
        received_on=date(2026, 3, 2),
    )  # fmt: skip
    claim = file(case, "court_claim", "ru_military_court", "serviceman", escalates=raport)
    _code, lines = draft_of(claim)
    text = "\n".join(lines)
    assert "Административный ответчик: Командир войсковой части 42038" in lines
    assert "02.03.2026 я подал обращение (вид: " in text
    due = raport.due_at.astimezone(raport.due_at.tzinfo).strftime("%d.%m.%Y")
    assert f"Срок его рассмотрения истёк {due}; ответ по существу не получен." in text
    assert f"О нарушении моих прав мне стало известно {due};" in text
    assert "3. Копия обращения от 02.03.2026 и доказательство его отправки." in lines


def test_a_complaint_to_the_military_ombudsman_asks_for_three_days_only_when_life_is_at_risk():
    texts, rules = {}, {}
    for at_risk in (False, True):
        case = full_case("UA")
        filing = file(
            case, "complaint", "ua_military_ombudsman", "family", life_or_health_at_risk=at_risk
        )
        texts[at_risk] = "\n".join(draft_of(filing)[1])
        rules[at_risk] = filing.rule.code
    urgent = "Прошу розглянути скаргу невідкладно, у триденний строк."
    assert urgent in texts[True] and urgent not in texts[False]
    assert rules == {False: "ua-military-ombudsman", True: "ua-military-ombudsman-urgent"}
    assert ResponseRule.objects.get(code="ua-military-ombudsman-urgent").verification == (
        "unverified"
    )
