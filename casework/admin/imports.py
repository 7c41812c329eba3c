"""The coordinators' import of cases from a spreadsheet: upload, column mapping, preview (the
dry run, with each row's errors in the reader's language), commit or abandon.

A thin caller of services/imports.py. The upload is kept in memory (the bounded handler the
family pages use): Django would otherwise spill a large sheet to a plain temporary file.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import permissions
from casework.admin.base import acting_user
from casework.exceptions import SheetImportError
from casework.models import CaseImport, Team
from casework.portal.upload_handlers import memory_uploads
from casework.selectors.imports import FIELD_BY_KEY, FIELDS, PREVIEW_ROWS, ImportRow, RowError
from casework.services.imports import (
    import_abandon,
    import_commit,
    import_dry_run,
    import_map,
    import_start,
    import_table,
)
from casework.spreadsheets import XLSX_AVAILABLE


class ImportUploadForm(forms.Form):
    sheet = forms.FileField(label=gettext_lazy("Spreadsheet (CSV or XLSX)"))
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        label=gettext_lazy("Team the new cases go to"),
    )


def _check(request: HttpRequest) -> None:
    if not permissions.may(request.user, permissions.Action.CASES_IMPORT):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    from casework.admin.site import site

    return {**site.each_context(request), "title": title, **extra}


@memory_uploads
def import_upload_view(request: HttpRequest) -> HttpResponse:
    """Upload a sheet: it is stored encrypted and the mapping screen follows."""
    _check(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["sheet"]
        if getattr(upload, "over_limit", False):
            form.add_error("sheet", _("The file is larger than 10 MB."))
        else:
            try:
                case_import = import_start(
                    actor=acting_user(request), team=form.cleaned_data["team"], data=upload.read()
                )
            except SheetImportError as exc:
                form.add_error("sheet", exc.message)
            else:
                return HttpResponseRedirect(
                    reverse("admin:case_import", args=[case_import.public_id])
                )
    context = _context(
        request, _("Import cases from a spreadsheet"), form=form, xlsx_available=XLSX_AVAILABLE
    )
    return TemplateResponse(request, "admin/casework/import_upload.html", context)


def row_error_text(error: RowError) -> str:
    """A row's error in the reader's language."""
    spec = FIELD_BY_KEY[error.field]
    name = capfirst(str(spec.label))
    texts = {
        "required": _("%(field)s is missing.") % {"field": name},
        "date": _("%(field)s is not a date (write it as dd.mm.yyyy).") % {"field": name},
        "future": _("%(field)s is in the future.") % {"field": name},
        "jurisdiction": _("%(field)s must be RU or UA (Russia or Ukraine).") % {"field": name},
        "too_long": _("%(field)s is longer than %(limit)d characters.")
        % {"field": name, "limit": spec.max_length},
    }
    return texts.get(error.code, _("%(field)s cannot be read.") % {"field": name})


def row_outcome(row: ImportRow) -> str:
    if row.errors:
        return " ".join(row_error_text(error) for error in row.errors)
    if row.duplicate_of:
        return _("Already recorded as %(reference)s: skipped.") % {"reference": row.duplicate_of}
    if row.same_as_row:
        return _("The same man as in row %(row)d: skipped.") % {"row": row.same_as_row}
    if row.possible_match:
        return _("New case. Perhaps the same man as %(reference)s: check after importing.") % {
            "reference": row.possible_match
        }
    return _("New case.")


def import_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """The mapping screen and the dry run; POST maps, commits or abandons."""
    _check(request)
    case_import = CaseImport.objects.filter(public_id=public_id).first()
    if case_import is None:
        raise Http404
    actor = acting_user(request)
    if case_import.state != CaseImport.State.OPEN:
        context = _context(request, _("Import %(reference)s") % {"reference": case_import})
        context["case_import"] = case_import
        return TemplateResponse(request, "admin/casework/import_done.html", context)
    error = ""
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "map":
                mapping = [
                    request.POST.get(f"column-{index}", "")
                    for index in range(len(case_import.mapping))
                ]
                import_map(case_import=case_import, actor=actor, mapping=mapping)
                return HttpResponseRedirect(request.path)
            if step == "commit":
                done = import_commit(case_import=case_import, actor=actor)
                messages.success(
                    request,
                    _(
                        "New cases imported: %(created)d. "
                        "Rows already recorded and skipped: %(skipped)d."
                    )
                    % {"created": done.created_cases, "skipped": done.duplicates},
                )
                return HttpResponseRedirect(request.path)
            if step == "abandon":
                import_abandon(case_import=case_import, actor=actor)
                messages.info(request, _("The import was abandoned and its sheet deleted."))
                return HttpResponseRedirect(request.path)
        except SheetImportError as exc:
            error = exc.message
        case_import.refresh_from_db()
    try:
        table = import_table(case_import)
        preview = import_dry_run(case_import=case_import, actor=actor)
    except SheetImportError as exc:
        error = exc.message
        table, preview = [[]], None
    columns = [
        {
            "index": index,
            "header": header,
            "example": table[1][index] if len(table) > 1 else "",
            "chosen": case_import.mapping[index] if index < len(case_import.mapping) else "",
        }
        for index, header in enumerate(table[0])
    ]
    rows = []
    if preview is not None:
        shown = [r for r in preview.rows if r.errors] + [r for r in preview.rows if not r.errors]
        for row in shown[:PREVIEW_ROWS]:
            rows.append(
                {
                    "number": row.number,
                    "surname": row.values.get("surname") or "",
                    "given_name": row.values.get("given_name") or "",
                    "birth_date": row.values.get("birth_date"),
                    "has_errors": bool(row.errors),
                    "outcome": row_outcome(row),
                }
            )
    context = _context(
        request,
        _("Import %(reference)s") % {"reference": case_import},
        case_import=case_import,
        columns=columns,
        fields=[(spec.key, spec.label) for spec in FIELDS],
        preview=preview,
        rows=rows,
        error=error,
        hidden_rows=max(0, len(preview.rows) - PREVIEW_ROWS) if preview else 0,
    )
    return TemplateResponse(request, "admin/casework/import.html", context)
