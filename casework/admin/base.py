"""What every caseworker ModelAdmin shares: saves and deletes through audited services."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.debug import sensitive_post_parameters

from casework.services.records import record_delete, record_save, record_view_audit

ModelT = TypeVar("ModelT", bound=models.Model)


def ordered(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ModelT]
) -> QuerySet[ModelT]:
    """A selector's queryset in the admin's default order, as ModelAdmin.get_queryset would."""
    ordering = model_admin.get_ordering(request)
    return queryset.order_by(*ordering) if ordering else queryset


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff member: every admin view runs behind the site's login check."""
    return cast(User, request.user)


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows: an exact COUNT(*) of a large table costs more than the
    page itself, and nobody pages past the first thousand rows (filters narrow the list)."""

    COUNT_CAP = 1000

    @cached_property
    def count(self) -> int:
        return int(self.object_list[: self.COUNT_CAP + 1].count())  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return self.count > self.COUNT_CAP


class DeferringChangeList(ChangeList):
    """A list page that never loads (so never decrypts) the columns in `list_defer`."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        queryset = super().get_queryset(request, exclude_parameters)
        defer = getattr(self.model_admin, "list_defer", ())
        return queryset.defer(*defer) if defer else queryset


@method_decorator(sensitive_post_parameters(), name="changeform_view")
class AuditedModelAdmin(admin.ModelAdmin):
    """Writes go through the record services; subclasses with rules override the hooks."""

    # Encrypted columns a list page does not show: decrypting them for every row costs time.
    list_defer: tuple[str, ...] = ()
    paginator = CappedCountPaginator

    # Set on admins of records holding personal data: opening their page is audited.
    audit_views = False
    # Counting every row on each page load is slow on big tables and says nothing useful.
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DeferringChangeList

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        record_save(obj=obj, actor=request.user, changed=form.changed_data)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_delete(obj=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # One audited delete per row, never a bulk delete that skips the audit.
        for obj in queryset:
            self.delete_model(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        # Reached only for an object the user may see; a missing one redirects before this.
        if self.audit_views and change and obj is not None and request.method == "GET":
            self.record_view(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def record_view(self, request: HttpRequest, obj: Any) -> None:
        record_view_audit(obj=obj, actor=request.user)
