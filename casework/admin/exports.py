"""The coordinators' export of cases: choose columns, tick explicitly for personal ones.

A thin caller of services/exports.py. A plain export is the CSV itself; an encrypted one comes
back as a page showing its password once, with the file inside that same page (a data: link),
so neither the password nor the file is kept anywhere on the server.
"""

from __future__ import annotations

import base64

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import permissions
from casework.admin.base import acting_user
from casework.exceptions import ExportError
from casework.selectors.exports import COLUMNS
from casework.services.exports import cases_export
from casework.views import download_response


class ExportForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=gettext_lazy("Columns"),
        choices=[(c.key, c.label) for c in COLUMNS if not c.personal],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    personal_columns = forms.MultipleChoiceField(
        label=gettext_lazy("Personal columns"),
        choices=[(c.key, c.label) for c in COLUMNS if c.personal],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Names, dates of birth, units and contacts."),
    )
    include_personal = forms.BooleanField(
        label=gettext_lazy("Yes, export the personal columns (in a password-protected file)"),
        required=False,
    )


def export_view(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: the file (or the form again with what stopped it)."""
    if not permissions.may(request.user, permissions.Action.CASES_EXPORT):
        raise PermissionDenied
    from casework.admin.site import site

    form = ExportForm(request.POST or None, initial={"columns": ["reference", "status"]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = cases_export(
                actor=acting_user(request),
                columns=[*data["columns"], *data["personal_columns"]],
                personal_confirmed=data["include_personal"],
            )
        except ExportError as exc:
            form.add_error(None, exc.message)
        else:
            if not export.password:
                return download_response(export)
            context = {
                **site.each_context(request),
                "title": _("Export cases"),
                "export": export,
                "data_url": f"data:{export.content_type};base64,"
                + base64.b64encode(export.data).decode("ascii"),
            }
            response = TemplateResponse(request, "admin/casework/export_ready.html", context)
            response["Cache-Control"] = "no-store"
            return response
    context = {**site.each_context(request), "title": _("Export cases"), "form": form}
    return TemplateResponse(request, "admin/casework/export.html", context)
