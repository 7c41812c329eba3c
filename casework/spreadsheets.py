"""Reading and writing the sheets organisations keep: CSV with the standard library, XLSX through
openpyxl when it is installed (a thin adapter: the rest of the code sees rows of strings).

Everything here works on bytes in memory: a sheet full of names is never written to disk in
plain (the caller stores it encrypted). Cells that a spreadsheet would run as a formula are
neutralised on the way out (`spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from importlib.util import find_spec

# openpyxl is an optional dependency until the deployment installs it (requirements.txt pins it).
XLSX_AVAILABLE = find_spec("openpyxl") is not None
# A password-protected XLSX (ECMA-376 agile encryption) needs msoffcrypto-tool as well.
ENCRYPTED_XLSX_AVAILABLE = XLSX_AVAILABLE and find_spec("msoffcrypto") is not None

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2_000
# What an XLSX may unpack to: a 10 MB upload can declare gigabytes (a zip bomb), and a refused
# sheet must be refused before it is read, not after (a review measured 1 GB for 59 KB).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
# Rows read at most, empty ones included, before the sheet is refused as too long.
MAX_ROWS_READ = 10 * MAX_ROWS
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same after spaces a spreadsheet skips, and their full-width forms.
_FORMULA_AFTER_SPACE = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ZIP_MAGIC = b"PK\x03\x04"


class SheetError(Exception):
    """A sheet that cannot be read; `code` is translated by the caller."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sheet_format(data: bytes) -> str:
    """ "xlsx" or "csv", by content (an XLSX is a zip), never by the file's name."""
    return "xlsx" if data.startswith(_ZIP_MAGIC) else "csv"


def sheet_read(data: bytes, file_format: str) -> list[list[str]]:
    """The sheet's rows (the first is the header) as stripped strings, padded to one width."""
    if file_format == "xlsx":
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise SheetError("empty")
    if len(rows) > MAX_ROWS + 1:
        raise SheetError("too_many_rows")
    width = max(len(row) for row in rows)
    if width > MAX_COLUMNS:
        raise SheetError("too_many_columns")
    return [row + [""] * (width - len(row)) for row in rows]


def _text(data: bytes) -> str:
    # Russian and Ukrainian Excel saves CSV in Windows-1251 unless told otherwise.
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("encoding")


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _text(data)
    if "\x00" in text:
        raise SheetError("unreadable")
    first_line = text.split("\n", 1)[0]
    # Excel in a Russian locale separates with ";"; others with "," or a tab.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _bounded([cell.strip()[:MAX_CELL_CHARS] for cell in row] for row in reader)
    except csv.Error as exc:
        raise SheetError("unreadable") from exc


def _bounded(rows: Iterable[list[str]]) -> list[list[str]]:
    """The rows, refused as soon as the sheet is too long or too wide (never read whole)."""
    kept: list[list[str]] = []
    filled = 0
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS_READ:
            raise SheetError("too_many_rows")
        if any(row[MAX_COLUMNS:]):
            raise SheetError("too_many_columns")
        if any(row):
            filled += 1
            if filled > MAX_ROWS + 1:
                raise SheetError("too_many_rows")
        row = row[:MAX_COLUMNS]
        while row and not row[-1]:  # the reader pads to the columns it was asked for
            row.pop()
        kept.append(row)
    return kept


def _xlsx_rows(data: bytes) -> list[list[str]]:
    if not XLSX_AVAILABLE:
        raise SheetError("xlsx_unavailable")
    import openpyxl  # noqa: PLC0415 - optional until installed (XLSX_AVAILABLE)

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except zipfile.BadZipFile as exc:
        raise SheetError("unreadable") from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise SheetError("too_much_inside")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        if (sheet.max_column or 0) > MAX_COLUMNS:  # as the sheet's own dimension states it
            raise SheetError("too_many_columns")
        # One column past the limit is read, to tell a sheet that is too wide when its
        # dimension says otherwise; a cell further right is never built.
        cells = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        rows = _bounded([_cell_text(value) for value in row] for row in cells)
        book.close()
    except SheetError:
        raise
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise SheetError("unreadable") from exc
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:MAX_CELL_CHARS]


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet would read as a formula (= + - @, or a leading tab or return, also
    after spaces and in full-width forms) is quoted with an apostrophe, so opening an export
    never runs what someone typed."""
    quoted = text.startswith(FORMULA_STARTS) or text.lstrip(" \n\u00a0\u3000").startswith(
        _FORMULA_AFTER_SPACE
    )
    return "'" + text if quoted else text


def csv_write(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic), every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
