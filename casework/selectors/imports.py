"""Imports: what a sheet's rows would become (the preview and the dry run), read-only.

The fields a column may go to, how each cell is read, the errors of each row (as codes, put
into words in the reader's language by the page), and which rows are already in the database:
found through the blind indexes (`serviceman_candidates`), so a Latin spelling of a Cyrillic
name finds the man, and a sheet imported twice is recognised row by row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from casework.crypto import name_skeleton
from casework.models import Jurisdiction
from casework.selectors.people import (
    Candidate,
    GivenNameTable,
    NameQuery,
    given_name_groups,
    given_name_key,
    serviceman_candidates_many,
)

# A possible match this sure (surname and given name, or surname and birth date) is shown as
# a warning; the row is skipped only when the man matches on everything the row gives.
POSSIBLE_SCORE = 0.8
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class ImportField:
    key: str
    label: object  # lazy text
    max_length: int = 200
    kind: str = "text"  # text, date, jurisdiction
    required: bool = False
    # Headers (folded) that name this field, so the mapping screen guesses right.
    headers: tuple[str, ...] = ()


FIELDS: tuple[ImportField, ...] = (
    ImportField("surname", _("surname"), 100, required=True,
                headers=("фамилия", "прізвище", "surname", "lastname", "familyname")),
    ImportField("given_name", _("given name"), 100,
                headers=("имя", "імя", "givenname", "firstname", "name")),
    ImportField("patronymic", _("patronymic"), 100,
                headers=("отчество", "побатькові", "patronymic", "middlename")),
    ImportField("birth_date", _("date of birth"), kind="date",
                headers=("датарождения", "дата народження", "датанародження", "birthdate",
                         "dateofbirth", "dob")),
    ImportField("unit_number", _("unit"), 100,
                headers=("вч", "часть", "воинскаячасть", "військовачастина", "частина", "unit")),
    ImportField("rank", _("rank"), 100, headers=("звание", "звання", "rank")),
    ImportField("jurisdiction", _("jurisdiction"), kind="jurisdiction",
                headers=("страна", "країна", "jurisdiction", "country")),
    ImportField("applicant_name", _("family member's name"),
                headers=("заявитель", "заявник", "родственник", "родич", "applicant")),
    ImportField("applicant_legal_name", _("family member's full legal name"), 300,
                headers=("фиозаявителя", "пібзаявника", "applicantlegalname")),
    ImportField("applicant_phone", _("family member's phone"), 40,
                headers=("телефон", "phone")),
    ImportField("applicant_email", _("family member's email"),
                headers=("email", "почта", "пошта", "электроннаяпочта")),
    ImportField("summary", _("what happened"), 5000,
                headers=("чтослучилось", "щосталося", "описание", "опис", "summary")),
    ImportField("opened_on", _("opened on"), kind="date",
                headers=("датаобращения", "датазвернення", "opened", "openedon", "date")),
)  # fmt: skip
FIELD_BY_KEY = {f.key: f for f in FIELDS}
APPLICANT_FIELDS = ("applicant_name", "applicant_legal_name", "applicant_phone", "applicant_email")

_JURISDICTIONS = {
    "ru": Jurisdiction.RU, "россия": Jurisdiction.RU, "рф": Jurisdiction.RU,
    "росія": Jurisdiction.RU, "russia": Jurisdiction.RU,
    "ua": Jurisdiction.UA, "украина": Jurisdiction.UA, "україна": Jurisdiction.UA,
    "ukraine": Jurisdiction.UA,
}  # fmt: skip
_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def _fold_header(text: str) -> str:
    return re.sub(r"[^\w]|_", "", text.casefold().replace("ё", "е").replace("'", ""))


def mapping_guess(header: Sequence[str]) -> list[str]:
    """The field each column most likely holds, by its header ("" where none fits); a field is
    given to one column only."""
    taken: set[str] = set()
    guessed = []
    for cell in header:
        folded = _fold_header(cell)
        match = next(
            (
                f.key
                for f in FIELDS
                if f.key not in taken and folded in {_fold_header(h) for h in f.headers}
            ),
            "",
        )
        taken.add(match)
        guessed.append(match)
    return guessed


def parse_date(text: str) -> date | None:
    """dd.mm.yyyy (as people write), dd/mm/yyyy or yyyy-mm-dd; None if it is none of them."""
    for pattern in _DATE_FORMATS:
        found = pattern.match(text.strip())
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class RowError:
    code: str  # required, date, jurisdiction, too_long, future
    field: str


@dataclass
class ImportRow:
    number: int  # as the spreadsheet numbers it (the header is row 1)
    values: dict[str, object]
    errors: list[RowError] = field(default_factory=list)
    duplicate_of: str = ""  # an existing serviceman's reference: the row is skipped
    same_as_row: int = 0  # an earlier row of this sheet: skipped
    possible_match: str = ""  # a likely (not certain) match: imported, with a warning

    @property
    def skipped(self) -> bool:
        return bool(self.duplicate_of or self.same_as_row)


@dataclass(frozen=True)
class ImportPreview:
    columns: tuple[str, ...]  # the header as read (shown on the mapping screen only)
    rows: tuple[ImportRow, ...]

    @property
    def error_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def new_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.skipped and not row.errors]

    @property
    def skipped_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.skipped]


def _cell(spec: ImportField, text: str, today: date) -> tuple[object, str]:
    """The cell's value and an error code ("" if none)."""
    if not text:
        return (None if spec.kind == "date" else ""), ("required" if spec.required else "")
    if spec.kind == "date":
        parsed = parse_date(text)
        if parsed is None or parsed.year < 1900:
            return None, "date"
        return parsed, ("future" if parsed > today else "")
    if spec.kind == "jurisdiction":
        code = _JURISDICTIONS.get(text.casefold())
        return (code or ""), ("" if code else "jurisdiction")
    if len(text) > spec.max_length:
        return text, "too_long"
    return text, ""


def import_rows_read(
    table: Sequence[Sequence[str]], mapping: Sequence[str], *, today: date
) -> list[ImportRow]:
    """Each data row's values under `mapping`, with its errors (no database access)."""
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        row = ImportRow(number=index, values={})
        for column, key in enumerate(mapping):
            if not key or key not in FIELD_BY_KEY:
                continue
            value, error = _cell(
                FIELD_BY_KEY[key], cells[column] if column < len(cells) else "", today
            )
            row.values[key] = value
            if error:
                row.errors.append(RowError(error, key))
        if "surname" not in row.values:
            row.errors.append(RowError("required", "surname"))
        rows.append(row)
    return rows


def _identity(row: ImportRow, groups: GivenNameTable) -> tuple[str, str, str, object]:
    values = row.values
    return (
        name_skeleton(str(values.get("surname") or "")),
        given_name_key(str(values.get("given_name") or ""), groups),
        name_skeleton(str(values.get("patronymic") or ""))[:5],
        values.get("birth_date"),
    )


def _duplicate_of(row: ImportRow, candidates: list[Candidate]) -> tuple[str, str]:
    """(certain match, possible match): references of existing servicemen, or ""."""
    needed = {"surname"}
    for key, reason in (
        ("given_name", "given name"),
        ("patronymic", "patronymic"),
        ("birth_date", "date of birth"),
    ):
        if row.values.get(key):
            needed.add(reason)
    for candidate in candidates:
        if needed <= set(candidate.reasons):
            return candidate.serviceman.reference, ""
    possible = next((c for c in candidates if c.score >= POSSIBLE_SCORE), None)
    return "", possible.serviceman.reference if possible else ""


def _name_query(row: ImportRow) -> NameQuery:
    birth = row.values.get("birth_date")
    return NameQuery(
        surname=str(row.values.get("surname") or ""),
        given_name=str(row.values.get("given_name") or ""),
        patronymic=str(row.values.get("patronymic") or ""),
        birth_date=birth if isinstance(birth, date) else None,
    )


def import_preview(
    table: Sequence[Sequence[str]], mapping: Sequence[str], *, today: date
) -> ImportPreview:
    """The dry run: every row read, checked, and matched against the database (a few queries
    per 500 rows) and the rows above it. Nothing is written."""
    rows = import_rows_read(table, mapping, today=today)
    groups = given_name_groups()
    seen: dict[tuple[str, str, str, object], int] = {}
    to_match = []
    for row in rows:
        if row.errors:
            continue
        identity = _identity(row, groups)
        if identity in seen:
            row.same_as_row = seen[identity]
            continue
        seen[identity] = row.number
        to_match.append(row)
    found = serviceman_candidates_many([_name_query(row) for row in to_match])
    for row, candidates in zip(to_match, found, strict=True):
        row.duplicate_of, row.possible_match = _duplicate_of(row, candidates)
    return ImportPreview(columns=tuple(table[0]), rows=tuple(rows))
