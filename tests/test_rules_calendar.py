"""Worked examples for working-day calendars and statutory term arithmetic (no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.rules.calendar import (
    CalendarOverride,
    ExtensionNotAllowed,
    MissingStartDate,
    TermRule,
    WorkingCalendar,
    add_working_days,
    compute_due,
    court_limit,
    is_working_day,
    next_working_day,
    working_calendar,
)

MOSCOW, KYIV = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Kyiv")
RU = working_calendar("RU", published_through_year=2027)
RU_WEEKENDS_ONLY = working_calendar("RU", public_holidays_observed=False)
UA = working_calendar("UA")
UA_HOLIDAYS_OBSERVED = working_calendar("UA", public_holidays_observed=True)

# The rule rows a lawyer would enter, as LEGAL.md §2 "Computation rules" describes them.
RU_59FZ = TermRule(
    unit="calendar_days",
    amount=30,
    start_from="registration",
    time_zone="Europe/Moscow",
    registration_lag_days=3,
    extension_amount=30,
    max_extensions=1,
)
RU_PROSECUTOR = TermRule(
    unit="calendar_days",
    amount=30,
    start_from="registration",
    time_zone="Europe/Moscow",
    registration_lag_days=3,
    extension_amount=30,
    max_extensions=1,
    early_check_days=15,
)
UA_393 = TermRule(
    unit="months",
    amount=1,
    start_from="receipt",
    time_zone="Europe/Kyiv",
    ceiling_days=45,
    extension_amount=30,
    max_extensions=1,
)
UA_RAPORT_48H = TermRule(unit="hours", amount=48, start_from="receipt", time_zone="Europe/Kyiv")
RU_10_WORKING_DAYS = TermRule(
    unit="working_days", amount=10, start_from="registration", time_zone="Europe/Moscow"
)


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (RU, date(2025, 11, 1), True),  # Saturday worked in exchange for the 3 Nov bridge day
        (RU, date(2025, 11, 2), False),  # ordinary Sunday
        (RU, date(2025, 11, 3), False),  # bridge day, substituted from 1 Nov
        (RU, date(2025, 11, 4), False),  # Unity Day
        (RU, date(2025, 12, 31), False),  # substituted from 5 Jan 2025
        (RU, date(2026, 1, 9), False),  # substituted from 3 Jan 2026
        (RU, date(2026, 1, 12), True),  # first working day of 2026
        (RU, date(2026, 3, 9), False),  # 8 March fell on a Sunday
        (RU_WEEKENDS_ONLY, date(2025, 11, 1), False),
        (RU_WEEKENDS_ONLY, date(2025, 11, 3), True),
        (UA, date(2026, 1, 1), True),  # martial law: holidays are worked
        (UA, date(2026, 8, 24), True),  # Independence Day, a Monday
        (UA, date(2026, 8, 22), False),  # Saturday
        (UA_HOLIDAYS_OBSERVED, date(2026, 8, 24), False),
    ],
)
def test_is_working_day_follows_jurisdiction(
    calendar: WorkingCalendar, day: date, expected: bool
) -> None:
    assert is_working_day(day, calendar) is expected


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (RU, date(2025, 12, 30), date(2026, 1, 12)),  # over New Year holidays and 9 Jan
        (RU, date(2025, 10, 31), date(2025, 11, 1)),  # onto a working Saturday
        (RU, date(2026, 3, 6), date(2026, 3, 10)),  # over the weekend and 9 March
        (UA, date(2026, 3, 6), date(2026, 3, 9)),
    ],
)
def test_next_working_day_is_strictly_after(
    calendar: WorkingCalendar, day: date, expected: date
) -> None:
    assert next_working_day(day, calendar) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 10, 30), 0, date(2025, 10, 30)),
        # Fri 31 Oct, Sat 1 Nov (worked), then Sun 2, Mon 3 (bridge), Tue 4 (holiday) skipped.
        (date(2025, 10, 30), 3, date(2025, 11, 5)),
        (date(2025, 12, 26), 3, date(2026, 1, 12)),  # 29 and 30 Dec, then 12 Jan
    ],
)
def test_add_working_days_counts_transfers(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, RU) == expected


@pytest.mark.parametrize(
    ("registered_on", "due_date", "rolled_from", "basis"),
    [
        # LEGAL.md §1: the count starts the day after registration.
        (date(2026, 3, 2), date(2026, 4, 1), None, "registration+30d"),
        # Registered on a Friday: day 30 is Sunday 5 April.
        (
            date(2026, 3, 6),
            date(2026, 4, 6),
            date(2026, 4, 5),
            "registration+30d, rolled from 2026-04-05",
        ),
        # Day 30 is 2 Jan 2026; 1–8 Jan are holidays, 9 Jan a substituted day off, 10–11 a weekend.
        (
            date(2025, 12, 3),
            date(2026, 1, 12),
            date(2026, 1, 2),
            "registration+30d, rolled from 2026-01-02",
        ),
        # Day 30 is the 3 Nov 2025 bridge day, followed by Unity Day.
        (
            date(2025, 10, 4),
            date(2025, 11, 5),
            date(2025, 11, 3),
            "registration+30d, rolled from 2025-11-03",
        ),
        # Day 30 is Saturday 1 Nov 2025, a working day: no roll.
        (date(2025, 10, 2), date(2025, 11, 1), None, "registration+30d"),
    ],
)
def test_ru_term_runs_30_days_from_registration_and_rolls(
    registered_on: date, due_date: date, rolled_from: date | None, basis: str
) -> None:
    result = compute_due(RU_59FZ, registered_on=registered_on, received_on=None, calendar=RU)

    assert result.due_date == due_date
    assert result.due_at == datetime(
        due_date.year, due_date.month, due_date.day, 23, 59, 59, tzinfo=MOSCOW
    )
    assert result.due_at.utcoffset() == timedelta(hours=3)
    assert result.rolled_from == rolled_from
    assert result.basis == basis
    assert result.provisional is False
    assert result.early_check_at is None


def test_working_saturday_rolls_when_calendar_ignores_transfers() -> None:
    result = compute_due(
        RU_59FZ, registered_on=date(2025, 10, 2), received_on=None, calendar=RU_WEEKENDS_ONLY
    )

    assert (result.due_date, result.rolled_from) == (date(2025, 11, 3), date(2025, 11, 1))


def test_working_day_term_skips_bridge_days_and_counts_working_saturday() -> None:
    # Working days after Fri 24 Oct 2025: 27–31 Oct (5), Sat 1 Nov (6), 5–7 Nov (9), 10 Nov (10).
    result = compute_due(
        RU_10_WORKING_DAYS, registered_on=date(2025, 10, 24), received_on=None, calendar=RU
    )

    assert (result.due_date, result.rolled_from) == (date(2025, 11, 10), None)
    assert result.basis == "registration+10wd"


@pytest.mark.parametrize(
    ("received_on", "due_date", "basis"),
    [
        (date(2026, 3, 4), date(2026, 4, 6), "receipt+3d(lag)+30d"),
        (date(2026, 3, 2), date(2026, 4, 6), "receipt+3d(lag)+30d, rolled from 2026-04-04"),
    ],
)
def test_unknown_registration_counts_from_receipt_plus_three_days(
    received_on: date, due_date: date, basis: str
) -> None:
    result = compute_due(RU_59FZ, registered_on=None, received_on=received_on, calendar=RU)

    assert (result.due_date, result.basis) == (due_date, basis)


def test_known_registration_wins_over_receipt() -> None:
    result = compute_due(
        RU_59FZ, registered_on=date(2026, 3, 2), received_on=date(2026, 2, 20), calendar=RU
    )

    assert result.due_date == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("registered_on", "early_check_at"),
    [
        (date(2026, 3, 2), datetime(2026, 3, 17, 23, 59, 59, tzinfo=MOSCOW)),
        (date(2026, 3, 6), datetime(2026, 3, 23, 23, 59, 59, tzinfo=MOSCOW)),  # 21 March: Sat
    ],
)
def test_prosecutor_early_check_at_fifteen_days(
    registered_on: date, early_check_at: datetime
) -> None:
    result = compute_due(RU_PROSECUTOR, registered_on=registered_on, received_on=None, calendar=RU)

    assert result.early_check_at == early_check_at


def test_one_extension_adds_thirty_days_before_rolling() -> None:
    result = compute_due(
        RU_59FZ, registered_on=date(2026, 3, 2), received_on=None, extensions=1, calendar=RU
    )

    # Day 60 is 1 May 2026 (Spring and Labour Day), then a weekend.
    assert (result.due_date, result.rolled_from) == (date(2026, 5, 4), date(2026, 5, 1))
    assert result.basis == "registration+30d+30d(ext), rolled from 2026-05-01"


def test_second_extension_is_refused() -> None:
    with pytest.raises(ExtensionNotAllowed, match="at most 1 extension"):
        compute_due(
            RU_59FZ, registered_on=date(2026, 3, 2), received_on=None, extensions=2, calendar=RU
        )


@pytest.mark.parametrize(
    ("received_on", "extensions", "due_date", "rolled_from", "basis"),
    [
        (date(2026, 3, 2), 0, date(2026, 4, 2), None, "receipt+1mo"),
        # No 31 February: clamped to the 28th, a Saturday.
        (
            date(2026, 1, 31),
            0,
            date(2026, 3, 2),
            date(2026, 2, 28),
            "receipt+1mo, rolled from 2026-02-28",
        ),
        # 30 April + 30 days would be 30 May; receipt + 45 days is 15 May.
        (
            date(2026, 3, 31),
            1,
            date(2026, 5, 15),
            None,
            "receipt+1mo+30d(ext), capped at receipt+45d",
        ),
        # Martial law: 1 January is worked, so a term ending then does not roll.
        (date(2025, 12, 1), 0, date(2026, 1, 1), None, "receipt+1mo"),
    ],
)
def test_ua_term_runs_one_month_from_receipt_within_45_days(
    received_on: date, extensions: int, due_date: date, rolled_from: date | None, basis: str
) -> None:
    result = compute_due(
        UA_393, registered_on=None, received_on=received_on, extensions=extensions, calendar=UA
    )

    assert (result.due_date, result.rolled_from, result.basis) == (due_date, rolled_from, basis)
    assert result.due_at == datetime(
        due_date.year, due_date.month, due_date.day, 23, 59, 59, tzinfo=KYIV
    )
    assert result.provisional is False


def test_receipt_day_is_taken_in_the_office_time_zone() -> None:
    received_at = datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on 2 March in Kyiv

    result = compute_due(
        UA_393, registered_on=None, received_on=None, received_at=received_at, calendar=UA
    )

    assert result.due_date == date(2026, 4, 2)


@pytest.mark.parametrize(
    ("received_at", "due_at", "utc_offset_hours"),
    [
        # Friday 17:00 → Sunday 17:00: hours run through the weekend and never roll.
        (datetime(2026, 3, 20, 17, tzinfo=KYIV), datetime(2026, 3, 22, 17, tzinfo=KYIV), 2),
        (datetime(2026, 7, 17, 17, tzinfo=KYIV), datetime(2026, 7, 19, 17, tzinfo=KYIV), 3),
        # Clocks go forward on Sunday 29 March 2026: 48 elapsed hours end at 18:00 local time.
        (datetime(2026, 3, 27, 17, tzinfo=KYIV), datetime(2026, 3, 29, 18, tzinfo=KYIV), 3),
    ],
)
def test_ua_raport_is_due_48_elapsed_hours_after_receipt(
    received_at: datetime, due_at: datetime, utc_offset_hours: int
) -> None:
    result = compute_due(
        UA_RAPORT_48H, registered_on=None, received_on=None, received_at=received_at, calendar=UA
    )

    assert result.due_at == due_at
    assert result.due_at.tzinfo == KYIV
    assert result.due_at.utcoffset() == timedelta(hours=utc_offset_hours)
    assert (result.due_date, result.rolled_from, result.basis) == (
        due_at.date(),
        None,
        "receipt+48h",
    )


@pytest.mark.parametrize(
    ("calendar", "registered_on", "due_date", "provisional"),
    [
        (
            working_calendar("RU", published_through_year=2026),
            date(2026, 11, 10),
            date(2026, 12, 10),
            False,
        ),
        (
            working_calendar("RU", published_through_year=2026),
            date(2026, 12, 10),
            date(2027, 1, 11),
            True,
        ),
        (
            working_calendar("RU", published_through_year=2025),
            date(2025, 12, 1),
            date(2026, 1, 12),
            True,
        ),
        (working_calendar("RU"), date(2026, 12, 10), date(2027, 1, 11), False),
    ],
)
def test_due_date_beyond_published_calendar_is_provisional(
    calendar: WorkingCalendar, registered_on: date, due_date: date, provisional: bool
) -> None:
    result = compute_due(RU_59FZ, registered_on=registered_on, received_on=None, calendar=calendar)

    assert (result.due_date, result.provisional) == (due_date, provisional)


@pytest.mark.parametrize(
    ("override", "registered_on", "due_date", "rolled_from"),
    [
        # A weekday declared non-working rolls the term to the next day.
        (
            CalendarOverride(date(2026, 4, 1), is_working=False),
            date(2026, 3, 2),
            date(2026, 4, 2),
            date(2026, 4, 1),
        ),
        # A Sunday declared working stops the roll.
        (
            CalendarOverride(date(2026, 4, 5), is_working=True),
            date(2026, 3, 6),
            date(2026, 4, 5),
            None,
        ),
        # An override also beats a public holiday from the package.
        (
            CalendarOverride(date(2026, 1, 2), is_working=True),
            date(2025, 12, 3),
            date(2026, 1, 2),
            None,
        ),
    ],
)
def test_override_rows_win_over_weekends_and_holidays(
    override: CalendarOverride, registered_on: date, due_date: date, rolled_from: date | None
) -> None:
    calendar = working_calendar("RU", overrides=[override])

    result = compute_due(RU_59FZ, registered_on=registered_on, received_on=None, calendar=calendar)

    assert (result.due_date, result.rolled_from) == (due_date, rolled_from)


def test_conflicting_override_rows_are_refused() -> None:
    rows = [CalendarOverride(date(2026, 4, 1), True), CalendarOverride(date(2026, 4, 1), False)]

    with pytest.raises(ValueError, match="both working and non-working"):
        working_calendar("RU", overrides=rows)


@pytest.mark.parametrize(
    ("rule", "received_at"),
    [
        (RU_59FZ, None),  # neither registration nor receipt
        (UA_393, None),  # runs from receipt, which is missing
        (UA_RAPORT_48H, None),  # hours need the moment of receipt
    ],
)
def test_missing_start_date_is_refused(rule: TermRule, received_at: datetime | None) -> None:
    with pytest.raises(MissingStartDate):
        compute_due(
            rule, registered_on=None, received_on=None, received_at=received_at, calendar=RU
        )


def test_naive_receipt_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(
            UA_RAPORT_48H,
            registered_on=None,
            received_on=None,
            received_at=datetime(2026, 3, 20, 17),
            calendar=UA,
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"unit": "weeks"}, "Unknown term unit"),
        ({"start_from": "filing"}, "Unknown start event"),
        ({"amount": 0}, "positive"),
        ({"time_zone": "Europe/Atlantis"}, "Unknown time zone"),
        ({"unit": "hours", "start_from": "registration"}, "hour-based"),
    ],
)
def test_malformed_rule_rows_are_refused(fields: dict[str, object], message: str) -> None:
    row: dict[str, object] = {
        "unit": "calendar_days",
        "amount": 30,
        "start_from": "registration",
        "time_zone": "Europe/Moscow",
    }

    with pytest.raises(ValueError, match=message):
        TermRule(**(row | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("learned_on", "due_date", "rolled_from"),
    [
        (date(2026, 1, 15), date(2026, 4, 15), None),
        (date(2025, 11, 30), date(2026, 3, 2), date(2026, 2, 28)),  # clamped to 28 Feb, a Saturday
        (date(2025, 10, 9), date(2026, 1, 12), date(2026, 1, 9)),  # 9 Jan 2026 is a bridge day
    ],
)
def test_court_limit_is_three_months_rolled_forward(
    learned_on: date, due_date: date, rolled_from: date | None
) -> None:
    result = court_limit(learned_on, RU)

    assert (result.due_date, result.rolled_from) == (due_date, rolled_from)
    assert result.basis.startswith("learned+3mo")
