"""The starting document templates, from the outlines in ../shared/domain/LEGAL.md section 4.

Inserted by data migrations when their code is missing; a template staff have edited (any
version) is never touched. Every one is "unverified": the wording was drafted from the outlines,
not by a lawyer, and says so wherever a draft made from it is offered.

The texts state only what the case records as structured facts. Whatever needs judgement (what
happened, which rights were violated, his health) is a line for the caseworker to write in the
draft: a family signs these, and nothing may go to an authority that nobody has read.
"""

from __future__ import annotations

from typing import Any

_SOURCE = "LEGAL.md §4 outline {n}; wording drafted from the outline, not checked by a lawyer."
_TO_WRITE = "________________________________________________"

_RU_FAMILY_HEADING = """\
Кому: {{ office.name }}
{% if office.address %}{{ office.address }}{% endif %}
От: {{ applicant.full_name }}
Адрес: {{ applicant.address }}
Телефон: {{ applicant.phone }}
{% if applicant.email %}Эл. почта: {{ applicant.email }}{% endif %}"""

_RU_FAMILY_OPENING = """\
Я, {{ applicant.full_name }}, — член семьи военнослужащего\
{% if applicant.relationship %} ({{ applicant.relationship }}){% endif %}."""

_RU_SERVICEMAN = """\
Сведения о военнослужащем: {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р., \
воинское звание: {{ serviceman.rank }}, место службы: {{ serviceman.unit }}\
{% if serviceman.service_type %} ({{ serviceman.service_type }}){% endif %}."""

_RU_FACTS = f"""\
Обстоятельства (в хронологическом порядке: кто, что, где и когда):
{{% if serviceman.captured_on %}}{{{{ serviceman.captured_on }}}} — попал в плен.
{{% endif %}}{{% if serviceman.released_on %}}{{{{ serviceman.released_on }}}} — освобождён \
из плена{{% if serviceman.exchange_date %}} в ходе обмена {{{{ serviceman.exchange_date }}}}\
{{% endif %}}.
{{% endif %}}{_TO_WRITE}
{_TO_WRITE}{{% if earlier.sent_on %}}

{{{{ earlier.sent_on }}}} было направлено обращение (вид: {{{{ earlier.kind }}}}; адресат: \
{{{{ earlier.office }}}}{{% if earlier.registration_number %}}; входящий № \
{{{{ earlier.registration_number }}}} от {{{{ earlier.registered_on }}}}{{% endif %}}). \
{{% if earlier.answered_on %}}{{{{ earlier.answered_on }}}} получен ответ: \
{{{{ earlier.outcome }}}}.{{% else %}}Установленный срок ответа истёк {{{{ earlier.due_on }}}}; \
ответ не получен.{{% endif %}}{{% endif %}}"""

_RU_FAMILY_SIGNATURE = """\
{{ today.date }}
________________ / {{ signer.full_name }}"""

_RU_SERVICEMAN_HEADING = """\
Кому: {{ office.name }}
От: {{ serviceman.rank }} {{ serviceman.full_name }}
должность: ________________
личный номер: ________________
место службы: {{ serviceman.unit }}"""

_RU_SERVICEMAN_SIGNATURE = """\
{{ today.date }}
{{ serviceman.rank }} ________________ / {{ serviceman.full_name }}"""

_UA_SERVICEMAN_HEADING = """\
Кому: {{ office.name }}
Від: {{ serviceman.rank }} {{ serviceman.full_name }}
{{ serviceman.birth_date }} р. н.
посада: ________________
місце служби: {{ serviceman.unit }}"""

_UA_SERVICEMAN_SIGNATURE = """\
{{ today.date }}
{{ serviceman.rank }} ________________ / {{ serviceman.full_name }}"""

_UA_CAPTIVITY = """\
{% if serviceman.captured_on %}У полоні я перебував з {{ serviceman.captured_on }} по \
{{ serviceman.released_on }}.{% endif %}"""

_UA_RAPORT_CLOSING = """\
Прошу розглянути рапорт у строк, встановлений наказом Міністерства оборони України від \
06.08.2024 № 531, і повідомити мене про прийняте рішення.

ДОДАТКИ:

1. Довідка про перебування в полоні.
2. ________________"""

TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "ru-raport-vvk",
        "name": "Рапорт о направлении на ВВК (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["vvk_request"],
        "office_kinds": ["ru_unit_commander", "ru_higher_commander"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": f"""\
Я, {{{{ serviceman.full_name }}}}, {{{{ serviceman.birth_date }}}} г. р., прошу направить меня \
на военно-врачебную комиссию для определения категории годности к военной службе.

{{% if serviceman.captured_on %}}С {{{{ serviceman.captured_on }}}} по \
{{{{ serviceman.released_on }}}} я находился в плену{{% if serviceman.exchange_date %}}, \
возвращён в ходе обмена {{{{ serviceman.exchange_date }}}}{{% endif %}}. {{% endif %}}\
Состояние моего здоровья (ранения, заболевания, где и когда лечился):
{_TO_WRITE}
{_TO_WRITE}

Основания: Положение о военно-врачебной экспертизе, утверждённое постановлением Правительства \
Российской Федерации от 04.07.2013 № 565; статья 51 Федерального закона от 28.03.1998 № 53-ФЗ \
«О воинской обязанности и военной службе».

Прошу рассмотреть настоящий рапорт в порядке, установленном приказом Министра обороны \
Российской Федерации от 18.08.2014 № 555 и статьёй 12 Федерального закона от 02.05.2006 \
№ 59-ФЗ, и дать письменный мотивированный ответ.

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
        "signers": ["family"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ЖАЛОБА",
        "body": f"""\
{_RU_FAMILY_OPENING}

{_RU_SERVICEMAN}

{_RU_FACTS}

Считаю, что нарушены права военнослужащего:
{_TO_WRITE}
{_TO_WRITE}\
{{% if serviceman.released_on %}}

Полагаю также, что его направление на действительную военную службу после возвращения из \
плена противоречит статье 117 Конвенции об обращении с военнопленными от 12.08.1949 \
(«ни один репатриированный не может быть использован на действительной военной службе»).\
{{% endif %}}

На основании Федерального закона от 02.05.2006 № 59-ФЗ «О порядке рассмотрения обращений \
граждан Российской Федерации», статьи 10 Федерального закона «О прокуратуре Российской \
Федерации» и пункта 5.1 Инструкции о порядке рассмотрения обращений и приёма граждан в органах \
прокуратуры Российской Федерации, утверждённой приказом Генерального прокурора Российской \
Федерации от 30.01.2013 № 45 (в действующей редакции),

ПРОШУ:

1. Провести проверку изложенных обстоятельств.
2. Принять меры прокурорского реагирования.
3. Обеспечить направление военнослужащего на военно-врачебную комиссию.
4. О результатах рассмотрения сообщить мне в письменной форме в установленный срок.

ПРИЛОЖЕНИЯ:

1. Копии документов, подтверждающих родство.
2. Копии медицинских документов.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=2)
        + " GC III art. 117 is an argument, contested for exchanges during hostilities.",
    },
    {
        "code": "ru-appeal-command",
        "name": "Обращение в Минобороны или к командованию (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["complaint", "appeal"],
        "office_kinds": ["ru_mod", "ru_higher_commander", "ru_unit_commander"],
        "signers": ["family"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ОБРАЩЕНИЕ",
        "body": f"""\
{_RU_FAMILY_OPENING}

{_RU_SERVICEMAN}

{_RU_FACTS}

На основании статей 2 и 12 Федерального закона от 02.05.2006 № 59-ФЗ «О порядке рассмотрения \
обращений граждан Российской Федерации»

ПРОШУ:

1. Направить военнослужащего на военно-врачебную комиссию.
2. Рассмотреть вопрос о его увольнении с военной службы по состоянию здоровья либо о \
предоставлении ему отпуска.
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
        "name": "Заявление о выдаче медицинских документов (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["records_request"],
        "office_kinds": [],
        "signers": ["family"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ЗАЯВЛЕНИЕ",
        "body": f"""\
{_RU_SERVICEMAN}

Военнослужащий проходил лечение (где и когда):
{_TO_WRITE}
Для прохождения военно-врачебной комиссии необходимы его медицинские документы.

ПРОШУ:

1. Выдать копии медицинской документации военнослужащего (выписной эпикриз, выписку из \
медицинской карты).
2. Сообщить мне о принятом решении в письменной форме.

ПРИЛОЖЕНИЯ:

1. Доверенность или согласие военнослужащего на получение сведений о состоянии его здоровья.
2. Копия документа, удостоверяющего личность заявителя.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=4) + " A power of attorney or consent is needed [U].",
    },
    {
        "code": "ru-repeat-complaint",
        "name": "Повторная жалоба: ответ не получен (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["repeat_complaint"],
        "office_kinds": [],
        "signers": ["family"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ПОВТОРНАЯ ЖАЛОБА",
        "body": f"""\
{{{{ earlier.sent_on }}}} было направлено обращение (адресат: {{{{ earlier.office }}}}; \
входящий № {{{{ earlier.registration_number }}}} от {{{{ earlier.registered_on }}}}; почтовый \
идентификатор {{{{ earlier.tracking_number }}}}). Срок его рассмотрения, установленный статьёй \
12 Федерального закона от 02.05.2006 № 59-ФЗ, истёк {{{{ earlier.due_on }}}}; ответ по \
существу не получен.

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
        "filing_kinds": ["discharge_raport"],
        "office_kinds": ["ua_commander", "ua_higher_commander"],
        "signers": ["serviceman"],
        "heading": _UA_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": f"""\
Прошу звільнити мене з військової служби у зв'язку зі звільненням з полону відповідно до \
статті 26 Закону України «Про військовий обов'язок і військову службу». {_UA_CAPTIVITY}

{_UA_RAPORT_CLOSING}""",
        "signature": _UA_SERVICEMAN_SIGNATURE,
        "source": _SOURCE.format(n=6) + " Law number 3633-IX [U].",
    },
    {
        "code": "ua-raport-leave",
        "name": "Рапорт про відпустку після полону (підписує військовослужбовець)",
        "jurisdiction": "UA",
        "filing_kinds": ["raport"],
        "office_kinds": ["ua_commander", "ua_higher_commander"],
        "signers": ["serviceman"],
        "heading": _UA_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": f"""\
Прошу надати мені додаткову відпустку тривалістю 90 календарних днів у зв'язку зі звільненням \
з полону. {_UA_CAPTIVITY}

{_UA_RAPORT_CLOSING}""",
        "signature": _UA_SERVICEMAN_SIGNATURE,
        "source": _SOURCE.format(n=6) + " The legal basis of the 90-day leave is not cited [U].",
    },
    {
        "code": "ua-appeal",
        "name": "Звернення / скарга за Законом № 393/96-ВР (підписує член сім'ї)",
        "jurisdiction": "UA",
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "office_kinds": [],
        "signers": ["family"],
        "heading": """\
Кому: {{ office.name }}
{% if office.address %}{{ office.address }}{% endif %}
Від: {{ applicant.full_name }}
Місце проживання: {{ applicant.address }}
Телефон: {{ applicant.phone }}""",
        "title": "ЗВЕРНЕННЯ",
        "body": f"""\
Я, {{{{ applicant.full_name }}}}, — член сім'ї військовослужбовця\
{{% if applicant.relationship %}} ({{{{ applicant.relationship }}}}){{% endif %}}.

Відомості про військовослужбовця: {{{{ serviceman.full_name }}}}, \
{{{{ serviceman.birth_date }}}} р. н., військове звання: {{{{ serviceman.rank }}}}, місце \
служби: {{{{ serviceman.unit }}}}.

{{% if serviceman.captured_on %}}З {{{{ serviceman.captured_on }}}} по \
{{{{ serviceman.released_on }}}} він перебував у полоні. {{% endif %}}Суть звернення:
{_TO_WRITE}
{_TO_WRITE}{{% if earlier.sent_on %}}

{{{{ earlier.sent_on }}}} було надіслано звернення (адресат: {{{{ earlier.office }}}}). \
{{% if earlier.answered_on %}}{{{{ earlier.answered_on }}}} отримано відповідь: \
{{{{ earlier.outcome }}}}.{{% else %}}Відповіді в установлений строк не отримано.{{% endif %}}\
{{% endif %}}

На підставі статей 5 і 20 Закону України «Про звернення громадян»

ПРОШУ:

1. Розглянути звернення та вжити заходів щодо захисту прав військовослужбовця.
2. Повідомити мене про результати розгляду в письмовій формі.

ДОДАТКИ:

1. Копії документів, що підтверджують спорідненість.
2. Копії медичних документів.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=7),
    },
]


def seed_document_templates(apps: Any) -> None:
    """Insert the templates whose code is missing; never change the text of one that exists.

    A starting template that predates the "signed by" field gets that field only (it is not a
    lawyer's text but which side speaks), and only while nobody has set it.
    """
    template = apps.get_model("casework", "DocumentTemplate")
    known = {field.name for field in template._meta.get_fields()}
    for row in TEMPLATES:
        values = {name: value for name, value in row.items() if name in known}
        existing = template.objects.filter(code=row["code"])
        if not existing.exists():
            template.objects.create(version=1, verification="unverified", **values)
        elif "signers" in known:
            existing.filter(signers=[]).update(signers=row["signers"])
