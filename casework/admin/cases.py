"""Cases and timelines in the admin: the case list, the case page, name search and merges.

Every queryset comes from the selectors, so an object another team owns answers exactly like
one that does not exist. Names appear in page bodies only, never in a URL or a page title.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from casework import permissions
from casework.admin.base import AuditedModelAdmin, acting_user, ordered
from casework.admin.case_forms import CLOSING_FIELDS, CaseAdminForm, closing_question
from casework.admin.case_triage import (
    SEARCH_HELP,
    TRIAGE_ACTIONS,
    AssignedToFilter,
    cases_with_reference,
    triage_actions_for,
)
from casework.admin.case_workbench import CaseWorkbenchAdmin
from casework.admin.filings import DeadlineInline, FilingInline
from casework.admin.filings.display import deadline_due
from casework.admin.filings.forms import ScanUploadForm
from casework.admin.site import site
from casework.crypto import decrypt, encrypt
from casework.exceptions import CaseworkError
from casework.formats import JURISDICTION_TIME_ZONES, format_due
from casework.models import (
    RISK_FLAGS,
    Case,
    Deadline,
    Filing,
    ProtocolStep,
    Serviceman,
    TimelineEntry,
)
from casework.portal.upload_handlers import memory_uploads
from casework.roles import is_coordinator
from casework.selectors import (
    applicants_visible_to,
    assignable_users,
    case_applicants_for_user,
    case_attachments,
    case_duplicates_for_user,
    case_get_for_user,
    case_given_reference_match,
    case_live_deadlines,
    cases_matching_name,
    cases_visible_to,
    crisis_lines_for,
    due_soon_cases_q,
    family_messages,
    overdue_cases_q,
    protocol_checklist,
    serviceman_get_for_user,
    servicemen_visible_to,
    timeline_visible_to,
)
from casework.services.access_codes import (
    access_code_format,
    access_code_reissue,
    access_code_revoke,
)
from casework.services.attachments import staff_upload_add
from casework.services.case_file import case_file_export, case_file_password
from casework.services.cases import (
    INTERNAL_TIMELINE_KINDS,
    case_create,
    case_delete,
    case_legal_hold_lift,
    case_legal_hold_set,
    case_search_record,
    case_update,
    case_view_record,
    timeline_entry_add,
)
from casework.services.family import (
    family_message_post,
    family_message_withdraw,
    family_status_set,
)
from casework.services.people import case_merge, serviceman_merge
from casework.services.risk import protocol_step_record
from casework.services.submissions import submission_token_new
from casework.uploads import describe_found
from casework.views import download_response

RISK_FLAG_ABBREVIATIONS = {
    "injured": pgettext_lazy("risk flag, short", "INJ"),
    "under_25": pgettext_lazy("risk flag, short", "<25"),
    "suicide_risk": pgettext_lazy("risk flag, short", "SUI"),
    "in_captivity": pgettext_lazy("risk flag, short", "CAP"),
    "exchange_imminent": pgettext_lazy("risk flag, short", "EXC"),
}
RISK_FLAG_LABELS = {
    flag: Case._meta.get_field(flag).verbose_name  # type: ignore[union-attr]
    for flag in RISK_FLAGS
}
# The duplicate finder explains itself in fixed English words; these are their translations.
MATCH_REASONS = {
    "surname": _("surname"),
    "given name": _("given name"),
    "initial": _("initial"),
    "patronymic": _("patronymic"),
    "date of birth": _("date of birth"),
    "year of birth": _("year of birth"),
}


class RiskFlagFilter(admin.SimpleListFilter):
    title = _("risk flag")
    parameter_name = "flag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(RISK_FLAG_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        flag = self.value()
        return queryset.filter(**{flag: True}) if flag in RISK_FLAGS else queryset


class LegalHoldFilter(admin.SimpleListFilter):
    title = _("legal hold")
    parameter_name = "legal_hold"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("on legal hold")), ("no", _("not on legal hold"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(legal_hold_at__isnull=self.value() == "no")
        return queryset


class NextDeadlineFilter(admin.SimpleListFilter):
    """On the denormalised `Case.next_deadline`, plus cases whose filing is overdue."""

    title = _("next deadline")
    parameter_name = "next_deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("overdue")),
            ("week", _("in the next 7 days")),
            ("none", _("none")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(overdue_cases_q(now))
        if self.value() == "week":
            # The earliest open clock falls within the week.
            return queryset.filter(due_soon_cases_q(now))
        if self.value() == "none":
            return queryset.filter(next_deadline__isnull=True)
        return queryset


# --- The timeline: a form for new entries (the history is a plain table, case/includes) ------


class TimelineEntryAddInline(admin.TabularInline):
    # Django's table with a label for each input and no empty header cell (accessibility).
    template = "admin/casework/edit_inline/tabular.html"
    model = TimelineEntry
    verbose_name_plural = _("add to the timeline")
    fields = ("kind", "text")  # never shown to the family: that is "Message to the family"
    extra = 1
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimelineEntry]:
        return timeline_visible_to(request.user).none()  # only blank forms for new entries

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_choice_field(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "kind":
            kwargs["choices"] = [(kind.value, kind.label) for kind in INTERNAL_TIMELINE_KINDS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 60})
            kwargs["required"] = True
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# --- Forms of the custom views ------------------------------------------------------------------


class NameSearchForm(forms.Form):
    query = forms.CharField(
        label=_("Name"),
        help_text=_("Surname [given name] [dd.mm.yyyy]"),
        max_length=200,
        # The browser must not remember what was typed here.
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 40}),
    )


class MergeForm(forms.Form):
    KIND_CASE = "case"
    KIND_SERVICEMAN = "serviceman"

    kind = forms.ChoiceField(choices=[(KIND_CASE, KIND_CASE), (KIND_SERVICEMAN, KIND_SERVICEMAN)])
    other = forms.IntegerField(min_value=1)
    confirm = forms.BooleanField(required=False)


# --- The case admin -----------------------------------------------------------------------------


@functools.cache
def _risk_mark(flag: str, language: str) -> SafeString:
    """A risk flag's abbreviation with its label, per language (the argument keys the cache)."""
    return format_html(
        '<abbr title="{}">{}</abbr>', RISK_FLAG_LABELS[flag], RISK_FLAG_ABBREVIATIONS[flag]
    )


@admin.register(Case, site=site)
class CaseAdmin(CaseWorkbenchAdmin):
    audit_views = True
    form = CaseAdminForm
    list_display = (
        "reference",
        "serviceman_name",
        "status",
        "priority",
        "risk",
        "assignee",
        "team",
        "next_deadline_column",
        "age",
    )
    list_select_related = ("serviceman", "team", "assignee")
    # The list shows a short name only; the rest of the man's record stays encrypted in place.
    list_defer = (
        "summary",
        "wishes",
        "serviceman__birth_date",
        "serviceman__unit_number",
        "serviceman__rank",
        *(
            f"serviceman__{name}{part}"
            for name in Serviceman.APPROXIMATE_DATES
            for part in ("", "_text")
        ),
        "serviceman__places",
        "serviceman__current_location",
        "serviceman__health_summary",
    )
    # The search box finds a reference (not personal data); a name never goes in the URL: the
    # name search is a POST page of its own. Filters are fixed choices.
    search_fields = ("reference",)
    search_help_text = SEARCH_HELP
    actions = TRIAGE_ACTIONS
    list_filter = (
        AssignedToFilter,
        "status",
        "family_status",
        "priority",
        # Every team, listed from the team table: "only teams with cases" scans every case.
        "team",
        RiskFlagFilter,
        NextDeadlineFilter,
        "needs_attention",
        "source",
        LegalHoldFilter,
    )
    # Most pressing clock first (an indexed, denormalised column: cheap at any size); cases with
    # no open clock follow, newest first.
    # Urgent first (a new urgent intake has no deadline yet), then the nearest deadline; the
    # index case_triage_order serves exactly this order.
    ordering = Case.TRIAGE_ORDER  # the API lists cases in the same order
    list_per_page = 50
    raw_id_fields = ("serviceman", "applicant")
    readonly_fields = (
        "reference",
        "created_at",
        "closed_at",
        "next_deadline",
        "merged_into",
        "legal_hold",
    )
    # The timeline's history is read-only, so it is a plain table (includes/timeline.html), not a
    # formset: rendering ten read-only forms was a seventh of the case page's CPU.
    inlines = (DeadlineInline, FilingInline, TimelineEntryAddInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return ordered(self, request, cases_visible_to(request.user))

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Case | None:
        """The case with its serviceman and his exchange in the same statement: the case page
        shows both, and takes the same statements whether or not he came back in one."""
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        try:
            return (
                self.get_queryset(request)
                .select_related("serviceman__exchange")
                .get(pk=int(object_id))
            )
        except (Case.DoesNotExist, ValueError, OverflowError):
            return None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        return cases_with_reference(queryset, search_term), False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not getattr(request.user, "is_superuser", False):
            # A family asks about one case: a coordinator deletes it from its page, one at a
            # time (a superuser keeps Django's bulk delete).
            actions.pop("delete_selected", None)
        return triage_actions_for(request, actions)

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> Any:
        if obj is None:
            people: tuple[str, ...] = ("serviceman", "applicant", "team", "assignee", "source")
        else:
            people = ("reference", "applicant", "team", "assignee")
        return [
            (None, {"fields": people}),
            (
                _("Status"),
                {
                    "fields": (
                        "status",
                        "family_status",
                        "priority",
                        "outcome",
                        "closed_at",
                        "next_deadline",
                        *(() if obj is None else ("legal_hold",)),
                    )
                },
            ),
            *self.closing_fieldsets(obj),
            (_("Risk"), {"fields": (*RISK_FLAGS, "needs_attention")}),
            (_("What happened"), {"fields": ("summary", "wishes")}),
            *(
                []
                if obj is None
                else [(_("Record"), {"fields": ("source", "created_at", "merged_into")})]
            ),
        ]

    def closing_fieldsets(self, obj: Case | None) -> list[tuple[Any, dict[str, Any]]]:
        """The question closing asks, on the page of a case that is not closed and has clocks
        that are still somebody's work (also when the form comes back with it unanswered)."""
        if obj is None or obj.status == Case.Status.CLOSED:
            return []
        live = case_live_deadlines(obj).count()
        if not live:
            return []
        return [(_("Closing"), {"fields": CLOSING_FIELDS, "description": closing_question(live)})]

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # Choices are limited to what the user may see, like everything else.
        if db_field.name == "serviceman":
            kwargs["queryset"] = servicemen_visible_to(request.user)
        elif db_field.name == "applicant":
            kwargs["queryset"] = applicants_visible_to(request.user)
        elif db_field.name == "assignee":
            kwargs["queryset"] = assignable_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- List columns

    @admin.display(description=_("serviceman"))
    def serviceman_name(self, case: Case) -> str:
        return case.serviceman.short_name

    @admin.display(description=_("risk"))
    def risk(self, case: Case) -> str:
        language = get_language()
        return format_html_join(
            " ", "{}", ((_risk_mark(flag, language),) for flag in case.risk_flags)
        )

    @admin.display(description=_("next deadline"), ordering=F("next_deadline").asc(nulls_last=True))
    def next_deadline_column(self, case: Case) -> str:
        # In the usual zone of his jurisdiction's offices; each office's own is on the case page.
        zone = JURISDICTION_TIME_ZONES.get(case.serviceman.jurisdiction)
        return format_due(case.next_deadline, zone)

    @admin.display(description=_("legal hold"))
    def legal_hold(self, case: Case) -> str:
        if case.legal_hold_at is None:
            return "–"
        return _("since %(when)s, set by %(who)s") % {
            "when": timezone.localtime(case.legal_hold_at).strftime("%d.%m.%Y"),
            "who": case.legal_hold_by or "–",
        }

    @admin.display(description=_("age (days)"), ordering="-created_at")
    def age(self, case: Case) -> int:
        return (timezone.now() - case.created_at).days

    def list_rows(self, changelist: ChangeList) -> list[SafeString]:
        """The cells of each list row in one go, as Django's admin renders `list_display`.

        Django builds each of a page's 500 cells through its generic lookups, which was a fifth
        of the page's time; the rows are written out here instead. A test renders both and
        compares them, so a column added to `list_display` must be added here too.
        """
        columns = tuple(changelist.list_display)
        checkbox = columns == ("action_checkbox", *self.list_display)  # bulk actions offered
        if changelist.is_popup or not (checkbox or columns == self.list_display):
            # A raw-id popup, or columns this method does not know: Django's own cells.
            return [
                format_html_join(
                    "", "{}", ((cell,) for cell in items_for_result(changelist, c, None))
                )
                for c in changelist.result_list
            ]
        # The admin's change URL is "<changelist URL><pk>/change/": reversed once, not per row.
        changelist_url = reverse("admin:casework_case_changelist", current_app=self.admin_site.name)
        preserved: dict[str, Any] = {
            "preserved_filters": changelist.preserved_filters,
            "opts": changelist.opts,
        }
        empty = self.get_empty_value_display()
        return [
            format_html(
                '{}<th class="field-reference"><a href="{}">{}</a></th>'
                '<td class="field-serviceman_name">{}</td>'
                '<td class="field-status">{}</td>'
                '<td class="field-priority">{}</td>'
                '<td class="field-risk">{}</td>'
                '<td class="field-assignee nowrap">{}</td>'
                '<td class="field-team nowrap">{}</td>'
                '<td class="field-next_deadline_column">{}</td>'
                '<td class="field-age">{}</td>',
                # Django's own checkbox and its cell, exactly as items_for_result writes them.
                format_html('<td class="action-checkbox">{}</td>', self.action_checkbox(case))
                if checkbox
                else "",
                add_preserved_filters(preserved, f"{changelist_url}{quote(case.pk)}/change/"),
                case.reference,
                self.serviceman_name(case) or empty,  # a family may not know his name yet
                # The enum's label: get_FOO_display() rebuilds the choices on every call.
                Case.Status(case.status).label,
                Case.Priority(case.priority).label,
                self.risk(case) or empty,
                case.assignee if case.assignee_id else empty,
                case.team,
                self.next_deadline_column(case),
                number_format(self.age(case)),
            )
            for case in changelist.result_list
        ]

    # --- Writes go through the case services

    def save_model(self, request: HttpRequest, obj: Case, form: ModelForm, change: bool) -> None:
        if not change:
            case_create(case=obj, actor=request.user)
            return
        # The status the family sees has its own service (a timeline note, its own audit row);
        # the admin's changeform view runs both in one transaction.
        changed = [name for name in form.changed_data if name != "family_status"]
        if getattr(form, "kept_open", False):
            changed.remove("status")  # asked to close, chose to keep the case open
            message = _("The case stays open; its clocks keep running.")
            self.message_user(request, message, messages.WARNING)
        case_update(
            case=obj,
            actor=request.user,
            changed=changed,
            cancel_clocks_reason=getattr(form, "cancel_clocks_reason", None),
        )
        if "family_status" in form.changed_data:
            family_status_set(case=obj, actor=acting_user(request), family_status=obj.family_status)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A case on legal hold is erased by nobody until the hold is lifted (the service refuses
        # too); the page then offers no delete link and the delete view answers 403.
        if obj is not None and obj.legal_hold_at is not None:
            return False
        # A family's deletion request: coordinators only (permissions.py, as the service asks).
        return permissions.may(request.user, permissions.Action.CASE_DELETE)

    def delete_model(self, request: HttpRequest, obj: Case) -> None:
        case_delete(case=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        for case in queryset:  # each erasure commits on its own; a held case is left as it is
            try:
                case_delete(case=case, actor=request.user)
            except CaseworkError as error:
                self.message_user(request, f"{case.reference}: {error.message}", messages.ERROR)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """What the confirmation page lists (references only: every __str__ is one). The
        timeline, filings, deadlines and files are the case's own erasure (case_delete), not
        separate deletions, so no permission to delete each of them is asked for. A case on
        legal hold is the one thing that may not go: with one selected, nothing is erased."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        held = any(getattr(case, "legal_hold_at", None) for case in objs)
        return deleted, counts, {str(Case._meta.verbose_name)} if held else set(), protected

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model in {Filing, Deadline}:
            # Read-only summaries (filings change through their own pages): nothing to save.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        if formset.model is not TimelineEntry:
            super().save_formset(request, form, formset, change)
            return
        # What formset.save() would record, for the admin's change message (references only).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for entry_form in formset.forms:
            if entry_form.instance.pk is not None or not entry_form.has_changed():
                continue  # blank extra rows; the history is read-only
            data = entry_form.cleaned_data
            entry = timeline_entry_add(
                case=form.instance, actor=acting_user(request), kind=data["kind"], text=data["text"]
            )
            formset.new_objects.append(entry)

    # --- The case page: audit of the view, the people, possible duplicates

    def record_view(self, request: HttpRequest, obj: Case) -> None:
        case_view_record(case=obj, actor=request.user)

    def change_page_extra(self, request: HttpRequest, obj: Case) -> dict[str, Any]:
        duplicates = case_duplicates_for_user(user=request.user, case=obj)
        next_clock = (
            DeadlineInline(Case, self.admin_site).get_queryset(request).filter(case=obj).first()
        )
        return {
            **self.workbench_summary(obj, next_clock),
            "serviceman": obj.serviceman,
            "applicants": case_applicants_for_user(user=request.user, case=obj),
            "duplicates": duplicates,
            "candidates": [
                (candidate, [MATCH_REASONS.get(reason, reason) for reason in candidate.reasons])
                for candidate in duplicates.candidates
            ],
            "may_merge": self.may_merge(request),
            "merge_url": reverse("admin:casework_case_merge", args=[obj.pk]),
            "attachments": [
                (attachment, describe_found(attachment.metadata_found))
                for attachment in case_attachments(obj)
            ],
            "upload_form": ScanUploadForm() if self.may_upload(request, obj) else None,
            "upload_url": reverse("admin:casework_case_scans", args=[obj.pk]),
            "family_url": reverse("admin:casework_case_family", args=[obj.pk]),
            "timeline": list(
                timeline_visible_to(request.user)
                .filter(case=obj)
                .select_related("author")
                .order_by("-created_at", "-id")
            ),
            # What the family reads now, each with a "withdraw" button beside the message form.
            "family_messages_shown": list(family_messages(case=obj)),
            "given_reference_case": case_given_reference_match(user=request.user, case=obj),
            "family_token": submission_token_new(),  # the message form's one-time token
            "may_manage_code": is_coordinator(request.user),
            "has_access_code": bool(obj.access_code_hash),
            "legal_hold_url": reverse("admin:casework_case_legal_hold", args=[obj.pk]),
            "may_hold": permissions.may(request.user, permissions.Action.LEGAL_HOLD),
            "may_export_file": permissions.may(request.user, permissions.Action.CASE_FILE_EXPORT),
            "case_file_url": reverse("admin:casework_case_file", args=[obj.pk]),
            **(self.protocol_extra(request, obj) if obj.suicide_risk else {}),
            **self.facts_extra(request, obj),
            **self.follow_ups_extra(request, obj),
        }

    def protocol_extra(self, request: HttpRequest, obj: Case) -> dict[str, Any]:
        return {
            "protocol_steps": protocol_checklist(case=obj),
            "protocol_url": reverse("admin:casework_case_protocol", args=[obj.pk]),
            "may_record_protocol": self.has_change_permission(request, obj),
            "crisis_lines": list(crisis_lines_for(jurisdiction=obj.serviceman.jurisdiction)),
        }

    def workbench_summary(self, obj: Case, next_clock: Deadline | None) -> dict[str, Any]:
        """The top of the case page: the risk banners, the next clock and the next step."""
        if obj.suicide_risk:
            next_step = _("Follow the suicide-risk protocol below.")
        elif obj.assignee_id is None:
            next_step = _("Assign the case to a caseworker.")
        elif obj.status == Case.Status.NEW:
            next_step = _("Contact the family at a safe time and triage the case.")
        elif next_clock is not None:
            next_step = _("Act before the next clock runs out.")
        else:
            next_step = _("Record each call, message or filing in the timeline.")
        return {
            "summary_flags": [
                RISK_FLAG_LABELS[flag] for flag in obj.risk_flags if flag != "suicide_risk"
            ],
            "next_clock": next_clock,
            "next_clock_due": deadline_due(next_clock) if next_clock else "",
            "next_clock_state": next_clock.state_now() if next_clock else "",
            "next_step": next_step,
        }

    def may_upload(self, request: HttpRequest, obj: Case) -> bool:
        return self.has_change_permission(request, obj) and permissions.may(
            request.user, permissions.Action.ATTACHMENT_ADD
        )

    def may_merge(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user) and self.has_change_permission(request)

    # --- Custom views

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # login, second factor, never_cache, CSRF
        return [
            path("name-search/", wrap(self.name_search_view), name="casework_case_name_search"),
            path("<path:object_id>/merge/", wrap(self.merge_view), name="casework_case_merge"),
            path("<path:object_id>/family/", wrap(self.family_view), name="casework_case_family"),
            path(
                "<path:object_id>/protocol/",
                wrap(self.protocol_view),
                name="casework_case_protocol",
            ),
            path("<path:object_id>/facts/", wrap(self.facts_view), name="casework_case_facts"),
            path(
                "<path:object_id>/follow-ups/",
                wrap(self.follow_ups_view),
                name="casework_case_follow_ups",
            ),
            path(
                "<path:object_id>/scans/",
                # A scan is read in memory (never a plain temporary file), CSRF checked after.
                wrap(memory_uploads(self.upload_view)),
                name="casework_case_scans",
            ),
            path(
                "<path:object_id>/legal-hold/",
                wrap(self.legal_hold_view),
                name="casework_case_legal_hold",
            ),
            path(
                "<path:object_id>/case-file/", wrap(self.case_file_view), name="casework_case_file"
            ),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("query"))
    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def name_search_view(self, request: HttpRequest) -> HttpResponse:
        """Search by name over POST and answer on the same response: no name in any URL."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        results: list[Case] | None = None
        if request.method == "POST":
            form = NameSearchForm(request.POST)
            if form.is_valid():
                matches = cases_matching_name(user=request.user, query=form.cleaned_data["query"])
                results = list(
                    matches.select_related("serviceman", "team", "assignee").order_by(
                        *self.ordering
                    )
                )
                case_search_record(actor=request.user, result_count=len(results))
        else:
            form = NameSearchForm()
        return self.page(
            request,
            "admin/casework/case/name_search.html",
            _("Search by name"),
            form=form,
            results=results,
        )

    @method_decorator(sensitive_post_parameters("text"))
    @method_decorator(csrf_protect)
    def family_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What the family sees: post a message; coordinators reissue or revoke the access code."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case, answer = self.object_or_answer(
            request, object_id, lambda case: self.has_change_permission(request, case)
        )
        if answer is not None:
            return answer
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        action, actor = request.POST.get("action"), acting_user(request)
        if action == "message":
            text = request.POST.get("text", "").strip()
            if not text:
                self.message_user(request, _("Write the message first."), messages.ERROR)
            else:
                # The form's one-time token: a reload or a double tap posts the message once.
                token = request.POST.get("token", "")[:64]
                try:
                    family_message_post(case=case, actor=actor, text=text[:5000], token=token)
                except CaseworkError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    message = _("The family will see the message.")
                    self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        if action == "withdraw":
            entry_id = request.POST.get("entry", "")
            if entry_id.isdigit() and family_message_withdraw(
                case=case, entry_id=int(entry_id), actor=actor
            ):
                self.message_user(request, _("The family no longer sees the message."))
            return HttpResponseRedirect(change_url)
        if action not in ("reissue", "revoke") or not is_coordinator(request.user):
            raise PermissionDenied
        if action == "revoke":
            access_code_revoke(case=case, actor=actor)
            self.message_user(request, _("The access code no longer works."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        code = access_code_reissue(case=case, actor=actor)
        # admin_view's never_cache marks this page no-store: the code is not kept anywhere.
        return self.page(
            request,
            "admin/casework/case/new_code.html",
            _("New access code"),
            original=case,
            code=access_code_format(code),
            change_url=change_url,
        )

    @method_decorator(sensitive_post_parameters())
    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A staff scan or photo on the case (stored like the family's files, audited)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case, answer = self.object_or_answer(
            request, object_id, lambda case: self.may_upload(request, case)
        )
        if answer is not None:
            return answer
        form = ScanUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    self.message_user(request, str(error), messages.ERROR)
        else:
            try:
                staff_upload_add(
                    case=case,
                    actor=acting_user(request),
                    upload=form.cleaned_data["scan"],
                    document_kind=form.cleaned_data["document_kind"],
                )
            except CaseworkError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("The scan is kept on the case."), messages.SUCCESS)
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        return HttpResponseRedirect(f"{change_url}#case-files")

    @method_decorator(sensitive_post_parameters("reason"))
    @method_decorator(csrf_protect)
    def legal_hold_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Set (with a reason) or lift the case's legal hold: coordinators only, audited."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case, answer = self.object_or_answer(
            request,
            object_id,
            lambda case: (
                self.has_change_permission(request, case)
                and permissions.may(request.user, permissions.Action.LEGAL_HOLD)
            ),
        )
        if answer is not None:
            return answer
        action, actor = request.POST.get("action"), acting_user(request)
        try:
            if action == "set":
                reason = request.POST.get("reason", "")[:2000]
                case_legal_hold_set(case=case, actor=actor, reason=reason)
                message = _("The case is on legal hold: nothing erases it until it is lifted.")
                self.message_user(request, message, messages.SUCCESS)
            elif action == "lift":
                case_legal_hold_lift(case=case, actor=actor)
                message = _("The legal hold is lifted; retention applies to the case again.")
                self.message_user(request, message, messages.WARNING)
            else:
                raise PermissionDenied
        except CaseworkError as error:
            self.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:casework_case_change", args=[case.pk]))

    @method_decorator(sensitive_post_parameters("password"))
    @method_decorator(csrf_protect)
    def case_file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: a page with a new password, shown this once. POST: the case file as a zip
        encrypted with that password (`case_file_export`: coordinators only, audited).

        The password the page showed is kept in the session, encrypted with the field keys (a
        copy of the session table opens nothing), and used once: what the browser posts is
        never the password, so nobody can choose a weak one."""
        case, answer = self.object_or_answer(
            request,
            object_id,
            lambda case: permissions.may(request.user, permissions.Action.CASE_FILE_EXPORT),
        )
        if answer is not None:
            return answer
        key = f"case_file_password:{case.pk}"
        if request.method == "POST":
            kept = request.session.pop(key, None)
            if not isinstance(kept, str):
                self.message_user(
                    request,
                    _("This page's password was used already. Here is a new one."),
                    messages.ERROR,
                )
            else:
                try:
                    file = case_file_export(
                        case=case, password=decrypt(kept), actor=acting_user(request)
                    )
                except CaseworkError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    return download_response(file)
        password = case_file_password()
        request.session[key] = encrypt(password)
        return self.page(
            request,
            "admin/casework/case/case_file.html",
            _("Case file for a lawyer"),
            original=case,
            password=password,
        )

    @method_decorator(sensitive_post_parameters("note"))
    @method_decorator(csrf_protect)
    def protocol_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Tick one step of the suicide-risk protocol; the service records it in the timeline."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case, answer = self.object_or_answer(
            request, object_id, lambda case: self.has_change_permission(request, case)
        )
        if answer is not None:
            return answer
        step = request.POST.get("step", "")
        if step not in ProtocolStep.Step.values:
            raise PermissionDenied
        note = request.POST.get("note", "").strip()[:500]
        try:
            protocol_step_record(case=case, actor=acting_user(request), step=step, note=note)
        except CaseworkError as error:
            self.message_user(request, error.message, messages.ERROR)
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        return HttpResponseRedirect(f"{change_url}#suicide-protocol")

    @method_decorator(csrf_protect)
    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Merge another case, or another serviceman, into this case's: coordinators only."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case, answer = self.object_or_answer(request, object_id, lambda _: self.may_merge(request))
        if answer is not None:
            return answer
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        form = MergeForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose what to merge."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        kind, other_pk = form.cleaned_data["kind"], form.cleaned_data["other"]
        try:
            if kind == MergeForm.KIND_CASE:
                other: Any = case_get_for_user(user=request.user, pk=other_pk)
            else:
                other = serviceman_get_for_user(user=request.user, pk=other_pk)
            if not form.cleaned_data["confirm"]:
                # Merging cannot be undone: a second, explicit step (no script needed).
                return self.page(
                    request,
                    "admin/casework/case/merge_confirm.html",
                    _("Confirm the merge"),
                    original=case,
                    kind=kind,
                    other=other,
                    merge_url=request.path,
                    change_url=change_url,
                )
            if kind == MergeForm.KIND_CASE:
                case_merge(survivor=case, merged=other, actor=acting_user(request))
            else:
                serviceman_merge(survivor=case.serviceman, merged=other, actor=acting_user(request))
        except CaseworkError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(merged)s was merged into %(survivor)s.")
                % {
                    "merged": other.reference,
                    "survivor": case.reference
                    if kind == MergeForm.KIND_CASE
                    else case.serviceman.reference,
                },
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)


@admin.register(TimelineEntry, site=site)
class TimelineEntryAdmin(AuditedModelAdmin):
    audit_views = True
    list_display = ("__str__", "case", "kind", "visible_to_family", "author", "created_at")
    list_select_related = ("case", "author")
    list_filter = ("kind", "visible_to_family")
    ordering = ("-created_at", "-id")
    fields = ("case", "kind", "text", "author", "created_at", "visible_to_family")
    # Entries never change; what the family reads is posted and withdrawn on the case page.
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimelineEntry]:
        return ordered(self, request, timeline_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries are written on the case page, where the case is known

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
