"""The filing page: read-only fields, its clocks, documents and escalations, one form per step,
and the page that creates a draft."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from casework import permissions
from casework.admin.base import AuditedModelAdmin, acting_user, ordered
from casework.admin.dashboard import dashboard_forget
from casework.admin.filings.display import (
    CASE_ENCRYPTED,
    FILING_ENCRYPTED,
    deadline_due,
    filing_due,
    filing_status_now,
)
from casework.admin.filings.filters import CaseTeamFilter, FilingWaitingFilter
from casework.admin.filings.forms import DocumentForm, FilingCreateForm, ShareForm, UploadForm
from casework.admin.filings.transitions import ACTIONS, action_url, offered_actions
from casework.admin.marks import with_published_year
from casework.admin.site import site
from casework.exceptions import CaseworkError
from casework.models import Filing, FilingKind
from casework.portal.upload_handlers import memory_uploads
from casework.selectors import (
    cases_visible_to,
    deadlines_visible_to,
    document_shares_of_filing,
    escalation_targets,
    filing_attachments,
    filings_visible_to,
    live_filing_offices,
    template_for,
)
from casework.services.filings import (
    filing_create,
    vvk_advice,
)
from casework.uploads import describe_found


@admin.register(Filing, site=site)
class FilingAdmin(AuditedModelAdmin):
    audit_views = True  # the page shows registration numbers and board conclusions
    list_display = (
        "reference",
        "case_reference",
        "office",
        "kind",
        "signer",
        "status_now",
        "due",
    )
    list_select_related = ("case", "office", "rule")
    list_filter = (FilingWaitingFilter, "status", "kind", "office__jurisdiction", CaseTeamFilter)
    list_defer = (*FILING_ENCRYPTED, *CASE_ENCRYPTED)
    ordering = ("-id",)  # newest first, on the primary key index (creation order)
    list_per_page = 50
    readonly_fields = ("status_now", "due_display", "advice")
    fieldsets = [
        (None, {"fields": ("reference", "case", "office", "kind", "signer", "status_now")}),
        (
            _("Response clock"),
            {"fields": ("due_display", "rule", "life_or_health_at_risk", "escalates")},
        ),
        (
            _("Sending"),
            {
                "fields": (
                    "sent_on",
                    "method",
                    "tracking_number",
                    "proof",
                    "proof_to_follow",
                    "received_on",
                    "received_at",
                )
            },
        ),
        (
            _("At the authority"),
            {
                "fields": (
                    "registration_number",
                    "registered_on",
                    "extension_notice_on",
                    "extended_to",
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
        return permissions.may(request.user, permissions.Action.FILING_ACT)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # filings are the record of what was sent

    # --- Columns

    status_now = staticmethod(filing_status_now)

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
            # Sharing writes to the family: only for those who may edit the case.
            "share_form": ShareForm() if self.may_share(request, obj) else None,
            "share_url": action_url(obj, "share"),
            "unshare_url": action_url(obj, "unshare"),
            "shares": document_shares_of_filing(filing=obj),
            "scans": [
                (attachment, describe_found(attachment.metadata_found))
                for attachment in filing_attachments(obj)
            ],
            "upload_form": UploadForm() if self.may_upload(request) else None,
            "upload_url": action_url(obj, "upload"),
        }

    def may_share(self, request: HttpRequest, filing: Filing) -> bool:
        return self.may_act(request, filing) and permissions.may(
            request.user, permissions.Action.CASE_EDIT
        )

    def may_upload(self, request: HttpRequest) -> bool:
        return self.may_act(request) and permissions.may(
            request.user, permissions.Action.ATTACHMENT_ADD
        )

    # --- Custom views: creating a draft, and one page per transition

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # login, second factor, never_cache, CSRF
        return [
            path(
                "<path:object_id>/do/<slug:action>/",
                # Scans arrive here (mark sent, the answer, a later upload): read in memory.
                wrap(memory_uploads(self.action_view)),
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
        jurisdiction = None
        case_pk = request.GET.get("case", "")
        if case_pk.isdigit():
            known = (
                cases.filter(pk=case_pk)
                .values_list("reference", "serviceman__jurisdiction")
                .first()
            )
            initial["case_reference"], jurisdiction = known or ("", None)
        data = request.POST if request.method == "POST" else None
        form = FilingCreateForm(data, cases=cases, initial=initial, jurisdiction=jurisdiction)
        if data is not None and form.is_valid():
            values = form.cleaned_data
            try:
                filing = filing_create(
                    case=values["case_reference"],
                    office=values["office"],
                    kind=values["kind"],
                    signer=values["signer"],
                    notes=values["notes"],
                    life_or_health_at_risk=values["life_or_health_at_risk"],
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
        form = spec.form_class(data, request.FILES if data is not None else None)
        if hasattr(form, "for_filing"):
            form.for_filing(filing)  # choices that depend on the filing (its office's country)
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
            targets = escalation_targets(filing)
            live = live_filing_offices(
                case=filing.case, office_ids=[office.pk for _, office in targets if office]
            )
            # A live filing to the same office (a draft, or one still awaiting its answer): a
            # second one would ask twice; the page says so beside that step.
            proposals = [
                {"step": step, "office": office, "already_live": bool(office and office.pk in live)}
                for step, office in targets
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
