"""Document templates in the admin: the text a lawyer edits, checked before it is saved.

Coordinators edit (their group's permissions); caseworkers read. Saving a template that a draft
was made from keeps that version as it was and saves the edit as the next version
(services/documents.py `template_save`), so every draft says which text it came from.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AuditedModelAdmin, acting_user
from casework.admin.legal import choices_named
from casework.admin.site import site
from casework.drafting import FACTS, PARTS, template_check
from casework.formats import seeded_text
from casework.models import (
    DocumentTemplate,
    Filing,
    FilingKind,
    OfficeKind,
    Verification,
)
from casework.selectors import template_code_taken, template_is_newest, templates_with_use
from casework.services.documents import template_save


class DocumentTemplateForm(ModelForm):
    filing_kinds = forms.MultipleChoiceField(
        label=capfirst(DocumentTemplate._meta.get_field("filing_kinds").verbose_name),
        choices=FilingKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    office_kinds = forms.MultipleChoiceField(
        label=capfirst(DocumentTemplate._meta.get_field("office_kinds").verbose_name),
        help_text=DocumentTemplate._meta.get_field("office_kinds").help_text,
        choices=OfficeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    signers = forms.MultipleChoiceField(
        label=capfirst(DocumentTemplate._meta.get_field("signers").verbose_name),
        help_text=DocumentTemplate._meta.get_field("signers").help_text,
        choices=Filing.Signer.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # "Verified" is a lawyer's word: offered like the others, since the template is theirs.
    # Saving changed text without setting it again makes a verified template unverified.
    verification = forms.ChoiceField(
        label=capfirst(DocumentTemplate._meta.get_field("verification").verbose_name),
        choices=Verification.choices,
    )

    class Meta:
        model = DocumentTemplate
        fields = (
            "code",
            "name",
            "jurisdiction",
            "filing_kinds",
            "office_kinds",
            "signers",
            "heading",
            "title",
            "body",
            "signature",
            "verification",
            "source",
            "is_active",
        )
        widgets = {
            "heading": forms.Textarea(attrs={"rows": 6, "cols": 90}),
            "body": forms.Textarea(attrs={"rows": 30, "cols": 90}),
            "signature": forms.Textarea(attrs={"rows": 3, "cols": 90}),
        }

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"])
        if code != self.instance.code and template_code_taken(code):
            # A new version is made by editing the template itself, never by reusing its code.
            raise ValidationError(
                _("Another template has this code. Choose another code, or edit that template.")
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Render over the example facts now, so a typo is shown here, next to its part, and
        # never turns up later as a draft that could not be made.
        problems = template_check({part: data.get(part) or "" for part in PARTS})
        for part, problem in problems.items():
            if part not in self.errors:
                self.add_error(part, problem)
        return data


@admin.register(DocumentTemplate, site=site)
class DocumentTemplateAdmin(AuditedModelAdmin):
    form = DocumentTemplateForm
    list_display = (
        "code",
        "version",
        "name",
        "jurisdiction",
        "filing_kinds_named",
        "verification",
        "is_active",
        "in_use",
    )
    list_filter = ("jurisdiction", "verification", "is_active")
    ordering = ("jurisdiction", "code", "-version")
    readonly_fields = ("version", "created_by", "created_at")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # Read-only, the source is shown in the reader's language while it is the seeded text.
        source = "source" if self.has_change_permission(request, obj) else "source_shown"
        names = format_html_join(
            ", ",
            "<code>{{{{ {}.{} }}}}</code>",
            ((group, name) for group, facts in FACTS.items() for name in facts),
        )
        return [
            (None, {"fields": ("code", "version", "name", "jurisdiction", "is_active")}),
            (_("Used for"), {"fields": ("filing_kinds", "office_kinds", "signers")}),
            (
                _("Text"),
                {
                    "fields": PARTS,
                    "description": format_html(
                        "{} {}",
                        gettext(
                            "Names a template can use (a name with nothing recorded prints as a "
                            "line to fill in by hand and is false in {% if %}):"
                        ),
                        names,
                    ),
                },
            ),
            (
                _("Source and verification"),
                {"fields": ("verification", source, "created_by", "created_at")},
            ),
        ]

    @admin.display(description=capfirst(DocumentTemplate._meta.get_field("source").verbose_name))
    def source_shown(self, template: DocumentTemplate) -> str:
        return seeded_text(template.source)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentTemplate]:
        return templates_with_use(super().get_queryset(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a retired template is made inactive; drafts keep pointing at it

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An older version is a record of what earlier drafts were made from: read-only.
        if obj is not None and not template_is_newest(obj):
            return False
        return super().has_change_permission(request, obj)

    def response_change(self, request: HttpRequest, obj: DocumentTemplate) -> HttpResponse:
        if "_continue" in request.POST:
            # The edit may have become a new version: continue on its page, not the old one's.
            return HttpResponseRedirect(
                reverse("admin:casework_documenttemplate_change", args=[obj.pk])
            )
        return super().response_change(request, obj)

    @admin.display(description=_("filing kinds"))
    def filing_kinds_named(self, template: DocumentTemplate) -> str:
        return choices_named(FilingKind, template.filing_kinds)

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, template: DocumentTemplate) -> bool:
        return bool(getattr(template, "used", False))

    def save_model(
        self, request: HttpRequest, obj: DocumentTemplate, form: ModelForm, change: bool
    ) -> None:
        version = obj.version if change else None
        template_save(template=obj, actor=acting_user(request), changed=form.changed_data)
        if version is not None and obj.version != version:
            self.message_user(
                request,
                gettext(
                    "Drafts were made from version %(old)d, so it is kept as it was; your "
                    "changes are version %(new)d, which new drafts use."
                )
                % {"old": version, "new": obj.version},
                messages.INFO,
            )
