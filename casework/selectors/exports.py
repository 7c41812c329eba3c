"""Exports: the columns a coordinator may choose and the rows of the cases, read-only.

A column is personal when it names or identifies a person (names, dates of birth, the unit,
contacts); those leave only when ticked explicitly, and only in an encrypted file
(services/exports.py). Merged duplicates are left out: they live on in the case they joined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from casework.roles import AnyUser
from casework.selectors.cases import cases_visible_to


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d.%m.%Y")


def _yes(value: bool) -> str:
    return "1" if value else "0"


@dataclass(frozen=True)
class ExportColumn:
    key: str
    label: object  # lazy text
    personal: bool
    value: Callable[[Case], str]


COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("reference", _("reference"), False, lambda c: c.reference),
    ExportColumn("status", _("status"), False, lambda c: str(c.get_status_display())),
    ExportColumn("family_status", _("status shown to the family"), False,
                 lambda c: str(c.get_family_status_display())),
    ExportColumn("priority", _("priority"), False, lambda c: str(c.get_priority_display())),
    ExportColumn("source", _("source"), False, lambda c: str(c.get_source_display())),
    ExportColumn("team", _("team"), False, lambda c: c.team.name),
    ExportColumn("opened", _("opened"), False, lambda c: _day(c.created_at)),
    ExportColumn("closed", _("closed"), False, lambda c: _day(c.closed_at)),
    ExportColumn("outcome", _("outcome"), False, lambda c: str(c.get_outcome_display())),
    ExportColumn("jurisdiction", _("jurisdiction"), False,
                 lambda c: str(c.serviceman.get_jurisdiction_display())),
    ExportColumn("serviceman_status", _("serviceman's status"), False,
                 lambda c: str(c.serviceman.get_status_display())),
    ExportColumn("injured", _("injured"), False, lambda c: _yes(c.injured)),
    ExportColumn("in_captivity", _("in captivity"), False, lambda c: _yes(c.in_captivity)),
    ExportColumn("surname", _("surname"), True, lambda c: c.serviceman.surname),
    ExportColumn("given_name", _("given name"), True, lambda c: c.serviceman.given_name),
    ExportColumn("patronymic", _("patronymic"), True, lambda c: c.serviceman.patronymic),
    ExportColumn("birth_date", _("date of birth"), True, lambda c: _day(c.serviceman.birth_date)),
    ExportColumn("unit", _("unit"), True, lambda c: c.serviceman.unit_number),
    ExportColumn("rank", _("rank"), True, lambda c: c.serviceman.rank),
    ExportColumn("applicant_name", _("family member's name"), True,
                 lambda c: c.applicant.name if c.applicant else ""),
    ExportColumn("applicant_legal_name", _("family member's full legal name"), True,
                 lambda c: c.applicant.legal_name if c.applicant else ""),
    ExportColumn("applicant_phone", _("family member's phone"), True,
                 lambda c: c.applicant.phone if c.applicant else ""),
    ExportColumn("applicant_email", _("family member's email"), True,
                 lambda c: c.applicant.email if c.applicant else ""),
)  # fmt: skip
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


def cases_for_export(user: AnyUser) -> QuerySet[Case]:
    """The cases this user may export (what they may see), oldest first, merged ones left out."""
    return (
        cases_visible_to(user)
        .filter(merged_into__isnull=True)
        .select_related("serviceman", "applicant", "team")
        .order_by("created_at", "pk")
    )


def export_rows(cases: QuerySet[Case], columns: Sequence[ExportColumn]) -> Iterator[list[str]]:
    """One row of strings per case, in `columns`' order, read in chunks."""
    for case in cases.iterator(chunk_size=2000):
        yield [column.value(case) for column in columns]
