"""List filters of the filing and deadline lists; each asks a selector for its rule."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Filing
from casework.selectors import (
    awaiting_response_deadlines_q,
    due_soon_deadlines_q,
    overdue_deadlines,
    teams_by_name,
)


class CaseTeamFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in teams_by_name()]

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
            return queryset.filter(status__in=Filing.AWAITING_RESPONSE)
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
