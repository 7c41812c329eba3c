"""Working-day calendars and statutory response-term arithmetic for RU and UA authorities."""

from __future__ import annotations

import functools
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from holidays.constants import PUBLIC, WORKDAY

Jurisdiction = Literal["RU", "UA"]
TermUnit = Literal["calendar_days", "working_days", "hours", "months"]
StartEvent = Literal["registration", "receipt"]

ONE_DAY = timedelta(days=1)
END_OF_DAY = time(23, 59, 59)
# Law 2136-IX: while martial law lasts, Ukrainian public holidays are not days off. This is only
# the default; a lawyer switches it per calendar (LEGAL.md: every rule must stay editable data).
PUBLIC_HOLIDAYS_OBSERVED_BY_DEFAULT: Mapping[Jurisdiction, bool] = {"RU": True, "UA": False}
_UNIT_SUFFIX: Mapping[str, str] = {
    "calendar_days": "d",
    "working_days": "wd",
    "hours": "h",
    "months": "mo",
}
# The longest term (or extension) a rule may state, per unit: about ten years of days, working
# days and months, one year of hours. No statute here comes near; a larger number is a typo, and
# 99,999,999 days ran past the calendar's last date while a count of working days that size
# would have looped for hours. The admin refuses them (ResponseRule.clean), the engine too.
MAX_AMOUNT: Mapping[str, int] = {
    "calendar_days": 3660,
    "working_days": 2520,
    "hours": 8784,
    "months": 120,
}
MAX_EXTENSIONS = 10
# Registration lag, ceiling and early check, in calendar days.
MAX_OFFSET_DAYS = 3660


class MissingStartDate(ValueError):
    """Neither the date a term runs from nor a date to infer it from was given."""


class ExtensionNotAllowed(ValueError):
    """More extensions were requested than the term rule allows."""


class TermOutOfRange(ValueError):
    """A term beyond the bounds above, or one that ends past the last date a calendar holds."""


@dataclass(frozen=True)
class CalendarOverride:
    """One editable calendar row: `day` is working or not, whatever the law or package says."""

    day: date
    is_working: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working in one jurisdiction; build it with `working_calendar`."""

    jurisdiction: Jurisdiction
    public_holidays_observed: bool
    # The RU production calendar for year Y is published in the autumn of Y-1, so a due date
    # after this year may still move; None means every year is treated as known.
    published_through_year: int | None = None
    overrides: Mapping[date, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class TermRule:
    """A statutory response term as a lawyer edits it (one row of the rules table)."""

    unit: TermUnit
    amount: int
    start_from: StartEvent
    time_zone: str  # IANA name of the office's zone, e.g. "Europe/Moscow"
    # Days after receipt at which an unknown registration date is assumed (RU: 3).
    registration_lag_days: int = 0
    # Calendar days from the start event the due date may never pass (UA: 45).
    ceiling_days: int | None = None
    extension_amount: int = 0
    extension_unit: TermUnit = "calendar_days"
    max_extensions: int = 0
    # Calendar days from the start event to an early reminder (RU prosecutor: 15).
    early_check_days: int | None = None
    roll_forward_non_working: bool = True

    def __post_init__(self) -> None:
        # Rows come from an editable table, so refuse nonsense here instead of mid-computation.
        units = get_args(TermUnit)
        if self.unit not in units or self.extension_unit not in units:
            raise ValueError(f"Unknown term unit in {self.unit!r}/{self.extension_unit!r}.")
        if self.start_from not in get_args(StartEvent):
            raise ValueError(f"Unknown start event {self.start_from!r}.")
        if self.amount < 1 or min(self.registration_lag_days, self.extension_amount) < 0:
            raise ValueError("Term amounts must be positive and lags/extensions not negative.")
        if self.max_extensions < 0:
            raise ValueError("max_extensions must not be negative.")
        for name, value, limit in (
            ("amount", self.amount, MAX_AMOUNT[self.unit]),
            ("extension_amount", self.extension_amount, MAX_AMOUNT[self.extension_unit]),
            ("max_extensions", self.max_extensions, MAX_EXTENSIONS),
            ("registration_lag_days", self.registration_lag_days, MAX_OFFSET_DAYS),
            ("ceiling_days", self.ceiling_days or 0, MAX_OFFSET_DAYS),
            ("early_check_days", self.early_check_days or 0, MAX_OFFSET_DAYS),
        ):
            if value > limit:
                raise TermOutOfRange(f"{name} can be at most {limit}; got {value}.")
        is_hourly = self.unit == "hours"
        if is_hourly and (self.start_from != "receipt" or self.ceiling_days is not None):
            raise ValueError("An hour-based term runs from receipt and has no day ceiling.")
        if self.max_extensions and is_hourly != (self.extension_unit == "hours"):
            raise ValueError("Hour-based terms and their extensions must both be in hours.")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from exc


@dataclass(frozen=True)
class DueResult:
    """When a term ends, whether that may still move, and why."""

    due_at: datetime  # timezone-aware, in the rule's zone
    due_date: date
    provisional: bool
    rolled_from: date | None
    early_check_at: datetime | None
    basis: str  # e.g. "registration+30d+30d(ext), rolled from 2026-05-01"


def working_calendar(
    jurisdiction: Jurisdiction,
    *,
    public_holidays_observed: bool | None = None,
    published_through_year: int | None = None,
    overrides: Iterable[CalendarOverride] = (),
) -> WorkingCalendar:
    """Build a calendar from plain rows; holidays default to observed in RU and not in UA."""
    if jurisdiction not in get_args(Jurisdiction):
        raise ValueError(f"Unknown jurisdiction {jurisdiction!r}.")
    marks: dict[date, bool] = {}
    for override in overrides:
        if marks.setdefault(override.day, override.is_working) != override.is_working:
            raise ValueError(f"{override.day} is marked both working and non-working.")
    if public_holidays_observed is None:
        public_holidays_observed = PUBLIC_HOLIDAYS_OBSERVED_BY_DEFAULT[jurisdiction]
    return WorkingCalendar(
        jurisdiction=jurisdiction,
        public_holidays_observed=public_holidays_observed,
        published_through_year=published_through_year,
        overrides=marks,
    )


@functools.lru_cache(maxsize=32)
def _public_holidays(jurisdiction: Jurisdiction, year: int) -> holidays.HolidayBase:
    # Next year is loaded too: a transfer decree for Y+1 may make a weekend day of Y a working
    # day, and the package records that only while it populates Y+1.
    years = (year, year + 1)
    if jurisdiction == "UA":
        # The package files Ukraine's holidays under WORKDAY while martial law lasts; a calendar
        # that observes them wants both categories as days off.
        return holidays.country_holidays("UA", years=years, categories=(PUBLIC, WORKDAY))
    # RU bridge days come as extra holidays ("Day off (substituted from …)") and the working
    # Saturdays they are paid for as `weekend_workdays`; `is_working_day` reads both.
    return holidays.country_holidays(jurisdiction, years=years)


def is_working_day(day: date, calendar: WorkingCalendar) -> bool:
    """Tell whether `day` is a working day; an override row beats weekends and holidays."""
    if day in calendar.overrides:
        return calendar.overrides[day]
    if calendar.public_holidays_observed:
        return bool(_public_holidays(calendar.jurisdiction, day.year).is_working_day(day))
    return day.weekday() < 5  # Monday..Friday


def next_working_day(day: date, calendar: WorkingCalendar) -> date:
    """Return the first working day strictly after `day`."""
    # Bounded: overrides could mark a long run of days off; a year without one working day is
    # a data error to report, not a reason to search for ever.
    for _ in range(366):
        day += ONE_DAY
        if is_working_day(day, calendar):
            return day
    raise TermOutOfRange(f"No working day in the year after {day - 366 * ONE_DAY}.")


def add_working_days(start: date, n: int, calendar: WorkingCalendar) -> date:
    """Return the n-th working day after `start`; `start` itself never counts."""
    if n < 0:
        raise ValueError("n must not be negative.")
    if n > MAX_AMOUNT["working_days"]:
        raise TermOutOfRange(
            f"A count of working days can be at most {MAX_AMOUNT['working_days']}."
        )
    for _ in range(n):
        start = next_working_day(start, calendar)
    return start


def compute_due(
    rule: TermRule,
    *,
    registered_on: date | None,
    received_on: date | None,
    received_at: datetime | None = None,
    extensions: int = 0,
    calendar: WorkingCalendar,
) -> DueResult:
    """Compute when `rule` ends. Raises MissingStartDate, ExtensionNotAllowed or TermOutOfRange."""
    try:
        return _compute_due(
            rule,
            registered_on=registered_on,
            received_on=received_on,
            received_at=received_at,
            extensions=extensions,
            calendar=calendar,
        )
    except OverflowError as exc:  # date arithmetic past year 9999
        raise TermOutOfRange("The term ends past the last date the calendar holds.") from exc


def _compute_due(
    rule: TermRule,
    *,
    registered_on: date | None,
    received_on: date | None,
    received_at: datetime | None,
    extensions: int,
    calendar: WorkingCalendar,
) -> DueResult:
    if extensions < 0:
        raise ValueError("extensions must not be negative.")
    if extensions > rule.max_extensions:
        raise ExtensionNotAllowed(
            f"The rule allows at most {rule.max_extensions} extension(s); got {extensions}."
        )
    zone = ZoneInfo(rule.time_zone)
    if rule.unit == "hours":
        return _due_in_hours(rule, received_at=received_at, extensions=extensions, zone=zone)
    if received_on is None and received_at is not None:
        received_on = received_at.astimezone(zone).date()  # receipt is a day in the office's zone
    if rule.start_from == "receipt":
        if received_on is None:
            raise MissingStartDate("This term runs from receipt; the receipt date is missing.")
        return _due_in_days(rule, received_on, "receipt", extensions, calendar)
    if registered_on is not None:
        return _due_in_days(rule, registered_on, "registration", extensions, calendar)
    if received_on is None:
        raise MissingStartDate("This term runs from registration; give it or the receipt date.")
    # 59-FZ art. 8 (LEGAL.md §1, §2): a body registers within 3 days of receipt, so an unknown
    # registration date is taken as the latest lawful one.
    lag = rule.registration_lag_days
    start_label = f"receipt+{lag}d(lag)" if lag else "receipt"
    return _due_in_days(rule, received_on + timedelta(days=lag), start_label, extensions, calendar)


def court_limit(
    from_day: date,
    calendar: WorkingCalendar,
    *,
    months: int = 3,
    time_zone: str = "Europe/Moscow",
) -> DueResult:
    """Return the last day to file an administrative claim, `months` after learning, rolled."""
    # KAS art. 219 part 1 (LEGAL.md §1, §3 A.5): 3 months from learning of the violation. The
    # forward roll follows KAS art. 93, which LEGAL.md does not quote yet.
    rule = TermRule(unit="months", amount=months, start_from="receipt", time_zone=time_zone)
    try:
        return _due_in_days(rule, from_day, "learned", 0, calendar)
    except OverflowError as exc:
        raise TermOutOfRange("The term ends past the last date the calendar holds.") from exc


def _due_in_days(
    rule: TermRule, start: date, start_label: str, extensions: int, calendar: WorkingCalendar
) -> DueResult:
    # 59-FZ commentary (LEGAL.md §1 "Counting days"): the count starts the day after the start
    # event, which is what adding to `start` does.
    end = _advance(start, rule.amount, rule.unit, calendar)
    basis = f"{start_label}+{rule.amount}{_UNIT_SUFFIX[rule.unit]}"
    for _ in range(extensions):
        # 59-FZ art. 12 and Order 45 p. 5.1 (LEGAL.md §1): the extension lengthens the term
        # (30 + 30 = 60 days from registration), so the roll happens once, at the very end.
        end = _advance(end, rule.extension_amount, rule.extension_unit, calendar)
        basis += f"+{rule.extension_amount}{_UNIT_SUFFIX[rule.extension_unit]}(ext)"
    rolled_from = None
    if rule.roll_forward_non_working and not is_working_day(end, calendar):
        # Civil Code art. 191 by analogy (LEGAL.md §1): a term ending on a day off moves on.
        rolled_from, end = end, next_working_day(end, calendar)
    if rule.ceiling_days is not None and end > start + timedelta(days=rule.ceiling_days):
        # Law 393/96 art. 20 (LEGAL.md §1 Ukraine): 45 days in total is a hard cap, so neither
        # an extension nor a roll may carry the due date past it.
        end, rolled_from = start + timedelta(days=rule.ceiling_days), None
        basis += f", capped at {start_label}+{rule.ceiling_days}d"
    elif rolled_from is not None:
        basis += f", rolled from {rolled_from.isoformat()}"
    early_check_at = None
    if rule.early_check_days is not None:
        # Order 45 p. 5.1 (LEGAL.md §1, §2): the 15-day term is a term too, so it rolls alike.
        early = start + timedelta(days=rule.early_check_days)
        if rule.roll_forward_non_working and not is_working_day(early, calendar):
            early = next_working_day(early, calendar)
        early_check_at = _end_of_day(early, rule.time_zone)
    published = calendar.published_through_year
    return DueResult(
        due_at=_end_of_day(end, rule.time_zone),
        due_date=end,
        provisional=published is not None and end.year > published,
        rolled_from=rolled_from,
        early_check_at=early_check_at,
        basis=basis,
    )


def notice_date_applied(due: DueResult, named_day: date, *, time_zone: str) -> DueResult:
    """The term after an extension notice that names its new date: that day, where the rule
    allows it. 59-FZ art. 12 and Order 45 p. 5.1 allow "up to 30 days" (LEGAL.md §5): the
    notice's date, not +30, is the new due date, but a date past what the rule allows is not
    taken (the clock may run early, never late). `due` is the term with the extension."""
    named_at = _end_of_day(named_day, time_zone)
    if named_at >= due.due_at:
        return replace(due, basis=f"{due.basis}, notice named {named_day.isoformat()} (later)")
    return DueResult(
        due_at=named_at,
        due_date=named_day,
        provisional=False,  # a day the authority named: no calendar can move it
        rolled_from=None,
        early_check_at=due.early_check_at,
        basis=f"{due.basis}, notice: until {named_day.isoformat()}",
    )


def start_of_day(day: date, time_zone: str) -> datetime:
    """The first moment of `day` where the office is: a moment known only by its day, taken
    as early as it can be (a clock in hours then runs early, never late)."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(time_zone))


def _due_in_hours(
    rule: TermRule, *, received_at: datetime | None, extensions: int, zone: ZoneInfo
) -> DueResult:
    if received_at is None:
        raise MissingStartDate("An hour-based term needs the moment of receipt (received_at).")
    if received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware.")
    hours = rule.amount + extensions * rule.extension_amount
    basis = f"receipt+{rule.amount}h" + f"+{rule.extension_amount}h(ext)" * extensions
    # MoD Order 531 (LEGAL.md §1 Ukraine): 48 hours are elapsed hours, counted through weekends
    # and never rolled. Adding in UTC keeps a DST switch from stretching or shrinking them.
    due_at = (received_at.astimezone(UTC) + timedelta(hours=hours)).astimezone(zone)
    return DueResult(
        due_at=due_at,
        due_date=due_at.date(),
        provisional=False,  # no calendar is consulted, so nothing can move
        rolled_from=None,
        early_check_at=None,
        basis=basis,
    )


def _advance(start: date, amount: int, unit: TermUnit, calendar: WorkingCalendar) -> date:
    if unit == "working_days":
        return add_working_days(start, amount, calendar)
    if unit == "months":
        # "1 month" ends on the same day number, or the month's last day when it has none.
        index = start.month - 1 + amount
        year, month = start.year + index // 12, index % 12 + 1
        return date(year, month, min(start.day, monthrange(year, month)[1]))
    return start + timedelta(days=amount)


def _end_of_day(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(time_zone))
