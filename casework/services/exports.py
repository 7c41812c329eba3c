"""Exports of cases to a spreadsheet for coordinators: chosen columns, audited, formulas
neutralised. Personal columns leave only when ticked explicitly, and only in a password-
protected XLSX whose password is shown once (never stored); while the server lacks the
libraries for that (openpyxl and msoffcrypto-tool), such an export is refused, not weakened.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.exceptions import ExportError
from casework.models import AuditEvent
from casework.selectors.exports import COLUMN_BY_KEY, cases_for_export, export_rows
from casework.services.audit import audit_record
from casework.spreadsheets import ENCRYPTED_XLSX_AVAILABLE, csv_write, spreadsheet_safe


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str  # neutral: a date, never a name or a unit
    content_type: str
    password: str  # "" unless encrypted; shown once, never stored


def _encrypted_xlsx(header: list[str], rows: list[list[str]], password: str) -> bytes:
    """An XLSX under agile encryption (what Excel and LibreOffice open with a password)."""
    import openpyxl  # noqa: PLC0415 - optional until installed (ENCRYPTED_XLSX_AVAILABLE)
    from msoffcrypto.format.ooxml import OOXMLFile  # noqa: PLC0415

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        sheet.append([spreadsheet_safe(cell) for cell in row])
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt(password, encrypted)
    return encrypted.getvalue()


@transaction.atomic
def cases_export(*, actor: User, columns: list[str], personal_confirmed: bool) -> ExportFile:
    """The visible cases with the chosen columns, audited (column names and a count only).
    Raises ExportError, producing and recording nothing, when personal columns were chosen
    without the explicit tick or cannot be encrypted here."""
    permissions.action_check(user=actor, action=permissions.Action.CASES_EXPORT)
    chosen = [COLUMN_BY_KEY[key] for key in dict.fromkeys(columns) if key in COLUMN_BY_KEY]
    if not chosen:
        raise ExportError(_("Choose at least one column."))
    personal = [column.key for column in chosen if column.personal]
    if personal and not personal_confirmed:
        raise ExportError(_("Personal columns are exported only when you tick that you want them."))
    if personal and not ENCRYPTED_XLSX_AVAILABLE:
        raise ExportError(
            _(
                "Personal columns can only leave in a password-protected file, and this server "
                "cannot make one yet (the openpyxl and msoffcrypto-tool packages are missing). "
                "Nothing was exported."
            )
        )
    header = [str(column.label) for column in chosen]
    rows = list(export_rows(cases_for_export(actor, chosen), chosen))
    stamp = timezone.localdate().isoformat()
    if personal:
        password = secrets.token_urlsafe(12)
        result = ExportFile(
            _encrypted_xlsx(header, rows, password),
            f"cases-{stamp}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            password,
        )
    else:
        result = ExportFile(csv_write(header, rows), f"cases-{stamp}.csv", "text/csv", "")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="case",
        reference="export",
        detail={
            "columns": [column.key for column in chosen],
            "count": len(rows),
            "personal": bool(personal),
        },
    )
    return result
