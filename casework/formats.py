"""How a due moment is written, everywhere (admin, reminder emails, documents): in the time zone
of the office whose clock it is, as that office counts it."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext, pgettext

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


# How a clock was computed is stored as a compact formula ("receipt+3d(lag)+30d+30d(ext),
# rolled from 2026-05-01", casework/rules/calendar.py): a record that stays the same whatever
# language it is read in. These are its words, written out for the reader.
# (Not inside a rule's code: "ua-raport-48h v1" stays as it is.)
_BASIS_TOKEN = re.compile(
    r"(?<![\w-])(?:(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<amount>\d+)(?P<unit>wd|d|h|mo)\b(?P<note>\((?:lag|ext)\))?"
    r"|(?P<word>capped at|rolled from|early check|registration|receipt|learned|demo))"
)


def basis_readable(basis: str) -> str:
    """ "получение+3 дн. (регистрация)+30 дн., перенесено с 01.05.2026": a clock's stored formula
    in the reader's language (unknown parts, such as a rule's code, stay as they are)."""
    units = {
        "d": pgettext("term unit", "d"),
        "wd": pgettext("term unit", "wd"),
        "h": pgettext("term unit", "h"),
        "mo": pgettext("term unit", "mo"),
    }
    notes = {"(lag)": gettext("(registration)"), "(ext)": gettext("(extension)")}
    words = {
        "capped at": gettext("capped at"),
        "rolled from": gettext("moved on from"),
        "early check": gettext("early check"),
        "registration": gettext("registration"),
        "receipt": gettext("receipt"),
        "learned": gettext("learning of it"),
        "demo": gettext("demo"),
    }

    def written(match: re.Match[str]) -> str:
        if match["date"]:
            return date.fromisoformat(match["date"]).strftime("%d.%m.%Y")
        if match["amount"]:
            note = f" {notes[match['note']]}" if match["note"] else ""
            return f"{match['amount']} {units[match['unit']]}{note}"
        return words[match["word"]]

    return _BASIS_TOKEN.sub(written, basis)


def seeded_text(text: str) -> str:
    """A legal text as seeded (a rule's title and source, a step's advice, a template's source)
    in the reader's language. The seed writes English, which is a catalogue entry; a text a
    lawyer has since edited is not, and reads as they wrote it."""
    return gettext(text) if text else text


def term_text(amount: int, unit: str) -> str:
    """ "30 календарных дней", "1 месяц": a term with its unit in the form the number takes."""
    phrases = {
        "calendar_days": ngettext("%(count)s calendar day", "%(count)s calendar days", amount),
        "working_days": ngettext("%(count)s working day", "%(count)s working days", amount),
        "hours": ngettext("%(count)s hour", "%(count)s hours", amount),
        "months": ngettext("%(count)s month", "%(count)s months", amount),
    }
    return phrases.get(unit, f"{amount} {unit}") % {"count": amount}


# A case reference (K7M4-QX2P) or a filing's (FGNDC-2EDG): its hyphen is where a line may break.
REFERENCE_SHAPED = re.compile(r"\b[A-Z0-9]{4,5}-[A-Z0-9]{4}\b")


def references_unbroken(text: str) -> SafeString:
    """The text, escaped, with each reference in it kept on one line (a reference is read out
    over the phone; half of it on the next line is misread)."""
    escaped = conditional_escape(text)
    return mark_safe(  # noqa: S308  (escaped above; only our own span is added)
        REFERENCE_SHAPED.sub(r'<span class="cw-nowrap nowrap">\g<0></span>', escaped)
    )
