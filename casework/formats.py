"""How a due moment is written, everywhere (admin, reminder emails, documents): in the time zone
of the office whose clock it is, as that office counts it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Where a due moment has no office (a case's next deadline, a clock set by hand): the usual
# office zone of the man's jurisdiction.
JURISDICTION_TIME_ZONES = {"RU": "Europe/Moscow", "UA": "Europe/Kyiv"}


def zone(time_zone: str | None) -> ZoneInfo:
    """The named zone; UTC for an empty or unknown name (a typo in the directory never fails)."""
    try:
        return ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_for(*, office_time_zone: str | None, jurisdiction: str | None) -> str | None:
    """The office's zone, else the jurisdiction's usual one."""
    return office_time_zone or JURISDICTION_TIME_ZONES.get(jurisdiction or "")


def format_due(due_at: datetime | None, time_zone: str | None) -> str:
    """ "09.04.2026 23:59 MSK": the moment as the office counts it (dd.mm.yyyy HH:MM zone)."""
    if due_at is None:
        return "–"
    local = due_at.astimezone(zone(time_zone))
    return f"{local:%d.%m.%Y %H:%M} {local.tzname()}"


def due_day(due_at: datetime, time_zone: str | None) -> date:
    """The calendar day a moment falls on where the office is (what a document cites)."""
    return due_at.astimezone(zone(time_zone)).date()
