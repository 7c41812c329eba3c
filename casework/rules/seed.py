"""The starting legal data from ../shared/domain/LEGAL.md, inserted by a data migration.

Only missing rows are inserted; rows staff have edited are never touched. [S] items are
"sourced", [U] items "unverified": both show as needing a lawyer's check until one verifies them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

RU_TZ, UA_TZ = "Europe/Moscow", "Europe/Kyiv"

CALENDARS = [
    # holidays 0.108 carries the RU production calendar through 2027 (published autumn 2026).
    {"jurisdiction": "RU", "public_holidays_observed": True, "published_through_year": 2027},
    # Law 2136-IX: under martial law Ukrainian public holidays are not days off.
    {"jurisdiction": "UA", "public_holidays_observed": False, "published_through_year": 2027},
]

RULES: list[dict[str, Any]] = [
    {
        "code": "ru-59fz-general", "title": "59-FZ: answer within 30 days of registration",
        "jurisdiction": "RU",
        "office_kinds": ["ru_unit_commander", "ru_higher_commander", "ru_mod",
                         "ru_health_authority", "ru_ombudsman"],
        "filing_kinds": ["complaint", "appeal", "repeat_complaint", "records_request"],
        "unit": "calendar_days", "amount": 30, "start_from": "registration",
        "registration_lag_days": 3, "extension_amount": 30, "max_extensions": 1,
        "who_may_file": "anyone", "valid_from": date(2006, 5, 2), "verification": "sourced",
        "source": "59-FZ arts 8, 12 (ivcrb.ru/questions; kkcson.3dn.ru); registration within 3 "
                  "days; one extension up to 30 days on notice. 547-FZ of 28.12.2024 not checked.",
    },
    {
        "code": "ru-raport", "title": "Рапорт to the commander: 30 days (Order 555, 59-FZ)",
        "jurisdiction": "RU", "office_kinds": ["ru_unit_commander", "ru_higher_commander"],
        "filing_kinds": ["raport", "vvk_request", "discharge_raport"],
        "unit": "calendar_days", "amount": 30, "start_from": "registration",
        "registration_lag_days": 3, "extension_amount": 30, "max_extensions": 1,
        "who_may_file": "serviceman", "valid_from": date(2014, 8, 18), "verification": "unverified",
        "source": "Disciplinary Charter art. 106; MoD Order 555 of 18.08.2014; the 30-day term "
                  "as applied to a рапорт is practice, not a Charter clause [U].",
    },
    {
        "code": "ru-prosecutor", "title": "Military prosecutor: 30 days, 15-day early check",
        "jurisdiction": "RU",
        "office_kinds": ["ru_prosecutor_garrison", "ru_prosecutor_district", "ru_prosecutor_main"],
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "unit": "calendar_days", "amount": 30, "start_from": "registration",
        "registration_lag_days": 3, "extension_amount": 30, "max_extensions": 1,
        "early_check_days": 15, "who_may_file": "anyone", "valid_from": date(2013, 1, 30),
        "verification": "sourced",
        "source": "Prosecutor General Order No. 45 of 30.01.2013, point 5.1 (voenset.ru/blank; "
                  "prokvologda.ru): servicemen and family members; 15 days without a check.",
    },
    {
        "code": "ru-kas-219", "title": "Court: claim within 3 months (KAS art. 219)",
        "jurisdiction": "RU", "office_kinds": ["ru_military_court"], "filing_kinds": ["court_claim"],
        "clock": "filing_limit",
        "unit": "months", "amount": 3, "start_from": "receipt", "who_may_file": "serviceman",
        "valid_from": date(2015, 9, 15), "verification": "sourced",
        "source": "KAS art. 219 part 1 (zullus.ru/219-kas-rf): 3 months from learning of the "
                  "violation. Counted from a refusal or the missed response date.",
    },
    {
        "code": "ua-393-general", "title": "Law 393/96 art. 20: one month, at most 45 days",
        "jurisdiction": "UA",
        "office_kinds": ["ua_commander", "ua_higher_commander", "ua_mod_rights", "ua_pow_hq",
                         "ua_ombudsman"],
        "filing_kinds": ["complaint", "appeal", "repeat_complaint", "records_request"],
        "unit": "months", "amount": 1, "start_from": "receipt", "ceiling_days": 45,
        "extension_amount": 15, "max_extensions": 1, "who_may_file": "anyone",
        "valid_from": date(1996, 10, 2), "verification": "sourced",
        "source": "Law 393/96-ВР art. 20 (urst.com.ua; 7aac.gov.ua): 1 month from receipt, "
                  "15 days if simple, 45 days in total at most.",
    },
    {
        "code": "ua-raport-48h", "title": "Рапорт on health or leave: 48 hours (Order 531)",
        "jurisdiction": "UA", "office_kinds": ["ua_commander", "ua_higher_commander"],
        "filing_kinds": ["raport", "vvk_request"], "unit": "hours", "amount": 48,
        "start_from": "receipt", "who_may_file": "serviceman", "valid_from": date(2024, 8, 6),
        "roll_forward": False, "verification": "sourced",
        "source": "MoD Order No. 531 of 06.08.2024 (docs.dtkt.ua; prostir.rivne.ua): health, "
                  "leave, discipline, combat tasks within 48 hours.",
    },
    {
        "code": "ua-raport-14d", "title": "Other рапорт (e.g. discharge): 14 days (Order 531)",
        "jurisdiction": "UA", "office_kinds": ["ua_commander", "ua_higher_commander"],
        "filing_kinds": ["discharge_raport"], "unit": "calendar_days", "amount": 14,
        "start_from": "receipt", "who_may_file": "serviceman", "valid_from": date(2024, 8, 6),
        "verification": "sourced",
        "source": "MoD Order No. 531 of 06.08.2024: all other рапорт within 14 days; calendar "
                  "days assumed [U].",
    },
]  # fmt: skip

# (key, kind, jurisdiction, name, parent key, time zone). Generic rows are a starting directory;
# coordinators add concrete garrisons with addresses. A unit commander's row names no unit: the
# unit is personal (it is encrypted on the serviceman) and drafts take it from there.
OFFICES = [
    ("ru-mod", "ru_mod", "RU", "Министерство обороны Российской Федерации", None, RU_TZ),
    ("ru-gvp", "ru_prosecutor_main", "RU", "Главная военная прокуратура", None, RU_TZ),
    ("ru-district", "ru_prosecutor_district", "RU", "Военная прокуратура военного округа (указать)", "ru-gvp", RU_TZ),
    ("ru-garrison", "ru_prosecutor_garrison", "RU", "Военная прокуратура гарнизона (указать)", "ru-district", RU_TZ),
    ("ru-higher", "ru_higher_commander", "RU", "Вышестоящий командир (указать)", "ru-mod", RU_TZ),
    ("ru-unit", "ru_unit_commander", "RU", "Командир войсковой части", "ru-higher", RU_TZ),
    ("ru-health", "ru_health_authority", "RU", "Региональный орган здравоохранения (указать)", None, RU_TZ),
    ("ru-ombudsman", "ru_ombudsman", "RU", "Уполномоченный по правам человека в Российской Федерации", None, RU_TZ),
    ("ru-court", "ru_military_court", "RU", "Гарнизонный военный суд (указать)", None, RU_TZ),
    ("ru-vvk", "ru_vvk", "RU", "Военно-врачебная комиссия (указать)", None, RU_TZ),
    ("ua-mod-rights", "ua_mod_rights", "UA", "Головне управління з питань захисту прав військовослужбовців МО України", None, UA_TZ),
    ("ua-higher", "ua_higher_commander", "UA", "Командир вищого рівня (вказати)", "ua-mod-rights", UA_TZ),
    ("ua-commander", "ua_commander", "UA", "Командир військової частини", "ua-higher", UA_TZ),
    ("ua-pow-hq", "ua_pow_hq", "UA", "Координаційний штаб з питань поводження з військовополоненими", None, UA_TZ),
    ("ua-ombudsman", "ua_ombudsman", "UA", "Уповноважений Верховної Ради України з прав людини", None, UA_TZ),
    ("ua-court", "ua_court", "UA", "Окружний адміністративний суд (вказати)", None, UA_TZ),
]  # fmt: skip

# Each seeded office's addressee line as a document writes it: the official, in the dative
# (LEGAL.md §5, unverified). A court is written as "В … суд", as a claim is headed. The unit
# commanders' lines end where drafts add the unit from the serviceman's record.
_FILL = "________________"
ADDRESSEES = {
    "ru-mod": "Министру обороны Российской Федерации",
    "ru-gvp": "Главному военному прокурору",
    "ru-district": f"Военному прокурору {_FILL} военного округа",
    "ru-garrison": f"Военному прокурору {_FILL} гарнизона",
    "ru-higher": f"Командиру {_FILL} (вышестоящему командиру)",
    "ru-unit": "Командиру войсковой части",
    "ru-health": f"Главному врачу {_FILL}",
    "ru-ombudsman": "Уполномоченному по правам человека в Российской Федерации",
    "ru-court": f"В {_FILL} гарнизонный военный суд",
    "ru-vvk": f"Председателю военно-врачебной комиссии {_FILL}",
    "ua-mod-rights": (
        "Начальнику Головного управління з питань захисту прав військовослужбовців "
        "Міністерства оборони України"
    ),
    "ua-higher": f"Командиру {_FILL} (командиру вищого рівня)",
    "ua-commander": "Командиру військової частини",
    "ua-pow-hq": "Координаційному штабу з питань поводження з військовополоненими",
    "ua-ombudsman": "Уповноваженому Верховної Ради України з прав людини",
    "ua-court": f"До {_FILL} окружного адміністративного суду",
}

# (ladder, jurisdiction, position, after a filing to, file with, filing kind, signer, trigger,
#  verification, description) -- LEGAL.md section 3.
LADDERS = [
    # First rungs (trigger "released"): proposed as drafts when an exchange brings the man back.
    ("A", "RU", 1, "", "ru_unit_commander", "vvk_request", "serviceman", "released", "sourced",
     "He files a рапорт to his direct commander asking for a VVK referral (565, 59-FZ art. 12, "
     "Order 555); keep a copy with its registration number."),
    ("D", "UA", 1, "", "ua_commander", "raport", "serviceman", "released", "sourced",
     "Рапорт via Армія+ on 90 days' leave after captivity: a decision within 48 hours."),
    ("D", "UA", 1, "", "ua_commander", "discharge_raport", "serviceman", "released", "sourced",
     "Рапорт via Армія+ on discharge after captivity: a decision within 14 days."),
    ("A", "RU", 2, "ru_unit_commander", "ru_higher_commander", "raport", "serviceman", "any", "sourced",
     "No VVK referral by day 30 (sooner if health is at risk): рапорт to the higher commander."),
    ("A", "RU", 2, "ru_unit_commander", "ru_prosecutor_garrison", "complaint", "family", "any", "sourced",
     "At the same time the family complains to the garrison military prosecutor (track 15 and 30 days)."),
    ("A", "RU", 3, "ru_higher_commander", "ru_mod", "complaint", "family", "any", "sourced",
     "The family writes to the Ministry of Defence (public reception or personal account)."),
    ("A", "RU", 4, "ru_prosecutor_garrison", "ru_prosecutor_district", "complaint", "family", "any", "unverified",
     "Prosecutor silent or formal reply: complain to the district military prosecutor; ask for a "
     "check under KoAP 5.59."),
    ("A", "RU", 4, "ru_prosecutor_district", "ru_prosecutor_main", "complaint", "family", "any", "unverified",
     "Then the Main Military Prosecutor's Office."),
    ("A", "RU", 5, "ru_mod", "ru_military_court", "court_claim", "serviceman", "any", "sourced",
     "Administrative claim in the garrison military court within 3 months (KAS 219)."),
    ("A", "RU", 5, "ru_prosecutor_main", "ru_military_court", "court_claim", "serviceman", "any", "sourced",
     "Administrative claim in the garrison military court within 3 months (KAS 219)."),
    ("A", "RU", 6, "ru_mod", "ru_ombudsman", "complaint", "family", "any", "unverified",
     "Optional: the Human Rights Commissioner."),
    ("B", "RU", 1, "ru_vvk", "ru_vvk", "appeal", "serviceman", "refused", "sourced",
     "Category В is not a discharge ground under decree 647 p. 5: ask a higher VVK for re-examination "
     "(or an independent VVE under Decree 574)."),
    ("B", "RU", 2, "ru_vvk", "ru_military_court", "court_claim", "serviceman", "refused", "sourced",
     "Challenge the VVK conclusion in court."),
    ("D", "UA", 2, "ua_commander", "ua_higher_commander", "raport", "serviceman", "any", "sourced",
     "No decision or a refusal: the рапорт goes to the next-level commander (a refusal does not stop it)."),
    ("D", "UA", 3, "ua_higher_commander", "ua_mod_rights", "complaint", "family", "any", "sourced",
     "Complaint to the MoD Main Directorate for the Protection of Servicemen's Rights (hotline 1512)."),
    ("D", "UA", 4, "ua_mod_rights", "ua_pow_hq", "complaint", "family", "any", "unverified",
     "Coordination Headquarters for POWs."),
    ("D", "UA", 4, "ua_mod_rights", "ua_ombudsman", "complaint", "family", "any", "unverified",
     "The Parliamentary Commissioner for Human Rights."),
    ("D", "UA", 5, "ua_pow_hq", "ua_court", "court_claim", "serviceman", "any", "unverified",
     "Administrative court (time limits unverified)."),
]  # fmt: skip


def seed_office_addressees(apps: Any) -> None:
    """Give each seeded office its addressee line, only where the row still carries the exact
    seeded name and no line yet (a row staff renamed or addressed is theirs)."""
    office = apps.get_model("casework", "AuthorityOffice")
    for key, kind, jurisdiction, name, _parent, _zone in OFFICES:
        office.objects.filter(kind=kind, jurisdiction=jurisdiction, name=name, addressee="").update(
            addressee=ADDRESSEES[key]
        )


def seed_legal_data(apps: Any) -> None:
    """Insert whatever is missing; never update a row that exists (staff may have edited it)."""
    calendar = apps.get_model("casework", "JurisdictionCalendar")
    for row in CALENDARS:
        calendar.objects.get_or_create(jurisdiction=row["jurisdiction"], defaults=row)
    rule = apps.get_model("casework", "ResponseRule")
    rule_fields = {field.name for field in rule._meta.get_fields()}
    for row in RULES:
        # A migration before a field existed seeds without it; the migration that adds the
        # field sets it on the seeded row (0034: the court filing limit).
        values = {name: value for name, value in row.items() if name in rule_fields}
        rule.objects.get_or_create(code=row["code"], version=1, defaults=values)
    office = apps.get_model("casework", "AuthorityOffice")
    with_addressee = "addressee" in {field.name for field in office._meta.get_fields()}
    made: dict[str, Any] = {}
    for key, kind, jurisdiction, name, parent, zone in OFFICES:
        defaults = {"parent": made.get(parent) if parent else None, "time_zone": zone}
        if with_addressee:  # a migration before the field existed seeds without it
            defaults["addressee"] = ADDRESSEES[key]
        made[key], _ = office.objects.get_or_create(
            kind=kind, jurisdiction=jurisdiction, name=name, defaults=defaults
        )
    step = apps.get_model("casework", "EscalationStep")
    for (
        ladder,
        jurisdiction,
        position,
        source,
        target,
        kind,
        signer,
        trigger,
        check,
        text,
    ) in LADDERS:
        step.objects.get_or_create(
            ladder=ladder,
            from_office_kind=source,
            to_office_kind=target,
            filing_kind=kind,
            defaults={
                "jurisdiction": jurisdiction,
                "position": position,
                "signer": signer,
                "trigger": trigger,
                "verification": check,
                "description": text,
            },
        )
    if "life_or_health_at_risk" in rule_fields:  # from migration 0035 on
        seed_legal_additions(apps)


# --- Added for issue 16 (LEGAL.md §5): inserted by migration 0035 where missing -----------------

ADDED_RULES: list[dict[str, Any]] = [
    {
        "code": "ua-military-ombudsman", "title": "Military Ombudsman: answer within 10 days",
        "jurisdiction": "UA", "office_kinds": ["ua_military_ombudsman"],
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "unit": "calendar_days", "amount": 10, "start_from": "receipt", "roll_forward": False,
        "who_may_file": "anyone", "valid_from": date(2026, 1, 27), "verification": "unverified",
        "source": "LEGAL.md §5 (sud.ua 30.01 and 13.02.2026): since 27.01.2026 the Office of the "
                  "Military Ombudsman takes complaints about command's actions and answers within "
                  "10 days; close relatives may complain in his interest. Calendar days from "
                  "receipt assumed, not moved off a day off (the clock runs early, never late) [U].",
    },
    {
        "code": "ua-military-ombudsman-urgent",
        "title": "Military Ombudsman: 3 days when life or health is threatened",
        "jurisdiction": "UA", "office_kinds": ["ua_military_ombudsman"],
        "filing_kinds": ["complaint", "appeal", "repeat_complaint"],
        "unit": "calendar_days", "amount": 3, "start_from": "receipt", "roll_forward": False,
        "life_or_health_at_risk": True,
        "who_may_file": "anyone", "valid_from": date(2026, 1, 27), "verification": "unverified",
        "source": "LEGAL.md §5 (sud.ua 30.01 and 13.02.2026): 3 days when life or health is "
                  "threatened; applies to filings marked so. Calendar days from receipt, not "
                  "moved off a day off [U].",
    },
    {
        "code": "ru-kas-226", "title": "Court: the claim is decided within one month (KAS art. 226)",
        "jurisdiction": "RU", "office_kinds": ["ru_military_court"], "filing_kinds": ["court_claim"],
        "unit": "months", "amount": 1, "start_from": "receipt", "who_may_file": "serviceman",
        "valid_from": date(2015, 9, 15), "verification": "unverified",
        "source": "LEGAL.md §5: the court's own term for a claim against a body's decision or "
                  "inaction is reported as one month (KAS art. 226 — confirm), from the claim's "
                  "receipt by the court. KAS art. 219 is the separate filing limit.",
    },
]  # fmt: skip

# (key, kind, jurisdiction, name, addressee, parent key, time zone)
ADDED_OFFICES = [
    ("ua-military-ombudsman", "ua_military_ombudsman", "UA", "Офіс Військового омбудсмана",
     "Військовому омбудсману", None, UA_TZ),
    ("ru-independent-vve", "ru_independent_vve", "RU",
     "Экспертная организация: независимая военно-врачебная экспертиза (указать)",
     f"Руководителю {_FILL} (экспертная организация, проводящая независимую "
     "военно-врачебную экспертизу)", None, RU_TZ),
]  # fmt: skip

# As LADDERS: the Military Ombudsman beside the MoD directorate in ladder D (LEGAL.md §5 calls
# it the most relevant Ukrainian addressee for a released prisoner), and the independent
# expertise (Decree 574) beside the higher VVK in ladder B.
ADDED_LADDERS = [
    ("D", "UA", 3, "ua_higher_commander", "ua_military_ombudsman", "complaint", "family", "any",
     "unverified",
     "At the same time, a complaint to the Military Ombudsman about the command's actions "
     "(since 27.01.2026; close relatives may complain in his interest): an answer within 10 days, "
     "3 days when the filing says his life or health is at risk."),
    ("D", "UA", 5, "ua_military_ombudsman", "ua_court", "court_claim", "serviceman", "any",
     "unverified", "Administrative court (time limits unverified)."),
    ("B", "RU", 1, "ru_vvk", "ru_independent_vve", "appeal", "serviceman", "refused", "sourced",
     "Or an independent military-medical expertise at his request (Decree 574 of 28.07.2008)."),
]  # fmt: skip


def seed_legal_additions(apps: Any) -> None:
    """Insert the Military Ombudsman (office, its 10- and 3-day rules, its rungs of ladder D),
    the court's own term and the independent expertise office where missing; never update a
    row that exists."""
    rule = apps.get_model("casework", "ResponseRule")
    for row in ADDED_RULES:
        rule.objects.get_or_create(code=row["code"], version=1, defaults=row)
    office = apps.get_model("casework", "AuthorityOffice")
    for _key, kind, jurisdiction, name, addressee, _parent, zone in ADDED_OFFICES:
        office.objects.get_or_create(
            kind=kind,
            jurisdiction=jurisdiction,
            name=name,
            defaults={"addressee": addressee, "time_zone": zone},
        )
    step = apps.get_model("casework", "EscalationStep")
    for (
        ladder,
        jurisdiction,
        position,
        source,
        target,
        kind,
        signer,
        trigger,
        check,
        text,
    ) in ADDED_LADDERS:
        step.objects.get_or_create(
            ladder=ladder,
            from_office_kind=source,
            to_office_kind=target,
            filing_kind=kind,
            defaults={
                "jurisdiction": jurisdiction,
                "position": position,
                "signer": signer,
                "trigger": trigger,
                "verification": check,
                "description": text,
            },
        )


def mark_court_filing_limits(apps: Any) -> None:
    """The new `clock` field on the seeded KAS art. 219 rows: a filing limit, not the court's
    answer term (every version of the code: it names the one rule)."""
    rule = apps.get_model("casework", "ResponseRule")
    rule.objects.filter(code="ru-kas-219").update(clock="filing_limit")
