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
