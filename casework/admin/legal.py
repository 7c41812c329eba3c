"""Legal data in the admin: authority offices, versioned response rules, calendars, ladders.

Coordinators edit (their group's permissions); caseworkers only view. A response rule version
that any filing or deadline was computed under, or that a lawyer verified, is read-only: a change
is saved as a new version, and a separate page previews which open deadlines adopting it would
move before applying it. Nothing here moves a deadline without that confirmation.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AuditedModelAdmin, acting_user
from casework.admin.site import site
from casework.exceptions import CaseworkError, RuleError
from casework.formats import format_due, seeded_text, term_text
from casework.models import (
    AuthorityOffice,
    CalendarOverride,
    EscalationStep,
    FilingKind,
    JurisdictionCalendar,
    OfficeKind,
    ResponseRule,
    Verification,
)
from casework.selectors import (
    filings_awaiting_under_other_version,
    rule_is_used,
    rule_newer_version,
    rules_with_use,
)
from casework.services.rules import (
    RULE_TERM_FIELDS,
    rule_change_apply,
    rule_change_preview,
    rule_check_terms,
    rule_create,
    rule_mark_verified,
    rule_update_unused,
    rule_version_create,
)

# --- Authority offices ------------------------------------------------------------------------


class AuthorityOfficeForm(ModelForm):
    class Meta:
        model = AuthorityOffice
        fields = (
            "kind",
            "jurisdiction",
            "name",
            "addressee",
            "address",
            "parent",
            "time_zone",
            "is_active",
        )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(
                _("Unknown time zone; use a name such as Europe/Moscow or Europe/Kyiv.")
            ) from exc
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent = data.get("parent")
        # A loop in the parent chain would send escalation round in circles.
        seen = {self.instance.pk} if self.instance.pk else set()
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError(_("An office cannot be above itself in the chain."))
            seen.add(parent.pk)
            parent = parent.parent
        return data


@admin.register(AuthorityOffice, site=site)
class AuthorityOfficeAdmin(AuditedModelAdmin):
    form = AuthorityOfficeForm
    list_display = ("name", "kind", "jurisdiction", "parent", "time_zone", "is_active")
    list_select_related = ("parent",)
    list_filter = ("jurisdiction", "kind", "is_active")
    ordering = ("jurisdiction", "kind", "name")
    list_per_page = 100

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":
            kwargs["queryset"] = AuthorityOffice.objects.order_by("jurisdiction", "kind", "name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Response rules ---------------------------------------------------------------------------


class ResponseRuleForm(ModelForm):
    """The terms a lawyer edits. "Verified" is not offered: `mark verified` records who did it."""

    office_kinds = forms.MultipleChoiceField(
        label=capfirst(ResponseRule._meta.get_field("office_kinds").verbose_name),
        choices=OfficeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    filing_kinds = forms.MultipleChoiceField(
        label=capfirst(ResponseRule._meta.get_field("filing_kinds").verbose_name),
        choices=FilingKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    verification = forms.ChoiceField(
        label=capfirst(ResponseRule._meta.get_field("verification").verbose_name),
        choices=[(v, label) for v, label in Verification.choices if v != Verification.VERIFIED],
    )

    class Meta:
        model = ResponseRule
        fields: tuple[str, ...] = ("code", *RULE_TERM_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        candidate = ResponseRule(
            code=data.get("code") or self.instance.code,
            **{name: data.get(name, getattr(self.instance, name)) for name in RULE_TERM_FIELDS},
        )
        try:
            candidate.clean()
        except ValidationError:
            return data  # out of bounds: the model's check shows it next to its field
        try:
            rule_check_terms(candidate)
        except RuleError as error:
            raise ValidationError(error.message) from error
        return data


class ResponseRuleVersionForm(ResponseRuleForm):
    """A new version keeps the code of the rule it comes from."""

    class Meta(ResponseRuleForm.Meta):
        fields: tuple[str, ...] = RULE_TERM_FIELDS


RULE_FIELDSETS: list[tuple[Any, dict[str, Any]]] = [
    (None, {"fields": ("code", "version", "title", "jurisdiction")}),
    (
        _("Applies to"),
        {"fields": ("office_kinds", "filing_kinds", "who_may_file", "life_or_health_at_risk")},
    ),
    (
        _("Term"),
        {
            "fields": (
                "clock",
                ("unit", "amount"),
                "start_from",
                "registration_lag_days",
                "ceiling_days",
                ("extension_amount", "extension_unit", "max_extensions"),
                "early_check_days",
                "roll_forward",
            )
        },
    ),
    (_("Validity"), {"fields": ("valid_from", "valid_to")}),
    (
        _("Source and verification"),
        {"fields": ("source", "verification", "verified_by", "verified_at", "notes")},
    ),
]


READABLE = {
    "office_kinds": "office_kinds_named",
    "filing_kinds": "filing_kinds_named",
    "title": "title_shown",
    "source": "source_shown",
}


def choices_named(choices: Any, values: list[str]) -> str:
    labels = dict(choices.choices)
    return format_html_join(", ", "{}", ((labels.get(value, value),) for value in values)) or "–"


def _without(fieldsets: list[tuple[Any, dict[str, Any]]], names: set[str]) -> list[Any]:
    result = []
    for title, options in fieldsets:
        fields = []
        for entry in options["fields"]:
            if isinstance(entry, tuple):
                kept = tuple(name for name in entry if name not in names)
                if kept:
                    fields.append(kept)
            elif entry not in names:
                fields.append(entry)
        result.append((title, {**options, "fields": tuple(fields)}))
    return result


@admin.register(ResponseRule, site=site)
class ResponseRuleAdmin(AuditedModelAdmin):
    form = ResponseRuleForm
    list_display = (
        "code",
        "version",
        "title_shown",
        "jurisdiction",
        "term",
        "valid_from",
        "valid_to",
        "verification_mark",
        "in_use",
    )
    list_filter = ("jurisdiction", "verification", "unit")
    list_display_links = ("code", "version")
    ordering = ("jurisdiction", "code", "-version")
    list_per_page = 100
    readonly_fields = ("verified_by", "verified_at", "office_kinds_named", "filing_kinds_named")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResponseRule]:
        return rules_with_use(super().get_queryset(request).select_related("verified_by"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # a brand-new code starts at version 1; verification comes later
            return _without(RULE_FIELDSETS, {"version", "verified_by", "verified_at"})
        if not self.has_change_permission(request, obj):
            # Read-only: the kinds by their names rather than as stored codes.
            return [
                (title, {**options, "fields": tuple(READABLE.get(f, f) for f in options["fields"])})
                for title, options in RULE_FIELDSETS
            ]
        return RULE_FIELDSETS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("code", "version", "verified_by", "verified_at", *READABLE.values())

    # --- Which versions may change in place

    def is_frozen(self, rule: ResponseRule) -> bool:
        """Used or verified versions never change: edits become a new version."""
        used = getattr(rule, "used", None)
        return rule.is_verified or (rule_is_used(rule) if used is None else bool(used))

    def may_edit_rules(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.may_edit_rules(request):
            return False
        return obj is None or not self.is_frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Versions are the record of how clocks were computed; a wrong one is superseded.
        return False

    # --- List columns

    @admin.display(
        description=capfirst(ResponseRule._meta.get_field("title").verbose_name), ordering="title"
    )
    def title_shown(self, rule: ResponseRule) -> str:
        return seeded_text(rule.title)

    @admin.display(description=capfirst(ResponseRule._meta.get_field("source").verbose_name))
    def source_shown(self, rule: ResponseRule) -> str:
        return seeded_text(rule.source)

    @admin.display(description=_("term"))
    def term(self, rule: ResponseRule) -> str:
        text = term_text(rule.amount, rule.unit)
        if rule.max_extensions:
            text += f" + {rule.max_extensions}×{rule.extension_amount}"
        if rule.ceiling_days:
            text += " " + str(_("(at most %(days)s days)") % {"days": rule.ceiling_days})
        return text

    @admin.display(description=_("verification"), ordering="verification")
    def verification_mark(self, rule: ResponseRule) -> str:
        if rule.is_verified:
            return str(rule.get_verification_display())
        return format_html(
            '<span class="cw-mark cw-unverified">{}</span>', rule.get_verification_display()
        )

    @admin.display(description=capfirst(ResponseRule._meta.get_field("office_kinds").verbose_name))
    def office_kinds_named(self, rule: ResponseRule) -> str:
        return choices_named(OfficeKind, rule.office_kinds)

    @admin.display(description=capfirst(ResponseRule._meta.get_field("filing_kinds").verbose_name))
    def filing_kinds_named(self, rule: ResponseRule) -> str:
        return choices_named(FilingKind, rule.filing_kinds)

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, rule: ResponseRule) -> bool:
        return bool(getattr(rule, "used", False))

    # --- Writes through the rule services

    def save_model(
        self, request: HttpRequest, obj: ResponseRule, form: ModelForm, change: bool
    ) -> None:
        if change:
            rule_update_unused(rule=obj, actor=acting_user(request), changed=form.changed_data)
        else:
            rule_create(rule=obj, actor=acting_user(request))

    def change_page_extra(self, request: HttpRequest, obj: ResponseRule) -> dict[str, Any]:
        return {
            "may_edit_rules": self.may_edit_rules(request),
            "frozen": self.is_frozen(obj),
            "used": rule_is_used(obj),
            "newer": rule_newer_version(obj),
            "waiting": _waiting_count(obj),
        }

    # --- Custom views: new version, verification, preview and apply

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/new-version/",
                wrap(self.new_version_view),
                name="casework_responserule_new_version",
            ),
            path(
                "<path:object_id>/verify/",
                wrap(self.verify_view),
                name="casework_responserule_verify",
            ),
            path(
                "<path:object_id>/apply/",
                wrap(self.apply_view),
                name="casework_responserule_apply",
            ),
            *super().get_urls(),
        ]

    def _rule_or_redirect(self, request: HttpRequest, object_id: str) -> Any:
        return self.object_or_answer(request, object_id, lambda _: self.may_edit_rules(request))

    def _rule_page(
        self, request: HttpRequest, template: str, rule: ResponseRule, title: Any, **context: Any
    ) -> TemplateResponse:
        change_url = reverse("admin:casework_responserule_change", args=[rule.pk])
        return self.page(request, template, title, original=rule, change_url=change_url, **context)

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The rule's terms in a form; saving creates the next version, then the preview."""
        base, missing = self._rule_or_redirect(request, object_id)
        if missing is not None:
            return missing
        initial = {name: getattr(base, name) for name in RULE_TERM_FIELDS}
        if base.is_verified:
            initial["verification"] = Verification.SOURCED
        form = ResponseRuleVersionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                new = rule_version_create(
                    base=base, actor=acting_user(request), values=form.cleaned_data
                )
            except CaseworkError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Saved as %(rule)s. Open deadlines have not moved: check below which "
                        "ones would, then apply."
                    )
                    % {"rule": new},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:casework_responserule_apply", args=[new.pk])
                )
        fieldsets = _without(RULE_FIELDSETS, {"code", "version", "verified_by", "verified_at"})
        return self._rule_page(
            request,
            "admin/casework/responserule/new_version.html",
            base,
            _("New version of %(rule)s") % {"rule": base.code},
            adminform=helpers.AdminForm(form, fieldsets, {}),
            form=form,
            errors=helpers.AdminErrorList(form, []),
        )

    def verify_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Record that a lawyer checked this version (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        rule, missing = self._rule_or_redirect(request, object_id)
        if missing is not None:
            return missing
        rule = rule_mark_verified(rule=rule, actor=acting_user(request))
        self.message_user(
            request,
            _("%(rule)s is marked verified by %(user)s.") % {"rule": rule, "user": request.user},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:casework_responserule_change", args=[rule.pk]))

    def apply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: which open deadlines adopting this version would move. POST: move them."""
        rule, missing = self._rule_or_redirect(request, object_id)
        if missing is not None:
            return missing
        change_url = reverse("admin:casework_responserule_change", args=[rule.pk])
        if request.method == "POST":
            if request.POST.get("confirm") != "yes":
                self.message_user(request, _("Nothing was applied."), messages.WARNING)
                return HttpResponseRedirect(request.path)
            try:
                count = rule_change_apply(rule=rule, actor=acting_user(request))
            except CaseworkError as exc:  # a filing this version cannot compute: nothing moved
                self.message_user(request, exc.message, messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                _("%(rule)s now applies to %(count)d filing(s); their deadlines were recomputed.")
                % {"rule": rule, "count": count},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        moves = rule_change_preview(rule=rule)
        rows = [
            {
                "filing": move.filing,
                "case": move.filing.case,
                "from_rule": move.filing.rule,
                "old_due": format_due(move.old_due, move.filing.office.time_zone),
                "new_due": format_due(move.new_due, move.filing.office.time_zone),
                "moves": move.old_due != move.new_due,
                "computable": move.new_due is not None,
            }
            for move in moves
        ]
        return self._rule_page(
            request,
            "admin/casework/responserule/apply.html",
            rule,
            _("Preview and apply %(rule)s") % {"rule": rule},
            rows=[row for row in rows if row["moves"]],
            unchanged_count=sum(1 for row in rows if not row["moves"]),
            total=len(rows),
            newer=rule_newer_version(rule),
        )


def _waiting_count(rule: ResponseRule) -> int:
    """Live filings of this rule code still computed under another version."""
    return filings_awaiting_under_other_version(rule).count()


# --- Calendars and ladders ---------------------------------------------------------------------


@admin.register(JurisdictionCalendar, site=site)
class JurisdictionCalendarAdmin(AuditedModelAdmin):
    list_display = ("jurisdiction", "public_holidays_observed", "published_through_year")
    ordering = ("jurisdiction",)


@admin.register(CalendarOverride, site=site)
class CalendarOverrideAdmin(AuditedModelAdmin):
    list_display = ("day", "jurisdiction", "is_working", "note")
    list_filter = ("jurisdiction", "is_working")
    date_hierarchy = "day"
    ordering = ("-day",)
    list_per_page = 100


@admin.register(EscalationStep, site=site)
class EscalationStepAdmin(AuditedModelAdmin):
    list_display = (
        "__str__",
        "jurisdiction",
        "from_office_kind",
        "to_office_kind",
        "filing_kind",
        "signer",
        "trigger",
        "verification",
    )
    list_filter = ("jurisdiction", "ladder", "verification", "trigger")
    ordering = ("jurisdiction", "ladder", "position", "pk")
    list_per_page = 100

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        # Read-only: the advice in the reader's language while it is the seeded text.
        return ["description_shown" if name == "description" else name for name in fields]

    @admin.display(description=capfirst(EscalationStep._meta.get_field("description").verbose_name))
    def description_shown(self, step: EscalationStep) -> str:
        return seeded_text(step.description)
