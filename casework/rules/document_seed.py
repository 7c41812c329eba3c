"""The starting document templates, from the outlines in ../shared/domain/LEGAL.md section 4.

Inserted by data migrations when their code is missing; a template staff have edited (any
version) is never touched. Every one is "unverified": the wording was drafted from the outlines,
not by a lawyer, and says so wherever a draft made from it is offered.

The texts state only what the case records as structured facts. Whatever needs judgement (what
happened, which rights were violated, his health) is a line for the caseworker to write in the
draft: a family signs these, and nothing may go to an authority that nobody has read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_SOURCE = (
    "LEGAL.md §4 outline {n}, corrected per §5 (addressee in the dative, legal name, citations); "
    "wording drafted from the outline, not checked by a lawyer."
)
_TO_WRITE = "________________________________________________"

# The addressee is the official in the dative (the office's addressee line); the applicant by
# the legal name only (a blank line without it). A name is not declined by code: "Заявитель:"
# rather than an "от" with a nominative name.
_RU_FAMILY_HEADING = """\
{{ office.addressee }}
{% if office.address %}{{ office.address }}{% endif %}
Заявитель: {{ applicant.full_name }}
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
{{% endif %}}{{% if case.chronology %}}{{{{ case.chronology }}}}
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

# The рапорт's usual form: the commander in the dative with his rank and name to fill in, then
# the serviceman, with no "Кому/От" labels; signed "рядовой (подпись) К.А. Кузнецов".
_RU_SERVICEMAN_HEADING = """\
{{ office.addressee }}
________________ (звание, фамилия и инициалы командира)
{{ serviceman.rank }} {{ serviceman.full_name }}
должность: ________________
личный номер: ________________"""

_RU_INITIALS_SURNAME = (
    "{% if serviceman.given_name %}{{ serviceman.given_name|first }}.{% endif %}"
    "{% if serviceman.patronymic %}{{ serviceman.patronymic|first }}.{% endif %} "
    "{{ serviceman.surname }}"
)

_RU_SERVICEMAN_SIGNATURE = f"""\
{{{{ today.date }}}}
{{{{ serviceman.rank }}}} ________________ (подпись) {_RU_INITIALS_SURNAME}"""

_UA_SERVICEMAN_HEADING = """\
{{ office.addressee }}
{{ serviceman.rank }} {{ serviceman.full_name }}
{{ serviceman.birth_date }} р. н.
посада: ________________"""

# ДСТУ 4163:2020: "Власне ім'я ПРІЗВИЩЕ".
_UA_SERVICEMAN_SIGNATURE = """\
{{ today.date }}
{{ serviceman.rank }} ________________ {{ serviceman.given_name }} {{ serviceman.surname|upper }}"""

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
граждан Российской Федерации», статьи 10 Федерального закона от 17.01.1992 № 2202-1 \
«О прокуратуре Российской Федерации» и пункта 5.1 Инструкции о порядке рассмотрения \
обращений и приёма граждан в органах прокуратуры Российской Федерации, утверждённой приказом \
Генерального прокурора Российской Федерации от 30.01.2013 № 45 (в действующей редакции),

ПРОШУ:

1. Провести проверку изложенных обстоятельств.
2. По результатам проверки внести представление об устранении нарушений закона, в том числе \
о направлении военнослужащего на военно-врачебную комиссию.
{{% if earlier.sent_on and not earlier.answered_on %}}3. Возбудить дело об административном \
правонарушении по статье 5.59 Кодекса Российской Федерации об административных \
правонарушениях в отношении должностных лиц, не рассмотревших обращение в установленный срок.
4. {{% else %}}3. {{% endif %}}О результатах рассмотрения сообщить мне в письменной форме в \
установленный срок.

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

Основания по существу: Положение о военно-врачебной экспертизе, утверждённое постановлением \
Правительства Российской Федерации от 04.07.2013 № 565 (направление на освидетельствование); \
при решении вопроса об увольнении — статья 51 Федерального закона от 28.03.1998 № 53-ФЗ \
«О воинской обязанности и военной службе» и пункт 5 Указа Президента Российской Федерации от \
21.09.2022 № 647 (увольнение по состоянию здоровья в связи с признанием не годным к военной \
службе).{{% if serviceman.released_on %}} Кроме того, статьи 110 и 117 Конвенции об обращении \
с военнопленными от 12.08.1949 исключают использование репатриированного на действительной \
военной службе.{{% endif %}}

Обращение направляется в соответствии со статьями 2 и 12 Федерального закона от 02.05.2006 \
№ 59-ФЗ «О порядке рассмотрения обращений граждан Российской Федерации».

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
        "source": _SOURCE.format(n=3)
        + " GC III arts 110 and 117 are an argument, contested for exchanges [U].",
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

Военнослужащий проходил лечение в вашей медицинской организации (когда, в каком отделении):
{_TO_WRITE}
Для прохождения военно-врачебной комиссии необходимы его медицинские документы.

Я действую как представитель пациента по доверенности. В соответствии с частью 5 статьи 22 \
Федерального закона от 21.11.2011 № 323-ФЗ «Об основах охраны здоровья граждан в Российской \
Федерации» и Порядком, утверждённым приказом Министерства здравоохранения Российской Федерации \
от 31.07.2020 № 789н,

ПРОШУ:

1. Выдать копии медицинской документации военнослужащего (выписной эпикриз, выписку из \
медицинской карты).
2. Сообщить мне о принятом решении в письменной форме.

ПРИЛОЖЕНИЯ:

1. Доверенность военнослужащего на получение копий его медицинских документов.
2. Копия документа, удостоверяющего личность заявителя.""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=4)
        + " Addressed to the medical organisation that treated him; copies go to a representative"
        " by power of attorney (a consent only permits disclosure); Order 789н to confirm [U].",
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

1. {{% if earlier.office == office.name %}}Рассмотреть обращение по существу и дать письменный \
ответ.{{% else %}}Обеспечить рассмотрение обращения по существу и дачу письменного ответа.
2. Рассмотреть вопрос о привлечении к дисциплинарной ответственности должностных лиц \
({{{{ earlier.office }}}}), не рассмотревших обращение в установленный срок.{{% endif %}}

ПРИЛОЖЕНИЯ:

1. Копия ранее направленного обращения.
2. Доказательство его отправки (почтовая квитанция, уведомление о вручении).""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=5)
        + " Never asks the body that failed to answer to punish itself; КоАП 5.59 only to a"
        " prosecutor (ru-repeat-complaint-prosecutor).",
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
підпункту «д» пункту 2 частини четвертої статті 26 Закону України «Про військовий обов'язок \
і військову службу». {_UA_CAPTIVITY} Продовжувати військову службу не бажаю.

{_UA_RAPORT_CLOSING}""",
        "signature": _UA_SERVICEMAN_SIGNATURE,
        "source": _SOURCE.format(n=6)
        + " Ground пп. «д» п. 2 ч. 4 ст. 26 (rbc.ua 02.01.2026) and 'довідка 55' [U].",
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
Прошу надати мені відповідно до пункту 23 статті 10 Закону України «Про соціальний і \
правовий захист військовослужбовців та членів їх сімей» додаткову відпустку із збереженням \
грошового забезпечення тривалістю 90 календарних днів без поділу на частини у зв'язку зі \
звільненням з полону. {_UA_CAPTIVITY}

{_UA_RAPORT_CLOSING}""",
        "signature": _UA_SERVICEMAN_SIGNATURE,
        "source": _SOURCE.format(n=6) + " п. 23 ст. 10, in force 03.02.2026 (censor.net) [U].",
    },
    {
        "code": "ua-appeal",
        "name": "Звернення / скарга за Законом № 393/96-ВР (підписує член сім'ї)",
        "jurisdiction": "UA",
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "office_kinds": [],
        "signers": ["family"],
        "heading": """\
{{ office.addressee }}
{% if office.address %}{{ office.address }}{% endif %}
Заявник: {{ applicant.full_name }}
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
{{{{ serviceman.released_on }}}} він перебував у полоні. {{% endif %}}\
{{% if case.chronology %}}Хронологія подій:
{{{{ case.chronology }}}}

{{% endif %}}Суть звернення:
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


_RU_RAPORT_CLOSING = """\
Прошу рассмотреть настоящий рапорт в порядке, установленном приказом Министра обороны \
Российской Федерации от 18.08.2014 № 555 и статьёй 12 Федерального закона от 02.05.2006 \
№ 59-ФЗ, и дать письменный мотивированный ответ."""

_RU_CAPTIVITY = """\
{% if serviceman.captured_on %}С {{ serviceman.captured_on }} по {{ serviceman.released_on }} \
я находился в плену{% if serviceman.exchange_date %}, возвращён в ходе обмена \
{{ serviceman.exchange_date }}{% endif %}. {% endif %}"""

# Templates added after the first eight (LEGAL.md §5: "templates still missing"). Inserted by
# code when missing, like the others.
TEMPLATES += [
    {
        "code": "ru-repeat-complaint-prosecutor",
        "name": "Повторная жалоба прокурору: ответ не получен (подписывает член семьи)",
        "jurisdiction": "RU",
        "filing_kinds": ["repeat_complaint"],
        "office_kinds": ["ru_prosecutor_garrison", "ru_prosecutor_district", "ru_prosecutor_main"],
        "signers": ["family"],
        "heading": _RU_FAMILY_HEADING,
        "title": "ЖАЛОБА",
        "body": f"""\
{{{{ earlier.sent_on }}}} мною было направлено обращение (адресат: {{{{ earlier.office }}}}; \
входящий № {{{{ earlier.registration_number }}}} от {{{{ earlier.registered_on }}}}; почтовый \
идентификатор {{{{ earlier.tracking_number }}}}). Срок его рассмотрения, установленный статьёй \
12 Федерального закона от 02.05.2006 № 59-ФЗ, истёк {{{{ earlier.due_on }}}}; ответ по \
существу не получен.

{_RU_SERVICEMAN}

На основании статьи 10 Федерального закона от 17.01.1992 № 2202-1 «О прокуратуре Российской \
Федерации» и статьи 28.4 Кодекса Российской Федерации об административных правонарушениях

ПРОШУ:

1. Провести проверку соблюдения порядка рассмотрения моего обращения.
2. Возбудить дело об административном правонарушении по статье 5.59 Кодекса Российской \
Федерации об административных правонарушениях в отношении виновных должностных лиц.
3. Внести представление об устранении нарушений закона.
4. О результатах сообщить мне в письменной форме.

ПРИЛОЖЕНИЯ:

1. Копия ранее направленного обращения.
2. Доказательство его отправки (почтовая квитанция, уведомление о вручении).""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": _SOURCE.format(n=5)
        + " Only the prosecutor opens a case under КоАП 5.59 (КоАП 28.4) [U].",
    },
    {
        "code": "ru-raport-higher",
        "name": "Рапорт вышестоящему командиру: ответа нет (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["raport"],
        "office_kinds": ["ru_higher_commander"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": f"""\
{{{{ earlier.sent_on }}}} я подал рапорт (адресат: {{{{ earlier.office }}}}\
{{% if earlier.registration_number %}}; зарегистрирован {{{{ earlier.registered_on }}}} \
№ {{{{ earlier.registration_number }}}}{{% endif %}}). {{% if earlier.answered_on %}}\
{{{{ earlier.answered_on }}}} получен ответ: {{{{ earlier.outcome }}}}.{{% else %}}Решение по нему \
в срок до {{{{ earlier.due_on }}}} не принято.{{% endif %}}

{_RU_CAPTIVITY}Прошу направить меня на военно-врачебную комиссию для определения категории \
годности к военной службе. Состояние моего здоровья:
{_TO_WRITE}

Основания: Положение о военно-врачебной экспертизе, утверждённое постановлением Правительства \
Российской Федерации от 04.07.2013 № 565; глава 6 Дисциплинарного устава Вооружённых Сил \
Российской Федерации.

{_RU_RAPORT_CLOSING}

К РАПОРТУ ПРИЛАГАЮ:

1. Копия рапорта от {{{{ earlier.sent_on }}}}.
2. Копии медицинских документов.""",
        "signature": _RU_SERVICEMAN_SIGNATURE,
        "source": "LEGAL.md §3 ladder A rung 2 and §5; drafted, not checked by a lawyer [U].",
    },
    {
        "code": "ru-raport-leave",
        "name": "Рапорт о предоставлении отпуска (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["raport"],
        "office_kinds": ["ru_unit_commander"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": f"""\
{_RU_CAPTIVITY}Прошу предоставить мне отпуск (вид отпуска и основание: после освобождения из \
плена, по болезни по заключению военно-врачебной комиссии, основной):
{_TO_WRITE}
продолжительностью ________ суток с ________________.

{_RU_RAPORT_CLOSING}

К РАПОРТУ ПРИЛАГАЮ:

1. ________________""",
        "signature": _RU_SERVICEMAN_SIGNATURE,
        "source": "LEGAL.md §5 (missing templates); the length of post-captivity leave is set by "
        "the command [U]; drafted, not checked by a lawyer.",
    },
]

# What the first eight templates said when first seeded (sha256 of their four parts, as JSON):
# a row still saying exactly that gets the corrected text as a new version; a row a lawyer
# edited is theirs and is left alone.
SEEDED_V1_DIGESTS = {
    "ru-raport-vvk": "5729fd28e6a22286581ce56470000816cea596a0c210c416aeff954d44065910",
    "ru-complaint-prosecutor": "dd59e3bf5a26b39140239642214e8689839ab073099a44141e2a2db8db63ec2d",
    "ru-appeal-command": "dafea38bd436372bdbd3f1e54153107a6faf3bd2e18ac650a022269c1811122c",
    "ru-records-request": "4bde156bf7276d32cf14703ab51a0da31a14658cedf455b5ec7f9821abd4b1fa",
    "ru-repeat-complaint": "47874ca11957b9ecd4648dbb0c5710b5e812657514d36cb79aa785c0d3e8a06a",
    "ua-raport-discharge": "98d01f5983c1634acb6aac418bd5bf30109195d83333d53daad272f6cc3e79d8",
    "ua-raport-leave": "2856a2ee78377e2351f0fd2f0333685f9996f6a13b112b7ccca91492e82bdf8d",
    "ua-appeal": "3f12341a05db4e2c4e590da4689fdd533887b01847c4c94f3c977f4eda7557aa",
}
_PARTS = ("heading", "title", "body", "signature")


def parts_digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([values[part] for part in _PARTS]).encode()).hexdigest()


def revise_seeded_templates(apps: Any) -> None:
    """Add the corrected text as version N+1 of each starting template whose only version still
    carries the seeded text (a version drafts were made from never changes), unverified; then
    insert the templates whose code is missing."""
    template = apps.get_model("casework", "DocumentTemplate")
    known = {field.name for field in template._meta.get_fields()}
    for row in TEMPLATES:
        seeded = SEEDED_V1_DIGESTS.get(row["code"])
        versions = list(template.objects.filter(code=row["code"]).order_by("version"))
        if seeded is None or len(versions) != 1:
            continue
        current = versions[0]
        if parts_digest({part: getattr(current, part) for part in _PARTS}) != seeded:
            continue
        values = {name: value for name, value in row.items() if name in known}
        template.objects.create(
            version=current.version + 1, verification="unverified", is_active=True, **values
        )
    seed_document_templates(apps)


# Issue 16: the dated facts a caseworker marked for documents (`case.chronology`) printed where
# each of these templates recounts the circumstances. The newest version of each as it was before
# (its digest here) gets the new text as version N+1; one a lawyer has edited since is left alone.
CHRONOLOGY_REVISED = {
    "ru-complaint-prosecutor": "60b3e64c8755bc507d41cabf4b3fd125c52b5e592aa9515454f219b13a1c0022",
    "ru-appeal-command": "112b100ebbb90a45324c304b52f2158ca478983b8dd5289a7b95f64f66d79b3e",
    "ua-appeal": "c959a72003f7e2a1b56dea465fc53a27a9de27c559b130f7a250889d0180a45d",
}


def revise_for_chronology(apps: Any) -> None:
    """Version N+1, unverified, of each template in CHRONOLOGY_REVISED whose newest version
    still carries the text it had before; nothing else changes."""
    template = apps.get_model("casework", "DocumentTemplate")
    known = {field.name for field in template._meta.get_fields()}
    for row in TEMPLATES:
        before = CHRONOLOGY_REVISED.get(row["code"])
        newest = template.objects.filter(code=row["code"]).order_by("-version").first()
        if before is None or newest is None:
            continue
        if parts_digest({part: getattr(newest, part) for part in _PARTS}) != before:
            continue  # edited by a lawyer, or already revised
        values = {name: value for name, value in row.items() if name in known}
        template.objects.create(
            version=newest.version + 1, verification="unverified", is_active=True, **values
        )


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


# --- Added for issue 16: the rest of LEGAL.md §5's "templates still missing" -------------------
# Inserted by migration 0035 when their code is missing, unverified like every other.

# A заявление the serviceman signs himself to a body that is not his commander: he is the
# applicant (not declined: "Заявитель:"), and signs with his full name.
_RU_SERVICEMAN_APPLICANT_HEADING = """\
{{ office.addressee }}
{% if office.address %}{{ office.address }}{% endif %}
Заявитель: {{ serviceman.rank }} {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р.
Место службы: {{ serviceman.unit }}
Адрес для ответа: ________________"""

_RU_SERVICEMAN_OWN_SIGNATURE = """\
{{ today.date }}
________________ / {{ serviceman.full_name }}"""

_RU_BOARD_FOUND = """\
{% if board.date %}Заключением военно-врачебной комиссии от {{ board.date }} мне определена \
категория годности к военной службе: {{ board.category }}.{% else %}Заключением \
военно-врачебной комиссии ________________ от ________________ № ________________ мне \
определена категория годности к военной службе: ________________.{% endif %}"""

_RU_647_FOR_V = """\
{% if board.category_code == "В" %}Для призванного на военную службу по мобилизации категория \
«В» не является основанием для увольнения (пункт 5 Указа Президента Российской Федерации от \
21.09.2022 № 647), поэтому правильное определение категории годности имеет для меня решающее \
значение.{% endif %}"""

_UA_VLK_CLOSING = """\
Прошу розглянути рапорт у строк, встановлений наказом Міністерства оборони України від \
06.08.2024 № 531 для рапортів з питань здоров'я, і повідомити мене про прийняте рішення.

ДОДАТКИ:

1. Копії медичних документів (виписки, довідки).
2. ________________"""

TEMPLATES += [
    {
        "code": "ru-raport-discharge",
        "name": "Рапорт об увольнении по состоянию здоровья (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["discharge_raport"],
        "office_kinds": ["ru_unit_commander", "ru_higher_commander"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": "Я, {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р., прошу уволить "
        "меня с военной службы по состоянию здоровья.\n\n"
        + _RU_BOARD_FOUND
        + " "
        + _RU_CAPTIVITY
        + """

Основания: {% if board.category_code == "В" %}подпункт «г» пункта 1 (по призыву, а также по \
контракту на воинских должностях до старшего прапорщика) или подпункт «б» пункта 3 (иные \
военнослужащие по контракту) статьи 51{% else %}подпункт «в» пункта 1 статьи 51{% endif %} \
Федерального закона от 28.03.1998 № 53-ФЗ «О воинской обязанности и военной службе»; для \
призванных по мобилизации — пункт 5 Указа Президента Российской Федерации от 21.09.2022 № 647 \
(увольнение по состоянию здоровья в связи с признанием не годным к военной службе).

"""
        + _RU_RAPORT_CLOSING
        + """

К РАПОРТУ ПРИЛАГАЮ:

1. Копия заключения военно-врачебной комиссии.
2. ________________""",
        "signature": _RU_SERVICEMAN_SIGNATURE,
        "source": "LEGAL.md §1 (53-FZ art. 51 p. 1 «в», «г», p. 3 «б»; decree 647 p. 5) and §5 "
        "(missing templates); during mobilisation only Д is a discharge ground, a reading [U]; "
        "drafted, not checked by a lawyer.",
    },
    {
        "code": "ru-appeal-vvk-higher",
        "name": "Заявление в вышестоящую ВВК о несогласии с заключением "
        "(подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["appeal", "complaint"],
        "office_kinds": ["ru_vvk"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_APPLICANT_HEADING,
        "title": "ЗАЯВЛЕНИЕ",
        "body": _RU_BOARD_FOUND
        + " "
        + _RU_CAPTIVITY
        + """

С заключением не согласен, поскольку (какие ранения и заболевания не учтены, какие документы \
не исследованы):
"""
        + _TO_WRITE
        + "\n"
        + _TO_WRITE
        + "\n\n"
        + _RU_647_FOR_V
        + """

На основании Положения о военно-врачебной экспертизе, утверждённого постановлением \
Правительства Российской Федерации от 04.07.2013 № 565,

ПРОШУ:

1. Провести контрольное (повторное) освидетельствование вышестоящей военно-врачебной комиссией.
2. Отменить заключение военно-врачебной комиссии от {{ board.date }} и вынести новое заключение \
с учётом всех имеющихся у меня ранений и заболеваний.
3. О принятом решении сообщить мне в письменной форме.

ПРИЛОЖЕНИЯ:

1. Копия обжалуемого заключения военно-врачебной комиссии.
2. Копии медицинских документов.""",
        "signature": _RU_SERVICEMAN_OWN_SIGNATURE,
        "source": "LEGAL.md §1 (challenging a VVK conclusion: higher VVK, Decree 565) and §3 "
        "ladder B; whether 565 itself states the route is [U]; drafted, not checked by a lawyer.",
    },
    {
        "code": "ru-vve-independent",
        "name": "Заявление о независимой военно-врачебной экспертизе (подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["appeal", "complaint"],
        "office_kinds": ["ru_independent_vve"],
        "signers": ["serviceman"],
        "heading": _RU_SERVICEMAN_APPLICANT_HEADING,
        "title": "ЗАЯВЛЕНИЕ",
        "body": """\
Я, {{ serviceman.full_name }}, {{ serviceman.birth_date }} г. р., прошу провести в отношении \
меня независимую военно-врачебную экспертизу в соответствии с Положением о независимой \
военно-врачебной экспертизе, утверждённым постановлением Правительства Российской Федерации от \
28.07.2008 № 574.

"""
        + _RU_BOARD_FOUND
        + " "
        + _RU_CAPTIVITY
        + """С этим заключением не согласен. Причины несогласия:
"""
        + _TO_WRITE
        + "\n"
        + _TO_WRITE
        + """

Прошу поставить перед экспертами вопрос о том, соответствует ли определённая мне категория \
годности к военной службе состоянию моего здоровья, а также: ________________.

ПРОШУ:

1. Провести независимую военно-врачебную экспертизу.
2. Сообщить мне в письменной форме об условиях и сроках её проведения.

ПРИЛОЖЕНИЯ:

1. Копия заключения военно-врачебной комиссии.
2. Копии медицинских документов (выписные эпикризы, результаты обследований).
3. Копия документа, удостоверяющего личность.""",
        "signature": _RU_SERVICEMAN_OWN_SIGNATURE,
        "source": "LEGAL.md §1 (independent VVE, Government Decree 574 of 28.07.2008) [S]; the "
        "organisation, its terms and costs [U]; drafted, not checked by a lawyer.",
    },
    {
        "code": "ru-court-claim",
        "name": "Административное исковое заявление в гарнизонный военный суд "
        "(подписывает военнослужащий)",
        "jurisdiction": "RU",
        "filing_kinds": ["court_claim"],
        "office_kinds": ["ru_military_court"],
        "signers": ["serviceman"],
        "heading": """\
{{ office.addressee }}
{% if office.address %}{{ office.address }}{% endif %}
Административный истец: {{ serviceman.rank }} {{ serviceman.full_name }}, \
{{ serviceman.birth_date }} г. р.
Адрес: ________________
Административный ответчик: {{ earlier.office }}
Адрес: ________________""",
        "title": "АДМИНИСТРАТИВНОЕ ИСКОВОЕ ЗАЯВЛЕНИЕ",
        "body": """\
о признании незаконным бездействия (решения) и об обязании устранить нарушение

{% if earlier.sent_on %}{{ earlier.sent_on }} я подал обращение (вид: {{ earlier.kind }}; \
адресат: {{ earlier.office }}{% if earlier.registration_number %}; зарегистрировано \
{{ earlier.registered_on }} № {{ earlier.registration_number }}{% endif %}). \
{% if earlier.answered_on %}{{ earlier.answered_on }} получен ответ: {{ earlier.outcome }}.\
{% else %}Срок его рассмотрения истёк {{ earlier.due_on }}; ответ по существу не получен.\
{% endif %}{% else %}________________ я обратился (к кому, с чем): ________________; \
ответ: ________________.{% endif %}

"""
        + _RU_CAPTIVITY
        + """Обстоятельства дела (состояние здоровья, в чём состоит нарушение):
"""
        + _TO_WRITE
        + "\n"
        + _TO_WRITE
        + """

Оспариваемое бездействие (решение) нарушает мои права, предусмотренные Положением о \
военно-врачебной экспертизе, утверждённым постановлением Правительства Российской Федерации от \
04.07.2013 № 565, и статьями 2 и 12 Федерального закона от 02.05.2006 № 59-ФЗ «О порядке \
рассмотрения обращений граждан Российской Федерации».

О нарушении моих прав мне стало известно {% if earlier.answered_on %}{{ earlier.answered_on }}\
{% else %}{{ earlier.due_on }}{% endif %}; срок обращения в суд, установленный частью 1 статьи \
219 Кодекса административного судопроизводства Российской Федерации, не пропущен.

На основании статей 124–126, 218 и 220 Кодекса административного судопроизводства Российской \
Федерации

ПРОШУ:

1. Признать незаконным бездействие (решение) административного ответчика: ________________.
2. Обязать административного ответчика устранить допущенное нарушение: рассмотреть мой рапорт \
по существу и направить меня на военно-врачебную комиссию.

ПРИЛОЖЕНИЯ:

1. Копия административного искового заявления для административного ответчика.
2. Документ об уплате государственной пошлины.
3. Копия обращения от {{ earlier.sent_on }} и доказательство его отправки.
4. Копия ответа на обращение (при наличии).
5. Копии медицинских документов.""",
        "signature": _RU_SERVICEMAN_OWN_SIGNATURE,
        "source": "LEGAL.md §1 and §5: KAS ch. 22, art. 219 part 1 (3 months from learning of the "
        "violation) [S]; arts 124–126, 218, 220 and the duty [U]; a family member needs a power "
        "of attorney [U]; drafted, not checked by a lawyer.",
    },
    {
        "code": "ua-raport-vlk",
        "name": "Рапорт про направлення на ВЛК (підписує військовослужбовець)",
        "jurisdiction": "UA",
        "filing_kinds": ["vvk_request"],
        "office_kinds": ["ua_commander", "ua_higher_commander"],
        "signers": ["serviceman"],
        "heading": _UA_SERVICEMAN_HEADING,
        "title": "РАПОРТ",
        "body": "Прошу направити мене на медичний огляд військово-лікарською комісією для "
        "визначення ступеня придатності до військової служби. "
        + _UA_CAPTIVITY
        + """

Стан мого здоров'я (поранення, захворювання, де і коли лікувався):
"""
        + _TO_WRITE
        + "\n"
        + _TO_WRITE
        + """

Підстава: Положення про військово-лікарську експертизу в Збройних Силах України, затверджене \
наказом Міністра оборони України від 14.08.2008 № 402.

"""
        + _UA_VLK_CLOSING,
        "signature": _UA_SERVICEMAN_SIGNATURE,
        "source": "LEGAL.md §1 (ВЛК, MoD Order 402; рапорт on health within 48 hours, Order 531) "
        "[S]; the date of Order 402 [U]; drafted, not checked by a lawyer.",
    },
    {
        "code": "ua-complaint-military-ombudsman",
        "name": "Скарга Військовому омбудсману (підписує член сім'ї)",
        "jurisdiction": "UA",
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "office_kinds": ["ua_military_ombudsman"],
        "signers": ["family"],
        "heading": """\
{{ office.addressee }}
{% if office.address %}{{ office.address }}{% endif %}
Заявник: {{ applicant.full_name }}
Місце проживання: {{ applicant.address }}
Телефон: {{ applicant.phone }}""",
        "title": "СКАРГА",
        "body": """\
Я, {{ applicant.full_name }}, — член сім'ї військовослужбовця\
{% if applicant.relationship %} ({{ applicant.relationship }}){% endif %}. Звертаюся в його \
інтересах зі скаргою на дії (бездіяльність) командування щодо проходження ним військової служби.

Відомості про військовослужбовця: {{ serviceman.full_name }}, {{ serviceman.birth_date }} р. н., \
військове звання: {{ serviceman.rank }}, місце служби: {{ serviceman.unit }}.

{% if serviceman.captured_on %}З {{ serviceman.captured_on }} по {{ serviceman.released_on }} \
він перебував у полоні. {% endif %}Суть скарги (які дії чи бездіяльність командування, коли):
"""
        + _TO_WRITE
        + "\n"
        + _TO_WRITE
        + """{% if earlier.sent_on %}

{{ earlier.sent_on }} було подано звернення (вид: {{ earlier.kind }}; адресат: \
{{ earlier.office }}). {% if earlier.answered_on %}{{ earlier.answered_on }} отримано \
відповідь: {{ earlier.outcome }}.{% else %}Рішення в установлений строк не прийнято.{% endif %}\
{% endif %}{% if filing.life_or_health_at_risk %}

Його життю та здоров'ю загрожує небезпека: ________________. Прошу розглянути скаргу \
невідкладно, у триденний строк.{% endif %}

На підставі статті 5 Закону України «Про звернення громадян»

ПРОШУ:

1. Розглянути скаргу та перевірити дії (бездіяльність) командування.
2. Вжити заходів для поновлення прав військовослужбовця: ________________ (направлення на ВЛК, \
надання відпустки, звільнення з військової служби).
3. Повідомити мене про результати розгляду в письмовій формі.

ДОДАТКИ:

1. Копії документів, що підтверджують спорідненість.
2. Копії документів, що підтверджують обставини (рапорти, відповіді, медичні документи).""",
        "signature": _RU_FAMILY_SIGNATURE,
        "source": "LEGAL.md §5 (sud.ua 30.01 and 13.02.2026): the Military Ombudsman takes "
        "complaints about command's actions since 27.01.2026, answers in 10 days, 3 when life or "
        "health is threatened; close relatives may complain in his interest. The law that "
        "establishes the office is not cited: not checked [U]. Drafted, not checked by a lawyer.",
    },
]
