"""The audit trail in the admin: read-only for everyone, superusers included."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casework.admin.base import ordered
from casework.admin.site import site
from casework.models import AuditEvent
from casework.selectors import audit_events_visible_to


@admin.register(AuditEvent, site=site)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "object_type", "object_reference", "actor", "detail")
    list_select_related = ("actor",)
    list_filter = ("action", "object_type")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return ordered(self, request, audit_events_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
