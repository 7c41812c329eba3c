"""Loading legal data from the database into the plain values the calendar engine computes with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import cast

from casework.models import AuthorityOffice, CalendarOverride, JurisdictionCalendar, ResponseRule
from casework.rules import calendar as engine


def working_calendar_for(jurisdiction: str) -> engine.WorkingCalendar:
    """The editable calendar of a jurisdiction: package holidays, the switch, and overrides."""
    settings_row = JurisdictionCalendar.objects.filter(jurisdiction=jurisdiction).first()
    overrides = [
        engine.CalendarOverride(day=day, is_working=working)
        for day, working in CalendarOverride.objects.filter(jurisdiction=jurisdiction).values_list(
            "day", "is_working"
        )
    ]
    return engine.working_calendar(
        cast(engine.Jurisdiction, jurisdiction),
        public_holidays_observed=settings_row.public_holidays_observed if settings_row else None,
        published_through_year=settings_row.published_through_year if settings_row else None,
        overrides=overrides,
    )


def rule_for(
    *, office: AuthorityOffice, filing_kind: str, on: date, life_or_health_at_risk: bool = False
) -> ResponseRule | None:
    """The newest response rule in force on `on` for this office kind and filing kind.

    A filing that says life or health is at risk takes the rule written for that case where
    one fits (the Military Ombudsman's 3 days), else the general one; a filing that does not
    say so never takes it. A filing limit (KAS art. 219) is never a response rule.
    """

    def fits(rule: ResponseRule, *, urgent: bool) -> bool:
        return (
            rule.clock == ResponseRule.Clock.RESPONSE
            and rule.life_or_health_at_risk == urgent
            and office.kind in rule.office_kinds
            and filing_kind in rule.filing_kinds
        )

    found = None
    if life_or_health_at_risk:
        found = _newest_in_force(
            jurisdiction=office.jurisdiction, on=on, fits=lambda rule: fits(rule, urgent=True)
        )
    return found or _newest_in_force(
        jurisdiction=office.jurisdiction, on=on, fits=lambda rule: fits(rule, urgent=False)
    )


class CourtLimitSource:
    """The court rule and working calendar of each jurisdiction, each read once however many
    filings ask (the sweep asks for many at once; a single answer asks through one too)."""

    def __init__(self) -> None:
        self._rules: dict[str, list[ResponseRule]] = {}
        self._calendars: dict[str, engine.WorkingCalendar] = {}

    def rule(self, *, jurisdiction: str, on: date) -> ResponseRule | None:
        """The newest court rule in force on `on` in the jurisdiction (`is_court_rule`)."""
        if jurisdiction not in self._rules:
            self._rules[jurisdiction] = list(
                ResponseRule.objects.filter(jurisdiction=jurisdiction).order_by(
                    "-version", "-valid_from"
                )
            )
        return _first_in_force(self._rules[jurisdiction], on=on, fits=is_court_rule)

    def calendar(self, jurisdiction: str) -> engine.WorkingCalendar:
        if jurisdiction not in self._calendars:
            self._calendars[jurisdiction] = working_calendar_for(jurisdiction)
        return self._calendars[jurisdiction]


def _newest_in_force(
    *, jurisdiction: str, on: date, fits: Callable[[ResponseRule], bool]
) -> ResponseRule | None:
    candidates = ResponseRule.objects.filter(jurisdiction=jurisdiction, valid_from__lte=on)
    return _first_in_force(candidates.order_by("-version", "-valid_from"), on=on, fits=fits)


def _first_in_force(
    rules: Iterable[ResponseRule], *, on: date, fits: Callable[[ResponseRule], bool]
) -> ResponseRule | None:
    """The first of `rules` (newest first) in force on `on` that fits. Lists are matched in
    Python: SQLite (the embedded default) cannot search JSON lists."""
    return next(
        (
            rule
            for rule in rules
            if rule.valid_from <= on
            and (rule.valid_to is None or rule.valid_to >= on)
            and fits(rule)
        ),
        None,
    )


def is_court_rule(rule: ResponseRule) -> bool:
    """A rule that limits filing a court claim (e.g. KAS art. 219), counted from learning of
    the violation; which court is the rule's data. The court's own answer term is a response
    rule like any other."""
    return rule.clock == ResponseRule.Clock.FILING_LIMIT


def term_rule(rule: ResponseRule, *, time_zone: str) -> engine.TermRule:
    return engine.TermRule(
        unit=cast(engine.TermUnit, rule.unit),
        amount=rule.amount,
        start_from=cast(engine.StartEvent, rule.start_from),
        time_zone=time_zone,
        registration_lag_days=rule.registration_lag_days,
        ceiling_days=rule.ceiling_days,
        extension_amount=rule.extension_amount,
        extension_unit=cast(engine.TermUnit, rule.extension_unit),
        max_extensions=rule.max_extensions,
        early_check_days=rule.early_check_days,
        roll_forward_non_working=rule.roll_forward,
    )
