"""The coordinators' collective complaint page: choose a unit, an exchange or an office; see the
anonymised summary and who agreed to be named; download a draft from a lawyer's template.

Every choice is POSTed (a unit number is a quasi-identifier: never in an address). A thin
caller of selectors/collective.py and services/collective.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from casework import permissions
from casework.admin.base import acting_user
from casework.drafting import TemplateTextError
from casework.models import AuthorityOffice, DocumentTemplate, Exchange, Serviceman
from casework.selectors.collective import (
    TEMPLATE_CODE_PREFIX,
    collective_cases,
    collective_signatories,
    collective_summary,
    collective_templates,
)
from casework.selectors.statistics import SUPPRESS_BELOW, Cell
from casework.services.attachments import DownloadFile
from casework.services.collective import collective_draft, collective_read_record
from casework.services.documents import DOCX
from casework.views import download_response


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_verification_display()})"


class ExchangeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.happened_on:%d.%m.%Y} {obj.description}".strip()


FACT_LABELS = {
    "injured": gettext_lazy("injured"),
    "in_captivity": gettext_lazy("in captivity"),
    "under_25": gettext_lazy("under 25"),
}


class CollectiveForm(forms.Form):
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=100, required=False)
    exchange = ExchangeChoiceField(
        queryset=Exchange.objects.order_by("-happened_on"),
        label=gettext_lazy("Exchange"),
        required=False,
    )
    office = forms.ModelChoiceField(
        queryset=AuthorityOffice.objects.order_by("name"),
        label=gettext_lazy("Office the complaints went to"),
        required=False,
    )
    template = TemplateChoiceField(
        queryset=DocumentTemplate.objects.filter(code__startswith=TEMPLATE_CODE_PREFIX),
        label=gettext_lazy("Template"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        newest = collective_templates()
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = DocumentTemplate.objects.filter(pk__in=[t.pk for t in newest])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [
            bool(data.get("unit", "").strip()),
            bool(data.get("exchange")),
            bool(data.get("office")),
        ]
        if sum(chosen) != 1:
            raise forms.ValidationError(_("Choose one of: a unit, an exchange or an office."))
        return data


def _shown(value: Cell) -> str:
    return f"<{SUPPRESS_BELOW}" if value is None else str(value)


@sensitive_post_parameters("unit")
def collective_view(request: HttpRequest) -> HttpResponse:
    """GET: the choice; POST "show": summary and signatories; POST "draft": the .docx."""
    if not permissions.may(request.user, permissions.Action.COLLECTIVE_COMPLAINT):
        raise PermissionDenied
    from casework.admin.site import site

    form = CollectiveForm(request.POST or None)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Collective complaint"),
        "threshold": SUPPRESS_BELOW,
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        selection = {
            "unit": data["unit"].strip(),
            "exchange": data["exchange"],
            "office": data["office"],
        }
        if request.POST.get("step") == "draft":
            if data["template"] is None:
                form.add_error("template", _("Choose a template."))
            else:
                try:
                    draft = collective_draft(
                        actor=acting_user(request), template=data["template"], **selection
                    )
                except TemplateTextError as exc:
                    form.add_error("template", str(exc))
                else:
                    file = DownloadFile(data=draft.data, content_type=DOCX, filename=draft.filename)
                    return download_response(file)
        cases = collective_cases(**selection)
        summary = collective_summary(cases)
        context["summary"] = {
            "cases": _shown(summary.cases),
            "men": _shown(summary.men),
            "opened_from": summary.opened_from,
            "opened_to": summary.opened_to,
            "statuses": [
                (Serviceman.Status(key).label, _shown(count)) for key, count in summary.statuses
            ],
            "facts": [(FACT_LABELS[key], _shown(count)) for key, count in summary.facts],
            "filings": _shown(summary.filings),
            "unanswered": _shown(summary.unanswered),
        }
        signatories = collective_signatories(cases)
        context["signatories"] = signatories
        by = "unit" if selection["unit"] else "exchange" if selection["exchange"] else "office"
        collective_read_record(
            actor=acting_user(request), by=by, summary=summary, signatories=len(signatories)
        )
    context["form"] = form
    return TemplateResponse(request, "admin/casework/collective.html", context)
