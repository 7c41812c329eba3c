"""Imports of cases from a spreadsheet: the sheet stored encrypted, the mapping, the commit
(all or nothing, one audit event), and the sheet deleted when the import ends or is abandoned.

The sheet is read again from its encrypted file for every preview and for the commit, so no
row of it is ever kept in the database, the cache or a session. Cases are created here in
bulk, with `source = import` and no access code (the family has none yet); each row's blind
indexes are computed as for an intake, so later duplicates are found the same way.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions
from casework.crypto import DecryptionError
from casework.exceptions import SheetImportError
from casework.models import Applicant, AuditEvent, Case, CaseImport, Serviceman, Team
from casework.selectors import given_name_groups
from casework.selectors.imports import (
    APPLICANT_FIELDS,
    FIELD_BY_KEY,
    ImportPreview,
    ImportRow,
    import_preview,
    mapping_guess,
)
from casework.services.attachments import _decrypt_bytes as decrypt_bytes
from casework.services.attachments import _encrypt_bytes as encrypt_bytes
from casework.services.attachments import _write_private as write_private
from casework.services.audit import audit_record
from casework.services.people import serviceman_reindex
from casework.spreadsheets import SheetError, sheet_format, sheet_read

# An open import untouched this long is abandoned by the portal sweep (its sheet deleted).
STALE_AFTER = timedelta(hours=6)
MAX_SHEET_BYTES = 10 * 1024 * 1024


def import_path(case_import: CaseImport) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / f"{case_import.public_id}.sheet"


def sheet_error_message(code: str) -> str:
    """What a SheetError means, in the reader's language."""
    messages = {
        "empty": _("The sheet has no rows."),
        "too_many_rows": _("The sheet has more than 20,000 rows. Please split it."),
        "too_many_columns": _("The sheet has more than 60 columns."),
        "too_much_inside": _(
            "The sheet is too large to read safely. Please split it or save it again."
        ),
        "encoding": _("The file is not text in UTF-8 or Windows-1251. Save it as CSV (UTF-8)."),
        "unreadable": _("The file could not be read as a CSV or XLSX sheet."),
        "xlsx_unavailable": _(
            "XLSX files cannot be read on this server yet (openpyxl is not installed). "
            "Save the sheet as CSV (UTF-8) and upload that."
        ),
        "too_large": _("The file is larger than 10 MB."),
    }
    return messages.get(code, messages["unreadable"])


@transaction.atomic
def import_start(*, actor: User, team: Team, data: bytes) -> CaseImport:
    """Check the sheet can be read, store it encrypted and open an import (no rows are read
    into the database). Raises SheetImportError with a translated message."""
    permissions.action_check(user=actor, action=permissions.Action.CASES_IMPORT)
    if len(data) > MAX_SHEET_BYTES:
        raise SheetImportError(sheet_error_message("too_large"))
    file_format = sheet_format(data)
    try:
        table = sheet_read(data, file_format)
    except SheetError as exc:
        raise SheetImportError(sheet_error_message(exc.code)) from exc
    case_import = CaseImport.objects.create(
        created_by=actor,
        team=team,
        file_format=file_format,
        mapping=mapping_guess(table[0]),
        rows=len(table) - 1,
    )
    # Written before the row commits: a crash in between leaves a file without an open
    # import, which imports_abandon_stale deletes.
    write_private(import_path(case_import), encrypt_bytes(data))
    return case_import


def import_table(case_import: CaseImport) -> list[list[str]]:
    """The stored sheet, decrypted in memory."""
    try:
        data = decrypt_bytes(import_path(case_import).read_bytes())
    except FileNotFoundError as exc:
        raise SheetImportError(_("This import has ended; its sheet is no longer kept.")) from exc
    except DecryptionError as exc:
        # Its key was retired while the import was open (rotate_keys leaves sheets alone: they
        # live for hours, not years).
        raise SheetImportError(
            _("The stored sheet can no longer be read. Abandon this import and upload it again.")
        ) from exc
    try:
        return sheet_read(data, case_import.file_format)
    except SheetError as exc:
        raise SheetImportError(sheet_error_message(exc.code)) from exc


def _open_import(case_import: CaseImport, actor: User) -> CaseImport:
    permissions.action_check(user=actor, action=permissions.Action.CASES_IMPORT)
    locked = CaseImport.objects.select_for_update().filter(pk=case_import.pk).first()
    if locked is None or locked.state != CaseImport.State.OPEN:
        raise SheetImportError(_("This import has ended; its sheet is no longer kept."))
    return locked


@transaction.atomic
def import_map(*, case_import: CaseImport, actor: User, mapping: list[str]) -> CaseImport:
    """Record which field each column goes to (positions and field names only)."""
    case_import = _open_import(case_import, actor)
    width = len(import_table(case_import)[0])
    cleaned = [key if key in FIELD_BY_KEY else "" for key in mapping[:width]]
    cleaned += [""] * (width - len(cleaned))
    chosen = [key for key in cleaned if key]
    if len(chosen) != len(set(chosen)):
        raise SheetImportError(_("Each field can be given to one column only."))
    if "surname" not in chosen:
        raise SheetImportError(_("Choose the column that holds the surname."))
    case_import.mapping = cleaned
    case_import.save(update_fields=["mapping"])
    return case_import


def import_dry_run(*, case_import: CaseImport, actor: User) -> ImportPreview:
    """What a commit would do now, row by row; writes nothing."""
    permissions.action_check(user=actor, action=permissions.Action.CASES_IMPORT)
    return import_preview(
        import_table(case_import), case_import.mapping, today=timezone.localdate()
    )


def _text(row: ImportRow, key: str) -> str:
    return str(row.values.get(key) or "")


@transaction.atomic
def import_commit(*, case_import: CaseImport, actor: User) -> CaseImport:
    """Create every new row's serviceman, family member and case, or nothing at all: a row with
    an error refuses the whole sheet. Rows already in the database (or repeated in the sheet)
    are skipped. One audit event for the import; the sheet is deleted once committed."""
    case_import = _open_import(case_import, actor)
    preview = import_preview(
        import_table(case_import), case_import.mapping, today=timezone.localdate()
    )
    if preview.error_rows:
        raise SheetImportError(
            _(
                "Rows with errors: %(count)d. Nothing was imported: correct the sheet and "
                "upload it again."
            )
            % {"count": len(preview.error_rows)}
        )
    groups = given_name_groups()
    rows = preview.new_rows
    servicemen = []
    for row in rows:
        birth = row.values.get("birth_date")
        serviceman = Serviceman(
            surname=_text(row, "surname"),
            given_name=_text(row, "given_name"),
            patronymic=_text(row, "patronymic"),
            birth_date=birth if isinstance(birth, date) else None,
            unit_number=_text(row, "unit_number"),
            rank=_text(row, "rank"),
        )
        if row.values.get("jurisdiction"):
            serviceman.jurisdiction = _text(row, "jurisdiction")
        serviceman_reindex(serviceman, groups)
        servicemen.append(serviceman)
    Serviceman.objects.bulk_create(servicemen, batch_size=500)
    applicants: dict[int, Applicant] = {}
    for index, row in enumerate(rows):
        if any(row.values.get(key) for key in APPLICANT_FIELDS):
            # No consent is taken from a sheet: being named in a collective complaint is asked
            # of the family itself (consent_collective stays False).
            applicants[index] = Applicant(
                serviceman=servicemen[index],
                name=_text(row, "applicant_name"),
                legal_name=_text(row, "applicant_legal_name"),
                phone=_text(row, "applicant_phone"),
                email=_text(row, "applicant_email"),
            )
    Applicant.objects.bulk_create(applicants.values(), batch_size=500)
    now = timezone.now()
    cases = []
    for index, row in enumerate(rows):
        opened = row.values.get("opened_on")
        cases.append(
            Case(
                serviceman=servicemen[index],
                applicant=applicants.get(index),
                team_id=case_import.team_id,
                status=Case.Status.NEW,
                family_status=Case.FamilyStatus.RECEIVED,
                source=Case.Source.IMPORT,
                summary=_text(row, "summary"),
                created_at=timezone.make_aware(datetime(opened.year, opened.month, opened.day, 12))
                if isinstance(opened, date)
                else now,
            )
        )
    Case.objects.bulk_create(cases, batch_size=500)
    case_import.state = CaseImport.State.COMMITTED
    case_import.created_cases = len(cases)
    case_import.duplicates = len(preview.skipped_rows)
    case_import.finished_at = now
    case_import.save(update_fields=["state", "created_cases", "duplicates", "finished_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=case_import,
        detail={
            "rows": len(preview.rows),
            "created": len(cases),
            "skipped": len(preview.skipped_rows),
            "team": case_import.team_id,
        },
    )
    path = import_path(case_import)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return case_import


@transaction.atomic
def import_abandon(*, case_import: CaseImport, actor: User | None) -> CaseImport:
    """End an open import without importing: the sheet is deleted (audited, counts only)."""
    if actor is not None:
        permissions.action_check(user=actor, action=permissions.Action.CASES_IMPORT)
    locked = CaseImport.objects.select_for_update().get(pk=case_import.pk)
    if locked.state != CaseImport.State.OPEN:
        return locked
    locked.state = CaseImport.State.ABANDONED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "finished_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        obj=locked,
        detail={"rows": locked.rows, "stale": actor is None},
    )
    path = import_path(locked)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return locked


def imports_abandon_stale(*, now: datetime | None = None) -> int:
    """Abandon open imports left untouched for STALE_AFTER, and delete any sheet file whose
    import has ended or never existed (a crash between writing it and committing the row)."""
    now = now or timezone.now()
    stale = list(
        CaseImport.objects.filter(
            state=CaseImport.State.OPEN, created_at__lt=now - STALE_AFTER
        ).order_by("pk")
    )
    for case_import in stale:
        import_abandon(case_import=case_import, actor=None)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    if folder.is_dir():
        open_ids = {
            str(public_id)
            for public_id in CaseImport.objects.filter(state=CaseImport.State.OPEN).values_list(
                "public_id", flat=True
            )
        }
        for path in folder.iterdir():
            old = path.stat().st_mtime < (now - timedelta(minutes=10)).timestamp()
            if path.name.split(".")[0] not in open_ids and old:
                path.unlink(missing_ok=True)
    return len(stale)
