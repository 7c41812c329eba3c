"""Servicemen, applicants, teams, exchanges and given-name spellings in the admin."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from casework.admin.base import AuditedModelAdmin, OnceForm, acting_user, ordered
from casework.admin.site import site
from casework.approximate_dates import ApproximateDateField
from casework.exceptions import CaseworkError
from casework.models import Applicant, Exchange, GivenNameEquivalent, Serviceman, Team
from casework.references import ALPHABET
from casework.selectors import (
    applicants_visible_to,
    assignable_users,
    cases_visible_to,
    servicemen_visible_to,
)
from casework.services.exchanges import exchange_record
from casework.services.people import given_names_changed, serviceman_save


class ServicemanAdminForm(forms.ModelForm):
    """Rough dates are edited as the family gives them ("весной 2025", "03.2025", "2025"):
    each is one text input whose value sets the date, its precision and the words at once."""

    captured_on = ApproximateDateField(label=_("captured on"), earliest=2014)
    released_on = ApproximateDateField(label=_("released on"), earliest=2014)
    redeployed_on = ApproximateDateField(label=_("sent back to the front on"), earliest=2014)
    hospitalised_on = ApproximateDateField(label=_("in hospital since"), earliest=2014)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in Serviceman.APPROXIMATE_DATES:
            self.initial[name] = self.instance.approximate_date(name)


@admin.register(Serviceman, site=site)
class ServicemanAdmin(AuditedModelAdmin):
    audit_views = True
    form = ServicemanAdminForm
    # The model's date fields are not saved by the form: save_model sets each with its precision
    # and words (the form's own fields of the same names are shown in their place).
    exclude = Serviceman.APPROXIMATE_DATES
    list_display = ("reference", "short_name", "status", "service_type", "jurisdiction", "exchange")
    list_select_related = ("exchange",)
    list_filter = ("status", "service_type", "jurisdiction")
    ordering = ("-created_at",)
    readonly_fields = ("reference",)
    fieldsets = [
        (None, {"fields": ("reference", "surname", "given_name", "patronymic", "birth_date")}),
        (
            _("Service"),
            {
                "fields": (
                    "unit_number",
                    "rank",
                    "service_type",
                    "status",
                    "jurisdiction",
                )
            },
        ),
        (
            _("Captivity"),
            {
                "fields": (
                    "exchange",
                    "captured_on",
                    "released_on",
                    "redeployed_on",
                    "hospitalised_on",
                    "places",
                    "current_location",
                )
            },
        ),
        (_("Health"), {"fields": ("health_summary",)}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Serviceman]:
        return ordered(self, request, servicemen_visible_to(request.user))

    @admin.display(description=_("name"))
    def short_name(self, serviceman: Serviceman) -> str:
        return serviceman.short_name

    def save_model(
        self, request: HttpRequest, obj: Serviceman, form: ModelForm, change: bool
    ) -> None:
        changed = list(form.changed_data)
        for name in Serviceman.APPROXIMATE_DATES:
            if name in changed:
                changed += obj.approximate_date_set(name, form.cleaned_data[name])
        # The service recomputes the blind indexes the name search and duplicates rely on.
        serviceman_save(serviceman=obj, actor=acting_user(request), changed=sorted(set(changed)))


@admin.register(Applicant, site=site)
class ApplicantAdmin(AuditedModelAdmin):
    audit_views = True
    list_display = ("reference", "relationship", "preferred_channel", "may_call", "serviceman")
    list_select_related = ("serviceman",)
    list_filter = ("relationship", "preferred_channel", "may_call", "consent_collective")
    ordering = ("-created_at",)
    raw_id_fields = ("serviceman",)
    readonly_fields = ("reference",)
    fieldsets = [
        (None, {"fields": ("reference", "serviceman", "name", "legal_name", "relationship")}),
        (
            _("Contact"),
            {
                "fields": (
                    "preferred_channel",
                    "may_call",
                    "safe_hours",
                    "phone",
                    "telegram",
                    "signal",
                    "email",
                    "address",
                )
            },
        ),
        (_("Consent"), {"fields": ("consent_given_at", "consent_collective")}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Applicant]:
        return ordered(self, request, applicants_visible_to(request.user))

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "serviceman":
            kwargs["queryset"] = servicemen_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team, site=site)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("name",)
    filter_horizontal = ("members",)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "members":
            kwargs["queryset"] = assignable_users()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# A case reference as printed (K7M4-QX2P), in any letter case, anywhere in pasted text.
REFERENCE_PATTERN = re.compile(f"(?<![0-9A-Z-])[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}(?![0-9A-Z-])")


class ExchangeRecordForm(OnceForm):
    happened_on = forms.DateField(
        label=_("date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(label=_("description"), max_length=200, required=False)
    case_references = forms.CharField(
        label=_("case references"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40, "spellcheck": "false"}),
        help_text=_("One or more case references (e.g. K7M4-QX2P), separated by spaces, commas "
                    "or new lines."),
    )  # fmt: skip

    def clean_case_references(self) -> list[str]:
        text = self.cleaned_data["case_references"].upper()
        references = list(dict.fromkeys(REFERENCE_PATTERN.findall(text)))
        if not references:
            raise forms.ValidationError(_("No case reference found in the text."))
        return references


@admin.register(Exchange, site=site)
class ExchangeAdmin(AuditedModelAdmin):
    list_display = ("happened_on", "description")
    ordering = ("-happened_on",)

    @method_decorator(sensitive_post_parameters("case_references"))
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Record an exchange through `exchange_record` and say which cases woke up."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = ExchangeRecordForm(data)
        if data is not None and form.is_valid():
            references = form.cleaned_data["case_references"]
            # Only cases this user may see; another team's reference reads as not found.
            visible = list(
                cases_visible_to(request.user)
                .filter(reference__in=references)
                .values_list("reference", flat=True)
            )
            try:
                exchange_id, cases = exchange_record(
                    happened_on=form.cleaned_data["happened_on"],
                    description=form.cleaned_data["description"],
                    case_references=visible,
                    servicemen=[],
                    actor=acting_user(request),
                    token=form.cleaned_data["token"],
                )
            except CaseworkError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                woken = [case.reference for case in cases]
                self._report(request, woken=woken, visible=visible, asked=references)
                return HttpResponseRedirect(
                    reverse("admin:casework_exchange_change", args=[exchange_id])
                )
        return self.page(
            request, "admin/casework/exchange/record.html", _("Record an exchange"), form=form
        )

    def _report(
        self, request: HttpRequest, *, woken: list[str], visible: list[str], asked: list[str]
    ) -> None:
        # Only real, visible case references are repeated back: anything else that was typed
        # (a name pasted by mistake) is counted, never echoed into a message or a cookie.
        if woken:
            self.message_user(
                request,
                ngettext(
                    "%(count)d case woke up: %(references)s.",
                    "%(count)d cases woke up: %(references)s.",
                    len(woken),
                )
                % {"count": len(woken), "references": ", ".join(woken)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("No case woke up."), messages.WARNING)
        asleep = [reference for reference in visible if reference not in woken]
        if asleep:
            self.message_user(
                request,
                _("Not woken (not marked as in captivity, or closed): %(references)s.")
                % {"references": ", ".join(sorted(asleep))},
                messages.WARNING,
            )
        unknown = len(asked) - len(visible)
        if unknown:
            self.message_user(
                request,
                ngettext(
                    "%(count)d reference matches no case you can see.",
                    "%(count)d references match no case you can see.",
                    unknown,
                )
                % {"count": unknown},
                messages.WARNING,
            )


@admin.register(GivenNameEquivalent, site=site)
class GivenNameEquivalentAdmin(AuditedModelAdmin):
    list_display = ("spelling", "group")
    ordering = ("group", "spelling")
    list_per_page = 200

    # The table decides the initial some names are indexed under: re-index after each edit.
    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        given_names_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        given_names_changed()
