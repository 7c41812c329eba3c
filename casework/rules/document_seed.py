"""The starting document templates, from the outlines in ../shared/domain/LEGAL.md section 4.

Inserted by a data migration when their code is missing; a template staff have edited (any
version) is never touched. Every one is "unverified": the wording was drafted from the outlines,
not by a lawyer, and says so wherever a draft made from it is offered.
"""

from __future__ import annotations

from typing import Any

_SOURCE = "LEGAL.md §4 outline {n}; wording drafted from the outline, not checked by a lawyer."

_RU_FAMILY_HEADING = """\
Кому: {{ office.name }}
{% if office.address %}{{ office.address }}{% endif %}
От: {{ applicant.full_name }}
Адрес: {{ applicant.address }}
Телефон: {{ applicant.phone }}
{% if applicant.email %}Эл. почта: {{ applicant.email }}{% endif %}"""

_RU_SERVICEMAN = """\
Сведения о военнослужащем: {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р., \
{{ serviceman.rank }}, войсковая часть {{ serviceman.unit }}\
{% if serviceman.service_type %} ({{ serviceman.service_type }}){% endif %}."""

_RU_FACTS = """\
Обстоятельства:
{% if serviceman.captured_on %}{{ serviceman.captured_on }} — попал в плен.
{% endif %}{% if serviceman.released_on %}{{ serviceman.released_on }} — освобождён из плена\
{% if serviceman.exchange_date %} (обмен {{ serviceman.exchange_date }}){% endif %}.
{% endif %}{{ case.summary }}

Состояние здоровья: {{ serviceman.health }}. Где находится сейчас: \
{{ serviceman.current_location }}.{% if earlier.sent_on %}

{{ earlier.sent_on }} я направил(а) обращение в {{ earlier.office }}\
{% if earlier.registration_number %} (входящий № {{ earlier.registration_number }} от \
{{ earlier.registered_on }}){% endif %}. Установленный срок ответа истёк \
{{ earlier.due_on }}; ответ по существу не получен.{% endif %}"""

_RU_FAMILY_SIGNATURE = """\
{{ today.date }}
________________ / {{ signer.full_name }}"""

_RU_SERVICEMAN_HEADING = """\
Кому: {{ office.name }}
От: {{ serviceman.rank }} {{ serviceman.full_name }}
{{ serviceman.birth_date }} г. р.
войсковая часть {{ serviceman.unit }}"""

_RU_SERVICEMAN_SIGNATURE = """\
{{ today.date }}
{{ serviceman.rank }} ________________ / {{ serviceman.full_name }}"""

_UA_HEADING_SERVICEMAN = """\
Кому: {{ office.name }}
Від: {{ serviceman.rank }} {{ serviceman.full_name }}
{{ serviceman.birth_date }} р. н.
військова частина {{ serviceman.unit }}"""

_UA_HEADING_FAMILY = """\
Кому: {{ office.name }}
{% if office.address %}{{ office.address }}{% endif %}
Від: {{ applicant.full_name }}
Місце проживання: {{ applicant.address }}
Телефон: {{ applicant.phone }}"""

TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "ru-raport-vvk",
        "name": "Рапорт о направлении на ВВК (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["vvk_request", "raport"],
        "office_kinds": ["ru_unit_commander", "ru_higher_commander"],
        "heading": _RU_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": """\
Я, {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р., {{ serviceman.rank }}, \
проходящий военную службу в войсковой части {{ serviceman.unit }}, прошу направить меня на \
военно-врачебную комиссию для определения категории годности к военной службе.

{% if serviceman.captured_on %}С {{ serviceman.captured_on }} по {{ serviceman.released_on }} \
я находился в плену{% if serviceman.exchange_date %}, возвращён в ходе обмена \
{{ serviceman.exchange_date }}{% endif %}. {% endif %}Состояние моего здоровья: \
{{ serviceman.health }}.

Основания: Положение о военно-врачебной экспертизе (постановление Правительства Российской \
Федерации № 565 от 04.07.2013); статья 51 Федерального закона № 53-ФЗ «О воинской обязанности \
и военной службе»; пункт 5 Указа Президента Российской Федерации № 647 от 21.09.2022.

Прошу рассмотреть настоящий рапорт в порядке, установленном приказом Министра обороны \
Российской Федерации № 555 от 18.08.2014 и статьёй 12 Федерального закона № 59-ФЗ, и дать \
письменный мотивированный ответ.

К РАПОРТУ ПРИЛАГАЮ:

1. Копии медицинских документов (выписные эпикризы, справки).
2. ________________""",
        "signature": _RU_SERVICEMAN_SIGNATURE,
        "source": _SOURCE.format(n=1),
    },
    {
        "code": "ru-complaint-prosecutor",
        "name": "Жалоба военному прокурору (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["complaint", "appeal"],
        "office_kinds": [
            "ru_prosecutor_garrison",
            "ru_prosecutor_district",
            "ru_prosecutor_main",
        ],
        "heading": _RU_FAMILY_HEADING,
        "title": "ЖАЛОБА",
        "body": f"""\
Я, {{{{ applicant.full_name }}}}, — член семьи военнослужащего (степень родства: \
{{{{ applicant.relationship }}}}).

{_RU_SERVICEMAN}

{_RU_FACTS}

Считаю, что нарушены права военнослужащего: ему не обеспечено направление на \
военно-врачебную комиссию, и он направлен в зону боевых действий, несмотря на состояние \
здоровья.{{% if serviceman.captured_on %}} Кроме того, согласно статье 117 Женевской конвенции \
об обращении с военнопленными 1949 года ни один репатриированный не может быть использован на \
действительной военной службе.{{% endif %}}

На основании Федерального закона № 59-ФЗ «О порядке рассмотрения обращений граждан Российской \
Федерации», статьи 10 Федерального закона «О прокуратуре Российской Федерации» и пункта 5.1 \
Инструкции, утверждённой приказом Генерального прокурора Российской Федерации № 45 \
от 30.01.2013,

ПРОШУ:

1. Провести проверку изложенных обстоятельств.
2. Принять меры прокурорского реагирования (внести представление).
3. Обеспечить направление военнослужащего на военно-врачебную комиссию.
4. О результатах рассмотрения сообщить мне в письменной форме в установленный законом срок.

ПРИЛОЖЕНИЯ:

1. Копии документов, подтверждающих родство.
2. Копии медицинских документов.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=2),
    },
    {
        "code": "ru-appeal-command",
        "name": "Обращение в Минобороны или к командованию (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["complaint", "appeal"],
        "office_kinds": ["ru_mod", "ru_higher_commander", "ru_unit_commander", "ru_ombudsman"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ОБРАЩЕНИЕ",
        "body": f"""\
Я, {{{{ applicant.full_name }}}}, — член семьи военнослужащего (степень родства: \
{{{{ applicant.relationship }}}}).

{_RU_SERVICEMAN}

{_RU_FACTS}

На основании статьи 2 и статьи 12 Федерального закона № 59-ФЗ «О порядке рассмотрения \
обращений граждан Российской Федерации»

ПРОШУ:

1. Направить военнослужащего на военно-врачебную комиссию.
2. Рассмотреть вопрос о его увольнении с военной службы по состоянию здоровья либо о \
предоставлении отпуска.
3. Дать мне письменный ответ по существу в срок, установленный статьёй 12 Федерального \
закона № 59-ФЗ.

ПРИЛОЖЕНИЯ:

1. Копии документов, подтверждающих родство.
2. Копии медицинских документов.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=3),
    },
    {
        "code": "ru-records-request",
        "name": "Заявление о выдаче медицинских документов",
        "jurisdiction": "RU",
        "filing_kinds": ["records_request"],
        "office_kinds": [],
        "heading": _RU_FAMILY_HEADING,
        "title": "ЗАЯВЛЕНИЕ",
        "body": f"""\
{_RU_SERVICEMAN}

Военнослужащий проходил лечение: {{{{ serviceman.health }}}}. Для прохождения \
военно-врачебной комиссии необходимы его медицинские документы.

ПРОШУ:

1. Выдать копии медицинской документации (выписной эпикриз, выписку из медицинской карты) \
военнослужащего.
2. Сообщить мне о принятом решении в письменной форме.

ПРИЛОЖЕНИЯ:

1. Доверенность или согласие военнослужащего на получение сведений о состоянии его здоровья.
2. Копия документа, удостоверяющего личность заявителя.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=4) + " A power of attorney or consent is needed [U].",
    },
    {
        "code": "ru-repeat-complaint",
        "name": "Повторная жалоба (ответ не получен)",
        "jurisdiction": "RU",
        "filing_kinds": ["repeat_complaint"],
        "office_kinds": [],
        "heading": _RU_FAMILY_HEADING,
        "title": "ПОВТОРНАЯ ЖАЛОБА",
        "body": f"""\
{{{{ earlier.sent_on }}}} мною было направлено обращение в {{{{ earlier.office }}}} \
(входящий № {{{{ earlier.registration_number }}}} от {{{{ earlier.registered_on }}}}, \
почтовый идентификатор {{{{ earlier.tracking_number }}}}). Тридцатидневный срок рассмотрения, \
установленный статьёй 12 Федерального закона № 59-ФЗ, истёк {{{{ earlier.due_on }}}}; ответ \
по существу мною не получен.

{_RU_SERVICEMAN}

ПРОШУ:

1. Рассмотреть обращение по существу и дать письменный ответ.
2. Привлечь виновных должностных лиц к ответственности, предусмотренной статьёй 5.59 Кодекса \
Российской Федерации об административных правонарушениях.

ПРИЛОЖЕНИЯ:

1. Копия ранее направленного обращения.
2. Доказательство его отправки (почтовая квитанция, уведомление о вручении).""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=5),
    },
    {
        "code": "ua-raport-discharge",
        "name": "Рапорт про звільнення після полону (підписує військовослужбовець)",
        "jurisdiction": "UA",
        "filing_kinds": ["discharge_raport", "raport"],
        "office_kinds": ["ua_commander", "ua_higher_commander"],
        "heading": _UA_HEADING_SERVICEMAN,
        "title": "РАПОРТ",
        "body": """\
Прошу звільнити мене з військової служби у зв'язку зі звільненням з полону відповідно до \
статті 26 Закону України «Про військовий обов'язок і військову службу».\
{% if serviceman.captured_on %} У полоні я перебував з {{ serviceman.captured_on }} по \
{{ serviceman.released_on }}.{% endif %}

У разі, якщо я вирішу продовжити службу, прошу надати мені додаткову відпустку тривалістю \
90 календарних днів.

Прошу розглянути рапорт у строк, встановлений наказом Міністерства оборони України № 531 від \
06.08.2024, і повідомити мене про прийняте рішення.

ДОДАТКИ:

1. Довідка про перебування в полоні.
2. ________________""",
        "signature": """\
{{ today.date }}
{{ serviceman.rank }} ________________ / {{ serviceman.full_name }}""",
        "source": _SOURCE.format(n=6) + " Law number 3633-IX [U].",
    },
    {
        "code": "ua-appeal",
        "name": "Звернення / скарга (Закон № 393/96-ВР)",
        "jurisdiction": "UA",
        "filing_kinds": ["complaint", "appeal", "repeat_complaint", "records_request"],
        "office_kinds": [],
        "heading": _UA_HEADING_FAMILY,
        "title": "ЗВЕРНЕННЯ",
        "body": """\
Я, {{ applicant.full_name }}, — член сім'ї військовослужбовця (ступінь спорідненості: \
{{ applicant.relationship }}).

Відомості про військовослужбовця: {{ serviceman.full_name }}, {{ serviceman.birth_date }} \
р. н., {{ serviceman.rank }}, військова частина {{ serviceman.unit }}.

{% if serviceman.captured_on %}З {{ serviceman.captured_on }} по {{ serviceman.released_on }} \
він перебував у полоні. {% endif %}{{ case.summary }}

Стан здоров'я: {{ serviceman.health }}.{% if earlier.sent_on %}

{{ earlier.sent_on }} я надіслав(ла) звернення до {{ earlier.office }}; відповіді по суті в \
установлений строк не отримано.{% endif %}

На підставі статей 5 і 20 Закону України «Про звернення громадян»

ПРОШУ:

1. Розглянути звернення та вжити заходів щодо захисту прав військовослужбовця.
2. Повідомити мене про результати розгляду в письмовій формі. Прошу розглянути звернення \
без зволікань, у строк до 15 днів.

ДОДАТКИ:

1. Копії документів, що підтверджують спорідненість.
2. Копії медичних документів.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=7),
    },
]


def seed_document_templates(apps: Any) -> None:
    """Insert the templates whose code is missing; never touch one staff may have edited."""
    template = apps.get_model("casework", "DocumentTemplate")
    for row in TEMPLATES:
        if not template.objects.filter(code=row["code"]).exists():
            template.objects.create(version=1, verification="unverified", **row)
