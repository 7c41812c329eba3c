"""Read-only summary rows of filings and deadlines on the case page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from casework.admin.filings.display import (
    FILING_ENCRYPTED,
    deadline_due,
    deadline_state_now,
    filing_due,
    filing_status_now,
)
from casework.admin.filings.transitions import offered_actions
from casework.admin.marks import with_published_year
from casework.models import Deadline, Filing
from casework.selectors import (
    deadlines_visible_to,
    filings_visible_to,
)


class ReadOnlyInline(admin.TabularInline):
    # Django's table with a label for each input and no empty header cell (accessibility).
    template = "admin/casework/edit_inline/tabular.html"
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
    fields = ("filing_reference", "office", "kind", "signer", "status_now", "due", "next_actions")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Filing]:
        queryset = (
            filings_visible_to(request.user)
            .select_related("office", "rule")
            .defer(*FILING_ENCRYPTED)
            .order_by("-created_at", "-pk")
        )
        return with_published_year(queryset, "office__jurisdiction")

    status_now = staticmethod(filing_status_now)

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
    fields = ("kind", "due", "state_now", "filing", "responsible")
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

    state_now = staticmethod(deadline_state_now)

    @admin.display(description=_("due"))
    def due(self, deadline: Deadline) -> str:
        return deadline_due(deadline)
