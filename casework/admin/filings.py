"""Filings and deadlines in the admin: summary rows on the case page, the filing page with one
form per transition, and the deadline list.

Every write is one call to a filing service. A refusal (CaseworkError) comes back as an error
message above the same form, with what was typed kept; nothing is half-done because each service
runs in its own transaction. Lists come from the selectors, so another team's filing answers
like a missing one. Tracking and registration numbers are encrypted: they are shown on the
filing page only, never in a list, a filter, a search or a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from casework.admin.base import AuditedModelAdmin, OnceForm, acting_user, ordered
from casework.admin.dashboard import dashboard_forget
from casework.admin.marks import (
    due_with_marks,
    format_due,
    is_provisional,
    with_published_year,
)
from casework.admin.site import site
from casework.exceptions import CaseworkError
from casework.models import (
    AuthorityOffice,
    Case,
    Deadline,
    Filing,
    FilingKind,
    Team,
)
from casework.selectors import (
    AWAITING_RESPONSE,
    awaiting_response_deadlines_q,
    cases_visible_to,
    deadlines_visible_to,
    due_soon_deadlines_q,
    filings_visible_to,
    overdue_deadlines,
    users_who_see_case,
)
from casework.services.documents import document_request, template_for
from casework.services.filings import (
    ANSWERABLE,
    ESCALATABLE_OUTCOMES,
    EXTENDABLE,
    REGISTRABLE,
    SENDABLE,
    deadline_hand_over,
    escalation_targets,
    filing_create,
    filing_discard,
    filing_escalate,
    filing_mark_sent,
    filing_record_extension,
    filing_record_registration,
    filing_record_response,
    vvk_advice,
    vvk_record_result,
)

# Encrypted columns: loaded only on the filing page itself.
FILING_ENCRYPTED = ("tracking_number", "registration_number", "conclusion", "notes")
# A list shows the case's reference only.
CASE_ENCRYPTED = ("case__summary", "case__wishes")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _secret_input() -> forms.TextInput:
    # The browser must not remember or suggest these numbers.
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 30})


def _active_offices() -> QuerySet[AuthorityOffice]:
    return AuthorityOffice.objects.filter(is_active=True).order_by("jurisdiction", "kind", "name")


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()} ({obj.jurisdiction})"


# --- Forms, one per transition ----------------------------------------------------------------


class FilingCreateForm(OnceForm):
    case_reference = forms.CharField(
        label=_("case"), max_length=12, help_text=_("The case reference, e.g. K7M4-QX2P.")
    )
    office = OfficeChoiceField(label=_("office"), queryset=AuthorityOffice.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=FilingKind.choices)
    signer = forms.ChoiceField(label=_("signed by"), choices=Filing.Signer.choices)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(self, *args: Any, cases: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = cases
        self.fields["office"].queryset = _active_offices()  # type: ignore[attr-defined]

    def clean_case_reference(self) -> Case:
        reference = self.cleaned_data["case_reference"].strip().upper()
        case = self.cases.filter(reference=reference).first()
        if case is None:
            raise ValidationError(_("No case with this reference."))
        return case


class SentForm(forms.Form):
    sent_on = forms.DateField(label=_("sent on"), widget=_date_input())
    method = forms.ChoiceField(label=_("method"), choices=Filing.Method.choices)
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=60,
        required=False,
        widget=_secret_input(),
        help_text=_("Required for registered mail."),
    )
    received_on = forms.DateField(
        label=_("received by the authority on"),
        required=False,
        widget=_date_input(),
        help_text=_("If known. Until then the clock assumes receipt on the sending day."),
    )


class RegistrationForm(forms.Form):
    registration_number = forms.CharField(
        label=_("incoming number"), max_length=60, widget=_secret_input()
    )
    registered_on = forms.DateField(label=_("registered on"), widget=_date_input())


class ExtensionForm(forms.Form):
    notice_on = forms.DateField(label=_("extension notice dated"), widget=_date_input())


class ResponseForm(forms.Form):
    answered_on = forms.DateField(label=_("answered on"), widget=_date_input())
    outcome = forms.ChoiceField(label=_("outcome"), choices=Filing.Outcome.choices)
    forwarded_to = OfficeChoiceField(
        label=_("forwarded to"),
        queryset=AuthorityOffice.objects.none(),
        required=False,
        help_text=_("Only when the authority forwarded it: a new clock starts there."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forwarded_to"].queryset = _active_offices()  # type: ignore[attr-defined]


class EscalateForm(forms.Form):
    """Posting it is the confirmation; the page shows what would be proposed."""


class VvkResultForm(forms.Form):
    board_date = forms.DateField(label=_("board date"), widget=_date_input())
    category = forms.ChoiceField(label=_("fitness category"), choices=Filing.Category.choices)
    conclusion = forms.CharField(
        label=_("board conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


# --- What each transition calls ----------------------------------------------------------------


def _due_text(filing: Filing) -> str:
    return format_due(filing.due_at, filing.office.time_zone)


def _mark_sent(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_mark_sent(
        filing=filing,
        actor=acting_user(request),
        sent_on=data["sent_on"],
        method=data["method"],
        tracking_number=data["tracking_number"].strip(),
        received_on=data["received_on"],
    )
    messages.success(
        request,
        _("%(filing)s is marked sent; the answer is due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )


def _record_registration(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_registration(
        filing=filing,
        actor=acting_user(request),
        registration_number=data["registration_number"].strip(),
        registered_on=data["registered_on"],
    )
    messages.success(
        request,
        _("Registration recorded for %(filing)s; the answer is now due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )


def _record_extension(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_extension(
        filing=filing, actor=acting_user(request), notice_on=data["notice_on"]
    )
    messages.success(
        request,
        _("Extension recorded for %(filing)s; the answer is now due %(due)s.")
        % {"filing": filing.reference, "due": _due_text(filing)},
    )


def _record_response(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = filing_record_response(
        filing=filing,
        actor=acting_user(request),
        answered_on=data["answered_on"],
        outcome=data["outcome"],
        forwarded_to=data["forwarded_to"],
    )
    messages.success(
        request,
        _("The answer to %(filing)s is recorded (%(outcome)s).")
        % {"filing": filing.reference, "outcome": filing.get_outcome_display()},
    )


def _escalate(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    drafts = filing_escalate(filing=filing, actor=acting_user(request))
    messages.success(
        request,
        _("Drafts proposed: %(drafts)s. Review and send each one.")
        % {"drafts": ", ".join(draft.reference for draft in drafts)},
    )


def _record_vvk_result(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    filing = vvk_record_result(
        filing=filing,
        actor=acting_user(request),
        board_date=data["board_date"],
        category=data["category"],
        conclusion=data["conclusion"],
    )
    messages.success(request, _("Board result recorded for %(filing)s.") % {"filing": filing})
    advice = vvk_advice(filing)
    if advice:
        messages.warning(request, advice)


def _discard(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> str:
    reference = filing_discard(filing=filing, actor=acting_user(request))
    messages.success(request, _("Draft %(filing)s discarded.") % {"filing": reference})
    return reverse("admin:casework_case_change", args=[filing.case_id])  # the filing is gone


class DiscardForm(forms.Form):
    """Posting it is the confirmation."""


class DocumentForm(OnceForm):
    """Posting it asks for a new draft from the template in force now (a repeat asks once)."""


def _prepare_document(request: HttpRequest, filing: Filing, data: dict[str, Any]) -> None:
    document_request(filing=filing, actor=acting_user(request), token=data["token"] or None)
    messages.success(
        request, _("The draft is being prepared. It appears under Documents in a few seconds.")
    )


@dataclass(frozen=True)
class FilingAction:
    name: str
    label: Promise
    form_class: type[forms.Form]
    offered: Callable[[Filing], bool]  # whether to show the link; the service decides
    # Returns where to go next when not back to the filing's page.
    perform: Callable[[HttpRequest, Filing, dict[str, Any]], str | None]


def _escalatable(filing: Filing) -> bool:
    return filing.status == Filing.Status.OVERDUE or (
        filing.status == Filing.Status.ANSWERED and filing.outcome in ESCALATABLE_OUTCOMES
    )


ACTIONS = {
    action.name: action
    for action in (
        FilingAction("sent", _("Mark sent"), SentForm, lambda f: f.status in SENDABLE, _mark_sent),
        FilingAction(
            "registration",
            _("Record registration"),
            RegistrationForm,
            lambda f: f.status in REGISTRABLE,
            _record_registration,
        ),
        FilingAction(
            "extension",
            _("Record extension"),
            ExtensionForm,
            lambda f: f.status in EXTENDABLE,
            _record_extension,
        ),
        FilingAction(
            "response",
            _("Record response"),
            ResponseForm,
            lambda f: f.status in ANSWERABLE,
            _record_response,
        ),
        FilingAction("escalate", _("Escalate"), EscalateForm, _escalatable, _escalate),
        FilingAction(
            "vvk",
            _("Board result"),
            VvkResultForm,
            lambda f: f.kind == FilingKind.VVK_REQUEST,
            _record_vvk_result,
        ),
        # Offered in the page's Documents box (with the template it would use), not up here.
        FilingAction(
            "document", _("Prepare a document"), DocumentForm, lambda f: False, _prepare_document
        ),
        FilingAction(
            "discard",
            _("Discard draft"),
            DiscardForm,
            lambda f: f.status == Filing.Status.DRAFT,
            _discard,
        ),
    )
}


def action_url(filing: Filing, name: str) -> str:
    return reverse("admin:casework_filing_action", args=[filing.pk, name])


def offered_actions(filing: Filing) -> list[tuple[str, Promise]]:
    return [
        (action_url(filing, action.name), action.label)
        for action in ACTIONS.values()
        if action.offered(filing)
    ]


def filing_due(filing: Filing) -> str:
    rule = filing.rule
    if rule is None and filing.status != Filing.Status.DRAFT:
        # No rule version applied when it was sent: nobody computed a deadline for it.
        return due_with_marks(
            filing.due_at, time_zone=None, unverified=False, provisional=False, has_rule=False
        )
    return due_with_marks(
        filing.due_at,
        time_zone=filing.office.time_zone,
        unverified=rule is not None and not rule.is_verified,
        provisional=is_provisional(
            filing.due_at,
            filing.office.time_zone,
            getattr(filing, "published_through", None),
            filing.due_provisional,
        ),
    )


def deadline_due(deadline: Deadline) -> str:
    filing = deadline.filing
    time_zone = filing.office.time_zone if filing is not None else None
    rule = deadline.rule
    return due_with_marks(
        deadline.due_at,
        time_zone=time_zone,
        unverified=(not rule.is_verified) if rule is not None else deadline.unverified,
        provisional=is_provisional(
            deadline.due_at,
            time_zone,
            getattr(deadline, "published_through", None),
            deadline.provisional,
        ),
    )


# --- List filters -------------------------------------------------------------------------------


class CaseTeamFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Team.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(case__team=value) if value and value.isdigit() else queryset


class FilingWaitingFilter(admin.SimpleListFilter):
    title = _("waiting")
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("awaiting", _("awaiting a response")), ("overdue", _("overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "awaiting":
            return queryset.filter(status__in=AWAITING_RESPONSE)
        if self.value() == "overdue":
            return queryset.filter(status=Filing.Status.OVERDUE)
        return queryset


class DeadlineDueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("overdue")),
            ("week", _("in the next 7 days")),
            ("waiting", _("awaiting an authority's answer")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "overdue":
            return overdue_deadlines(queryset, timezone.now())
        if self.value() == "week":
            return queryset.filter(due_soon_deadlines_q(timezone.now()))
        if self.value() == "waiting":
            return queryset.filter(awaiting_response_deadlines_q())
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("responsible")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("me"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(responsible=request.user.pk) if self.value() == "1" else queryset


# --- Inlines on the case page: read-only summary rows -------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FilingInline(ReadOnlyInline):
    model = Filing
    fk_name = "case"
    verbose_name_plural = _("filings")
    fields = ("filing_reference", "office", "kind", "signer", "status", "due", "next_actions")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        queryset = (
            filings_visible_to(request.user)
            .select_related("office", "rule")
            .defer(*FILING_ENCRYPTED)
            .order_by("-created_at", "-pk")
        )
        return with_published_year(queryset, "office__jurisdiction")

    @admin.display(description=_("reference"))
    def filing_reference(self, filing: Filing) -> str:
        url = reverse("admin:casework_filing_change", args=[filing.pk])
        return format_html('<a href="{}">{}</a>', url, filing.reference)

    @admin.display(description=_("response due"))
    def due(self, filing: Filing) -> str:
        return filing_due(filing)

    @admin.display(description=_("next steps"))
    def next_actions(self, filing: Filing) -> str:
        return format_html_join(" · ", '<a href="{}">{}</a>', offered_actions(filing)) or "–"


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fk_name = "case"
    verbose_name_plural = _("open and missed deadlines")
    show_change_link = True  # the deadline's own page, where it can be handed over
    fields = ("kind", "due", "state", "filing", "responsible")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deadline]:
        queryset = (
            deadlines_visible_to(request.user)
            .filter(state__in=[Deadline.State.OPEN, Deadline.State.MISSED])
            .select_related("filing__office", "rule", "responsible")
            .defer(*(f"filing__{name}" for name in FILING_ENCRYPTED))
            .order_by("due_at", "pk")
        )
        return with_published_year(queryset, "filing__office__jurisdiction")

    @admin.display(description=_("due"))
    def due(self, deadline: Deadline) -> str:
        return deadline_due(deadline)


# --- The filing admin -------------------------------------------------------------------------


@admin.register(Filing, site=site)
class FilingAdmin(AuditedModelAdmin):
    audit_views = True  # the page shows registration numbers and board conclusions
    list_display = (
        "reference",
        "case_reference",
        "office",
        "kind",
        "signer",
        "status",
        "due",
    )
    list_select_related = ("case", "office", "rule")
    list_filter = (FilingWaitingFilter, "status", "kind", "office__jurisdiction", CaseTeamFilter)
    list_defer = (*FILING_ENCRYPTED, *CASE_ENCRYPTED)
    ordering = ("-id",)  # newest first, on the primary key index (creation order)
    list_per_page = 50
    readonly_fields = ("due_display", "advice")
    fieldsets = [
        (None, {"fields": ("reference", "case", "office", "kind", "signer", "status")}),
        (_("Response clock"), {"fields": ("due_display", "rule", "escalates")}),
        (
            _("Sending"),
            {"fields": ("sent_on", "method", "tracking_number", "received_on", "received_at")},
        ),
        (
            _("At the authority"),
            {
                "fields": (
                    "registration_number",
                    "registered_on",
                    "extension_notice_on",
                    "extensions",
                    "answered_on",
                    "outcome",
                    "forwarded_to",
                )
            },
        ),
        (_("Medical board"), {"fields": ("board_date", "fitness_category", "conclusion")}),
        (_("Record"), {"fields": ("notes", "created_by", "created_at")}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        queryset = ordered(self, request, filings_visible_to(request.user))
        return with_published_year(queryset, "office__jurisdiction")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.kind != FilingKind.VVK_REQUEST:
            return [fieldset for fieldset in self.fieldsets if fieldset[0] != _("Medical board")]
        return self.fieldsets

    # The page itself is read-only: every change is a transition with its own form.
    def may_act(self, request: HttpRequest, filing: Filing | None = None) -> bool:
        return super().has_change_permission(request, filing)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # filings are the record of what was sent

    # --- Columns

    @admin.display(description=_("case"), ordering="case__reference")
    def case_reference(self, filing: Filing) -> str:
        url = reverse("admin:casework_case_change", args=[filing.case_id])
        return format_html('<a href="{}">{}</a>', url, filing.case.reference)

    @admin.display(description=_("response due"), ordering="due_at")
    def due(self, filing: Filing) -> str:
        return filing_due(filing)

    @admin.display(description=_("response due"))
    def due_display(self, filing: Filing) -> str:
        return filing_due(filing)

    @admin.display(description=_("advice"))
    def advice(self, filing: Filing) -> str:
        return vvk_advice(filing)

    # --- The filing page: next steps, advice, its clocks and the filings it led to

    def change_page_extra(self, request: HttpRequest, obj: Filing) -> dict[str, Any]:
        return {
            "filing_actions": offered_actions(obj) if self.may_act(request, obj) else [],
            "vvk_advice": vvk_advice(obj),
            "deadlines": [
                (deadline, deadline_due(deadline))
                for deadline in with_published_year(
                    deadlines_visible_to(request.user)
                    .filter(filing=obj)
                    .select_related("filing__office", "rule", "responsible")
                    .order_by("due_at", "pk"),
                    "filing__office__jurisdiction",
                )
            ],
            "escalations": filings_visible_to(request.user)
            .filter(escalates=obj)
            .select_related("office")
            .defer(*FILING_ENCRYPTED)
            .order_by("pk"),
            # The drafts made for it (their text stays in the row until someone downloads it).
            "documents": obj.documents.select_related("template").defer("content"),
            "document_template": template_for(obj),
            "document_form": DocumentForm() if self.may_act(request, obj) else None,
            "document_url": action_url(obj, "document"),
        }

    # --- Custom views: creating a draft, and one page per transition

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # login, second factor, never_cache, CSRF
        return [
            path(
                "<path:object_id>/do/<slug:action>/",
                wrap(self.action_view),
                name="casework_filing_action",
            ),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("notes"))
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """A draft filing for a case (office, kind, signer): `filing_create`."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        cases = cases_visible_to(request.user)
        initial: dict[str, Any] = {}
        case_pk = request.GET.get("case", "")
        if case_pk.isdigit():
            reference = cases.filter(pk=case_pk).values_list("reference", flat=True).first()
            initial["case_reference"] = reference or ""
        data = request.POST if request.method == "POST" else None
        form = FilingCreateForm(data, cases=cases, initial=initial)
        if data is not None and form.is_valid():
            values = form.cleaned_data
            try:
                filing = filing_create(
                    case=values["case_reference"],
                    office=values["office"],
                    kind=values["kind"],
                    signer=values["signer"],
                    notes=values["notes"],
                    actor=acting_user(request),
                    token=values["token"],
                )
            except CaseworkError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Draft %(filing)s created.") % {"filing": filing.reference},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:casework_filing_change", args=[filing.pk])
                )
        return self.page(request, "admin/casework/filing/create.html", _("New filing"), form=form)

    @method_decorator(sensitive_post_parameters())
    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """GET: the transition's form (and what it would do). POST: call its service."""
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404
        filing, answer = self.object_or_answer(
            request, object_id, lambda filing: self.may_act(request, filing)
        )
        if answer is not None:
            return answer
        change_url = reverse("admin:casework_filing_change", args=[filing.pk])
        data = request.POST if request.method == "POST" else None
        form = spec.form_class(data)
        if data is not None and form.is_valid():
            try:
                next_url = spec.perform(request, filing, form.cleaned_data)
            except CaseworkError as error:
                # The service rolled everything back; the same form comes back as typed.
                self.message_user(request, error.message, messages.ERROR)
            else:
                dashboard_forget(request.user)  # their own numbers changed; count again
                return HttpResponseRedirect(next_url or change_url)
        proposals = []
        if spec.name == "escalate":
            proposals = [
                {"step": step, "office": office} for step, office in escalation_targets(filing)
            ]
        return self.page(
            request,
            "admin/casework/filing/action.html",
            spec.label,
            original=filing,
            action=spec,
            form=form,
            change_url=change_url,
            due=filing_due(filing),
            proposals=proposals,
            vvk_advice=vvk_advice(filing),
        )


class HandOverForm(forms.Form):
    responsible: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Who answers for it now"),
        queryset=None,
        help_text=_("Only people who can open this case are listed."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = candidates


# --- The deadline list --------------------------------------------------------------------------


@admin.register(Deadline, site=site)
class DeadlineAdmin(AuditedModelAdmin):
    list_display = ("due", "kind", "state", "case_reference", "filing", "responsible")
    list_select_related = ("case", "filing__office", "rule", "responsible")
    list_filter = (DeadlineDueFilter, MineFilter, "state", "kind", CaseTeamFilter)
    list_defer = (*CASE_ENCRYPTED, *(f"filing__{name}" for name in FILING_ENCRYPTED))
    ordering = ("due_at", "pk")
    list_per_page = 50
    fields = (
        "case",
        "filing",
        "kind",
        "due_display",
        "state",
        "basis",
        "rule",
        "responsible",
        "backup_team",
        "created_at",
        "closed_at",
        "reminded_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deadline]:
        queryset = ordered(self, request, deadlines_visible_to(request.user))
        return with_published_year(queryset, "filing__office__jurisdiction")

    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # clocks move only through the filing and rule services

    def may_hand_over(self, request: HttpRequest, deadline: Deadline) -> bool:
        # Who answers for a clock is the one thing staff change by hand (deadline_hand_over).
        return deadline.state in (Deadline.State.OPEN, Deadline.State.MISSED) and bool(
            request.user.has_perm("casework.change_deadline")
        )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # login, second factor, never_cache, CSRF
        return [
            path(
                "<path:object_id>/hand-over/",
                wrap(self.hand_over_view),
                name="casework_deadline_hand_over",
            ),
            *super().get_urls(),
        ]

    def change_page_extra(self, request: HttpRequest, obj: Deadline) -> dict[str, Any]:
        return {"may_hand_over": self.may_hand_over(request, obj)}

    def hand_over_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: who could answer for this clock instead. POST: `deadline_hand_over`."""
        deadline, answer = self.object_or_answer(
            request, object_id, lambda deadline: self.may_hand_over(request, deadline)
        )
        if answer is not None:
            return answer
        change_url = reverse("admin:casework_deadline_change", args=[deadline.pk])
        data = request.POST if request.method == "POST" else None
        form = HandOverForm(data, candidates=users_who_see_case(deadline.case))
        if data is not None and form.is_valid():
            previous = deadline.responsible
            try:
                deadline_hand_over(
                    deadline=deadline,
                    responsible=form.cleaned_data["responsible"],
                    actor=acting_user(request),
                )
            except CaseworkError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                # Whose overview numbers changed: count them again on their next view.
                for person in {request.user, previous, form.cleaned_data["responsible"]} - {None}:
                    dashboard_forget(person)
                self.message_user(
                    request,
                    _("%(person)s now answers for this deadline.")
                    % {"person": form.cleaned_data["responsible"]},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        return self.page(
            request,
            "admin/casework/deadline/hand_over.html",
            _("Hand over a deadline"),
            original=deadline,
            due=deadline_due(deadline),
            form=form,
            change_url=change_url,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clocks are opened by the filing services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, deadline: Deadline) -> str:
        return deadline_due(deadline)

    @admin.display(description=_("due"))
    def due_display(self, deadline: Deadline) -> str:
        return deadline_due(deadline)

    @admin.display(description=_("case"), ordering="case__reference")
    def case_reference(self, deadline: Deadline) -> str:
        url = reverse("admin:casework_case_change", args=[deadline.case_id])
        return format_html('<a href="{}">{}</a>', url, deadline.case.reference)
