"""The deadline list and page, and handing a clock over to someone else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework import permissions
from casework.admin.base import AuditedModelAdmin, acting_user, ordered
from casework.admin.dashboard import dashboard_forget
from casework.admin.filings.display import (
    CASE_ENCRYPTED,
    FILING_ENCRYPTED,
    deadline_due,
    deadline_state_now,
)
from casework.admin.filings.filters import CaseTeamFilter, DeadlineDueFilter, MineFilter
from casework.admin.filings.forms import HandOverForm
from casework.admin.marks import with_published_year
from casework.admin.site import site
from casework.exceptions import CaseworkError
from casework.formats import basis_readable
from casework.models import Deadline
from casework.selectors import (
    deadlines_visible_to,
    users_who_see_case,
)
from casework.services.filings import (
    deadline_hand_over,
)


@admin.register(Deadline, site=site)
class DeadlineAdmin(AuditedModelAdmin):
    audit_views = True  # a follow-up's page shows its words (`note`), which may be personal
    list_display = ("due", "kind", "state_now", "case_reference", "filing", "responsible")
    list_select_related = ("case", "filing__office", "rule", "responsible")
    list_filter = (DeadlineDueFilter, MineFilter, "state", "kind", CaseTeamFilter)
    list_defer = ("note", *CASE_ENCRYPTED, *(f"filing__{name}" for name in FILING_ENCRYPTED))
    ordering = ("due_at", "pk")
    list_per_page = 50
    fields = (
        "case",
        "filing",
        "kind",
        "note",
        "due_display",
        "state_now",
        "basis_display",
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
        return deadline.state in (Deadline.State.OPEN, Deadline.State.MISSED) and permissions.may(
            request.user, permissions.Action.DEADLINE_HAND_OVER
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

    state_now = staticmethod(deadline_state_now)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clocks are opened by the filing services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, deadline: Deadline) -> str:
        return deadline_due(deadline)

    @admin.display(description=capfirst(Deadline._meta.get_field("basis").verbose_name))
    def basis_display(self, deadline: Deadline) -> str:
        return basis_readable(deadline.basis)

    @admin.display(description=_("due"))
    def due_display(self, deadline: Deadline) -> str:
        return deadline_due(deadline)

    @admin.display(description=_("case"), ordering="case__reference")
    def case_reference(self, deadline: Deadline) -> str:
        url = reverse("admin:casework_case_change", args=[deadline.case_id])
        return format_html('<a href="{}">{}</a>', url, deadline.case.reference)
