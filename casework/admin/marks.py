"""How a due moment is shown: in the office's time zone, with the marks a caseworker must see.

"unverified — check with a lawyer": the rule version it was computed under is not verified.
"provisional": it falls in a year whose official working-day calendar is not yet published, so
a holiday decree may still move it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar, cast

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from casework.formats import format_due, zone
from casework.models import JurisdictionCalendar

ModelT = TypeVar("ModelT", bound=Model)

MARK_UNVERIFIED = _("unverified — check with a lawyer")
MARK_PROVISIONAL = _("provisional")
MARK_NO_RULE = _("no rule applies — compute by hand")


def with_published_year(queryset: QuerySet[ModelT], jurisdiction_path: str) -> QuerySet[ModelT]:
    """Annotate `published_through` (the jurisdiction's last published calendar year)."""
    year = JurisdictionCalendar.objects.filter(jurisdiction=OuterRef(jurisdiction_path)).values(
        "published_through_year"
    )[:1]
    return cast("QuerySet[ModelT]", queryset.annotate(published_through=Subquery(year)))


def is_provisional(
    due_at: datetime | None, time_zone: str | None, published_through: int | None, stored: bool
) -> bool:
    """Live when the calendar is known; otherwise what was recorded at computation time."""
    if due_at is None:
        return False
    if published_through is None:
        return stored
    return due_at.astimezone(zone(time_zone)).year > published_through


def due_with_marks(
    due_at: datetime | None,
    *,
    time_zone: str | None,
    unverified: bool,
    provisional: bool,
    has_rule: bool = True,
) -> SafeString:
    marks = []
    if not has_rule:
        marks.append(("cw-mark cw-unverified", MARK_NO_RULE))
    elif unverified:
        marks.append(("cw-mark cw-unverified", MARK_UNVERIFIED))
    if provisional:
        marks.append(("cw-mark cw-provisional", MARK_PROVISIONAL))
    return format_html(
        "{}{}",
        format_due(due_at, time_zone),
        format_html_join("", ' <span class="{}">{}</span>', marks),
    )
