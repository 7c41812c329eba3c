"""Exports: the columns a coordinator may choose and the rows of the cases, read-only.

A column is personal when it names or identifies a person (names, dates of birth, the unit,
contacts); those leave only when ticked explicitly, and only in an encrypted file
(services/exports.py). Merged duplicates are left out: they live on in the case they joined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Choices, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Jurisdiction, Serviceman
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
    value: Callable[[Case], Any]
    # The columns read for it: only these are loaded (and, if encrypted, decrypted).
    fields: tuple[str, ...] = ()
    # A coded value is printed as its label, each label translated once per export (Django's
    # get_FOO_display rebuilds and hashes the choices on every call: most of 100,000 rows' time).
    choices: type[Choices] | None = None


COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("reference", _("reference"), False, lambda c: c.reference, fields=("reference",)),
    ExportColumn(
        "status", _("status"), False, lambda c: c.status, fields=("status",), choices=Case.Status
    ),
    ExportColumn(
        "family_status",
        _("status shown to the family"),
        False,
        lambda c: c.family_status,
        fields=("family_status",),
        choices=Case.FamilyStatus,
    ),
    ExportColumn(
        "priority",
        _("priority"),
        False,
        lambda c: c.priority,
        fields=("priority",),
        choices=Case.Priority,
    ),
    ExportColumn(
        "source", _("source"), False, lambda c: c.source, fields=("source",), choices=Case.Source
    ),
    ExportColumn("team", _("team"), False, lambda c: c.team.name, fields=("team__name",)),
    ExportColumn(
        "opened", _("opened"), False, lambda c: _day(c.created_at), fields=("created_at",)
    ),
    ExportColumn("closed", _("closed"), False, lambda c: _day(c.closed_at), fields=("closed_at",)),
    ExportColumn(
        "outcome",
        _("outcome"),
        False,
        lambda c: c.outcome,
        fields=("outcome",),
        choices=Case.Outcome,
    ),
    ExportColumn(
        "jurisdiction",
        _("jurisdiction"),
        False,
        lambda c: c.serviceman.jurisdiction,
        fields=("serviceman__jurisdiction",),
        choices=Jurisdiction,
    ),
    ExportColumn(
        "serviceman_status",
        _("serviceman's status"),
        False,
        lambda c: c.serviceman.status,
        fields=("serviceman__status",),
        choices=Serviceman.Status,
    ),
    ExportColumn("injured", _("injured"), False, lambda c: _yes(c.injured), fields=("injured",)),
    ExportColumn(
        "in_captivity",
        _("in captivity"),
        False,
        lambda c: _yes(c.in_captivity),
        fields=("in_captivity",),
    ),
    ExportColumn(
        "surname",
        _("surname"),
        True,
        lambda c: c.serviceman.surname,
        fields=("serviceman__surname",),
    ),
    ExportColumn(
        "given_name",
        _("given name"),
        True,
        lambda c: c.serviceman.given_name,
        fields=("serviceman__given_name",),
    ),
    ExportColumn(
        "patronymic",
        _("patronymic"),
        True,
        lambda c: c.serviceman.patronymic,
        fields=("serviceman__patronymic",),
    ),
    ExportColumn(
        "birth_date",
        _("date of birth"),
        True,
        lambda c: _day(c.serviceman.birth_date),
        fields=("serviceman__birth_date",),
    ),
    ExportColumn(
        "unit",
        _("unit"),
        True,
        lambda c: c.serviceman.unit_number,
        fields=("serviceman__unit_number",),
    ),
    ExportColumn(
        "rank", _("rank"), True, lambda c: c.serviceman.rank, fields=("serviceman__rank",)
    ),
    ExportColumn(
        "applicant_name",
        _("family member's name"),
        True,
        lambda c: c.applicant.name if c.applicant else "",
        fields=("applicant__name",),
    ),
    ExportColumn(
        "applicant_legal_name",
        _("family member's full legal name"),
        True,
        lambda c: c.applicant.legal_name if c.applicant else "",
        fields=("applicant__legal_name",),
    ),
    ExportColumn(
        "applicant_phone",
        _("family member's phone"),
        True,
        lambda c: c.applicant.phone if c.applicant else "",
        fields=("applicant__phone",),
    ),
    ExportColumn(
        "applicant_email",
        _("family member's email"),
        True,
        lambda c: c.applicant.email if c.applicant else "",
        fields=("applicant__email",),
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


def cases_for_export(user: AnyUser, columns: Sequence[ExportColumn]) -> QuerySet[Case]:
    """The cases this user may export (what they may see), oldest first, merged ones left out;
    only the chosen columns are read, so 100,000 rows decrypt nothing they do not print."""
    fields = {field for column in columns for field in column.fields}
    related = sorted({field.split("__")[0] for field in fields if "__" in field})
    return (
        cases_visible_to(user)
        .filter(merged_into__isnull=True)
        .select_related(*related)
        .only("pk", *sorted(fields))
        .order_by("created_at", "pk")
    )


def export_rows(cases: QuerySet[Case], columns: Sequence[ExportColumn]) -> Iterator[list[str]]:
    """One row of strings per case, in `columns`' order, read in chunks."""
    labels = [
        {value: str(label) for value, label in column.choices.choices}
        if column.choices is not None
        else None
        for column in columns
    ]
    for case in cases.iterator(chunk_size=2000):
        yield [
            names.get(value, "") if names is not None else value
            for names, value in zip(labels, (column.value(case) for column in columns), strict=True)
        ]
