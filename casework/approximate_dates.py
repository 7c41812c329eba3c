"""Dates a family often knows only roughly ("весной 2025", "03.2025", "2025"): how they are read,
stored and written back.

A family rarely knows the day a man was taken prisoner, exchanged, sent back or taken to
hospital; making them invent one puts a false fact into a complaint. Such a date is kept as the
first day of the period it names (so it still sorts and compares), its precision (day, month,
season, year) and the words as typed, which caseworkers see as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("exact day")
    MONTH = "month", _("month")
    SEASON = "season", _("season")
    YEAR = "year", _("year")


@dataclass(frozen=True)
class ApproximateDate:
    """A period named by its first day and precision, with the words the family used."""

    start: date
    precision: str = DatePrecision.DAY
    text: str = ""

    @property
    def end(self) -> date:
        """The last day the words can mean."""
        if self.precision == DatePrecision.YEAR:
            return date(self.start.year, 12, 31)
        if self.precision not in (DatePrecision.MONTH, DatePrecision.SEASON):
            return self.start
        months = 1 if self.precision == DatePrecision.MONTH else 3
        year, month = divmod(self.start.month - 1 + months, 12)
        return date(self.start.year + year, month + 1, 1) - timedelta(days=1)

    @property
    def is_exact(self) -> bool:
        return self.precision == DatePrecision.DAY

    def numeric(self) -> str:
        """The period in digits, the same in every language: what a document prints."""
        return approximate_date_numeric(self.start, self.precision)


def approximate_date_numeric(start: date, precision: str) -> str:
    """14.03.2025 (day), 03.2025 (month), 03–05.2025 or 12.2024–02.2025 (season), 2025."""
    if precision == DatePrecision.MONTH:
        return f"{start:%m.%Y}"
    if precision == DatePrecision.YEAR:
        return str(start.year)
    if precision == DatePrecision.SEASON:
        end = ApproximateDate(start, DatePrecision.SEASON).end
        if end.year == start.year:
            return f"{start:%m}–{end:%m.%Y}"
        return f"{start:%m.%Y}–{end:%m.%Y}"
    return f"{start:%d.%m.%Y}"


# Word stems, lower case, Russian, Ukrainian and English, in every case a date is written in
# ("в марте", "у березні", "весной", "навесні"). A stem must not be the start of another's.
_MONTH_STEMS = {
    1: ("январ", "янв", "січ", "jan"),
    2: ("феврал", "фев", "лют", "feb"),
    3: ("март", "мар", "берез", "mar"),
    4: ("апрел", "апр", "квіт", "apr"),
    5: ("мая", "май", "мае", "трав", "may"),
    6: ("июн", "черв", "jun"),
    7: ("июл", "лип", "jul"),
    8: ("август", "авг", "серп", "aug"),
    9: ("сентябр", "сен", "верес", "sep"),
    10: ("октябр", "окт", "жовт", "oct"),
    11: ("ноябр", "ноя", "листопад", "nov"),
    12: ("декабр", "дек", "груд", "dec"),
}
# Families write "зимой 2025" for the winter that ends in February 2025, so a winter starts
# in the December before its year.
_SEASON_STEMS = {
    12: ("зим", "взимку", "winter"),
    3: ("весн", "навесні", "spring"),
    6: ("лет", "літ", "влітку", "summer"),
    9: ("осен", "осін", "восени", "autumn", "fall"),
}
_FILLER = re.compile(
    r"\b(?:в|во|у|на|of|in|the|году|год|года|року|рік|г|р|year)\b\.?", re.IGNORECASE
)
_DAY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH = re.compile(r"(\d{1,2})[./-](\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_WORD_YEAR = re.compile(r"([^\W\d_]+)\s*(\d{4})")
_DAY_WORD_YEAR = re.compile(r"(\d{1,2})\s*([^\W\d_]+)\s*(\d{4})")
_YEAR_MARK = re.compile(r"(\d{4})\s*(?:г|р)\b\.?")  # "2025г.", "2025р."


def approximate_date_parse(text: str) -> ApproximateDate | None:
    """The period `text` names, or None if it cannot be read (an impossible day included)."""
    try:
        return _parse(text)
    except ValueError:
        return None  # 31.02.2025, month 13, year 0


def _parse(text: str) -> ApproximateDate | None:
    typed = " ".join(text.split())
    words = " ".join(_FILLER.sub(" ", _YEAR_MARK.sub(r"\1", typed.lower())).split())
    if match := _DAY.fullmatch(words):
        day, month, year = (int(part) for part in match.groups())
        return ApproximateDate(date(year, month, day), DatePrecision.DAY, typed)
    if match := _ISO_DAY.fullmatch(words):
        year, month, day = (int(part) for part in match.groups())
        return ApproximateDate(date(year, month, day), DatePrecision.DAY, typed)
    if match := _MONTH.fullmatch(words):
        month, year = int(match[1]), int(match[2])
        return ApproximateDate(date(year, month, 1), DatePrecision.MONTH, typed)
    if match := _ISO_MONTH.fullmatch(words):
        year, month = int(match[1]), int(match[2])
        return ApproximateDate(date(year, month, 1), DatePrecision.MONTH, typed)
    if _YEAR.fullmatch(words):
        return ApproximateDate(date(int(words), 1, 1), DatePrecision.YEAR, typed)
    if match := _DAY_WORD_YEAR.fullmatch(words):
        named = _month_named(match[2])
        if named is None:
            return None
        return ApproximateDate(date(int(match[3]), named, int(match[1])), DatePrecision.DAY, typed)
    if match := _WORD_YEAR.fullmatch(words):
        word, year = match[1], int(match[2])
        if (named := _month_named(word)) is not None:
            return ApproximateDate(date(year, named, 1), DatePrecision.MONTH, typed)
        for month, stems in _SEASON_STEMS.items():
            if word.startswith(stems):
                start_year = year - 1 if month == 12 else year
                return ApproximateDate(date(start_year, month, 1), DatePrecision.SEASON, typed)
    return None


def _month_named(word: str) -> int | None:
    for month, stems in _MONTH_STEMS.items():
        if word.startswith(stems):
            return month
    return None


APPROXIMATE_DATE_HINT = _(
    "For example 14.03.2025. If you do not know the day, a month (03.2025), a year (2025) or a "
    "season (“spring 2025”) is enough."
)


class ApproximateDateField(forms.CharField):
    """A date that may be known only roughly: a day, a month, a season or a year, as typed (the
    family form and the serviceman's page). An unreadable one is an error that keeps the words."""

    def __init__(self, *, earliest: int, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault("help_text", APPROXIMATE_DATE_HINT)
        super().__init__(**kwargs)
        self.earliest = earliest

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, ApproximateDate):  # a stored one, shown as typed
            return value.text or value.numeric()
        return value

    def clean(self, value: Any) -> ApproximateDate | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        parsed = approximate_date_parse(text)
        if parsed is None:
            raise ValidationError(
                _(
                    "We could not read this date. Write a day (14.03.2025), a month (03.2025), "
                    "a year (2025) or a season (“spring 2025”)."
                ),
                code="unreadable",
            )
        if parsed.start > timezone.now().date():
            raise ValidationError(_("This date is in the future."), code="future")
        if parsed.start.year < self.earliest:
            raise ValidationError(_("Please check the year."), code="year")
        return parsed

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "").strip()
