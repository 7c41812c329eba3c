"""Collective complaint templates (RU, UA), unverified: 59-FZ art. 2 allows appeals by citizens
collectively (LEGAL.md §1, [S]); the outline follows art. 7's required content. Inserted only
where no template of the code exists, so a lawyer's edits are never overwritten."""

from django.db import migrations

SOURCE = (
    "LEGAL.md §1: 59-FZ art. 2 (collective appeals) and art. 7 (required content) [S]; "
    "Law of Ukraine 393/96-ВР art. 1, 5 (collective appeals) [U]. Unverified: check with a lawyer."
)

TEMPLATES = [
    {
        "code": "collective-complaint-ru",
        "name": "Коллективная жалоба (РФ)",
        "jurisdiction": "RU",
        "heading": "{{ office.addressee }}\n{{ office.address }}\nот граждан, подписавших настоящую жалобу\n(список и адреса для ответа — в приложении)",
        "title": "КОЛЛЕКТИВНАЯ ЖАЛОБА",
        "body": (
            "Мы, члены семей {{ collective.subject }}, обращаемся коллективно в соответствии "
            "со ст. 2 Федерального закона от 02.05.2006 № 59-ФЗ «О порядке рассмотрения "
            "обращений граждан Российской Федерации».\n\n"
            "Известные нам обстоятельства: обращений — {{ collective.cases }}, "
            "военнослужащих — {{ collective.men }}{% if collective.period %}, "
            "период — {{ collective.period }}{% endif %}. {{ collective.facts }}\n\n"
            "[Изложите общие для всех обстоятельства: что произошло, какие права нарушены.]\n\n"
            "ПРОШУ:\n\n"
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
        "heading": "{{ office.addressee }}\n{{ office.address }}\nвід громадян, які підписали цю скаргу\n(список і адреси для відповіді — у додатку)",
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


def forwards(apps, schema_editor):
    DocumentTemplate = apps.get_model("casework", "DocumentTemplate")
    for values in TEMPLATES:
        if DocumentTemplate.objects.filter(code=values["code"]).exists():
            continue
        DocumentTemplate.objects.create(
            **values,
            version=1,
            filing_kinds=[],  # never chosen for a filing: used by the collective page only
            verification="unverified",
            source=SOURCE,
        )


class Migration(migrations.Migration):
    dependencies = [("casework", "0034_case_imports")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
