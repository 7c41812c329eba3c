"""Collective complaint templates (RU, UA), seeded unverified: 59-FZ art. 2 allows appeals by
citizens collectively (LEGAL.md §1, [S]); the outline follows art. 7's required content. Only
missing codes are inserted, so a lawyer's edits are never overwritten (migration 0035, and the
tests' reference data after a flush)."""

from __future__ import annotations

from typing import Any

SOURCE = (
    "LEGAL.md §1: 59-FZ art. 2 (collective appeals) and art. 7 (required content) [S]; "
    "Law of Ukraine 393/96-ВР art. 1, 5 (collective appeals) [U]. Unverified: check with a lawyer."
)

COLLECTIVE_TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "collective-complaint-ru",
        "name": "Коллективная жалоба (РФ)",
        "jurisdiction": "RU",
        "heading": (
            "{{ office.addressee }}\n{{ office.address }}\n"
            "от граждан, подписавших настоящую жалобу\n"
            "(список и адреса для ответа — в приложении)"
        ),
        "title": "КОЛЛЕКТИВНАЯ ЖАЛОБА",
        "body": (
            "Мы, члены семей {{ collective.subject }}, обращаемся коллективно в соответствии "
            "со ст. 2 Федерального закона от 02.05.2006 № 59-ФЗ «О порядке рассмотрения "
            "обращений граждан Российской Федерации».\n\n"
            "Известные нам обстоятельства: обращений — {{ collective.cases }}, "
            "военнослужащих — {{ collective.men }}{% if collective.period %}, "
            "период — {{ collective.period }}{% endif %}. {{ collective.facts }}\n\n"
            "[Изложите общие для всех обстоятельства: что произошло, какие права нарушены.]\n\n"
            "ПРОСИМ:\n\n"
            "1. Провести проверку изложенных обстоятельств.\n\n"
            "2. Принять меры по восстановлению нарушенных прав военнослужащих.\n\n"
            "3. Направить ответ каждому подписавшему по адресу, указанному в приложении."
        ),
        "signature": "{{ today.date }}\n\nПодписи:\n{{ collective.signatures }}",
    },
    {
        "code": "collective-complaint-ua",
        "name": "Колективна скарга (Україна)",
        "jurisdiction": "UA",
        "heading": (
            "{{ office.addressee }}\n{{ office.address }}\n"
            "від громадян, які підписали цю скаргу\n"
            "(список і адреси для відповіді — у додатку)"
        ),
        "title": "КОЛЕКТИВНА СКАРГА",
        "body": (
            "Ми, члени сімей {{ collective.subject }}, звертаємося колективно відповідно до "
            "Закону України «Про звернення громадян».\n\n"
            "Відомі нам обставини: звернень — {{ collective.cases }}, військовослужбовців — "
            "{{ collective.men }}{% if collective.period %}, період — {{ collective.period }}"
            "{% endif %}. {{ collective.facts }}\n\n"
            "[Викладіть спільні для всіх обставини: що сталося, які права порушено.]\n\n"
            "ПРОСИМО:\n\n"
            "1. Провести перевірку викладених обставин.\n\n"
            "2. Вжити заходів для відновлення порушених прав військовослужбовців.\n\n"
            "3. Надіслати відповідь кожному, хто підписав, за адресою, зазначеною в додатку."
        ),
        "signature": "{{ today.date }}\n\nПідписи:\n{{ collective.signatures }}",
    },
]


def seed_collective_templates(apps: Any) -> None:
    """Insert each collective complaint template whose code is missing."""
    template = apps.get_model("casework", "DocumentTemplate")
    for values in COLLECTIVE_TEMPLATES:
        if template.objects.filter(code=values["code"]).exists():
            continue
        template.objects.create(
            **values,
            version=1,
            filing_kinds=[],  # never chosen for a filing: used by the collective page only
            verification="unverified",
            source=SOURCE,
        )
