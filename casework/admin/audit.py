"""The audit trail in the admin: read-only for everyone, superusers included."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework.admin.base import CaseworkStyle, ordered
from casework.admin.site import site
from casework.models import AuditEvent
from casework.selectors import audit_events_visible_to

# What events are about besides records: a named thing stands as type and reference alike.
NAMED = {"statistics": _("statistics"), "lockdown": _("lockdown")}


def object_type_named(object_type: str) -> str:
    """The kind of record an event is about, by its model's name in the reader's language."""
    if object_type in NAMED:
        return str(NAMED[object_type])
    for app_label in ("casework", "auth"):
        try:
            return str(apps.get_model(app_label, object_type)._meta.verbose_name)
        except LookupError:
            continue
    return object_type


class ObjectTypeFilter(admin.SimpleListFilter):
    """Django's own filter on the column, with each kind of record by its name."""

    title = AuditEvent._meta.get_field("object_type").verbose_name
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        kinds = model_admin.get_queryset(request).order_by().values_list("object_type", flat=True)
        return sorted(
            ((kind, object_type_named(kind)) for kind in kinds.distinct() if kind),
            key=lambda pair: pair[1],
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> Any:
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent, site=site)
class AuditEventAdmin(CaseworkStyle, admin.ModelAdmin):
    list_display = ("at", "action", "object_named", "reference_shown", "actor", "detail_shown")
    list_select_related = ("actor",)
    list_filter = ("action", ObjectTypeFilter)
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    show_full_result_count = False
    fields = ("at", "actor", "action", "object_named", "reference_shown", "detail_shown")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return ordered(self, request, audit_events_visible_to(request.user))

    @admin.display(description=capfirst(AuditEvent._meta.get_field("object_type").verbose_name))
    def object_named(self, event: AuditEvent) -> str:
        return object_type_named(event.object_type)

    @admin.display(
        description=capfirst(AuditEvent._meta.get_field("object_reference").verbose_name),
        ordering="object_reference",
    )
    def reference_shown(self, event: AuditEvent) -> str:
        return str(NAMED.get(event.object_reference, event.object_reference))

    # The detail is the record as written (field names, codes, references), in a code font: it
    # is for checking what happened, the same in every language, not a sentence to translate.
    @admin.display(description=capfirst(AuditEvent._meta.get_field("detail").verbose_name))
    def detail_shown(self, event: AuditEvent) -> str:
        if not event.detail:
            return "–"
        return format_html("<code>{}</code>", json.dumps(event.detail, ensure_ascii=False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
