"""Reading and writing the sheets organisations keep: CSV with the standard library, XLSX through
openpyxl when it is installed (a thin adapter: the rest of the code sees rows of strings).

Everything here works on bytes in memory: a sheet full of names is never written to disk in
plain (the caller stores it encrypted). Cells that a spreadsheet would run as a formula are
neutralised on the way out (`spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import io
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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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
        return [[cell.strip()[:MAX_CELL_CHARS] for cell in row] for row in reader]
    except csv.Error as exc:
        raise SheetError("unreadable") from exc


def _xlsx_rows(data: bytes) -> list[list[str]]:
    if not XLSX_AVAILABLE:
        raise SheetError("xlsx_unavailable")
    import openpyxl  # noqa: PLC0415 - optional until installed (XLSX_AVAILABLE)

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
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
    """A cell a spreadsheet would read as a formula (= + - @, or a leading tab or return) is
    quoted with an apostrophe, so opening an export never runs what someone typed."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_write(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic), every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
