"""What every caseworker ModelAdmin shares: saves and deletes through audited services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminTextInputWidget, ForeignKeyRawIdWidget
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.debug import sensitive_post_parameters

from casework.crypto import EncryptedCharField, EncryptedDateField
from casework.exceptions import CaseworkError
from casework.services.records import record_delete, record_save, record_view_audit
from casework.services.submissions import submission_token_new

ModelT = TypeVar("ModelT", bound=models.Model)

# A typed date as the staff write it (dd.mm.yyyy) or as the browser's date picker sends it.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]

# Encrypted columns are text in the database, so the admin would give each a five-line textarea;
# a name, a unit or a date is one line (a date with the browser's picker).
ENCRYPTED_FORMFIELDS: dict[type[models.Field], dict[str, Any]] = {
    EncryptedCharField: {"widget": AdminTextInputWidget},
    EncryptedDateField: {
        "form_class": forms.DateField,
        "input_formats": DATE_INPUT_FORMATS,
        "widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    },
}


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


class OnceForm(forms.Form):
    """A form with a one-time token: a double tap or a reload creates its row once.

    The view hands `token` to a service that stores it (services/submissions.py). A page opened
    before the token existed posts none and is simply not protected.
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("token", submission_token_new())  # a bound form keeps its own


class VisibleRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id input, labelled (with the record's reference) only for a record in `queryset`.

    Django looks the typed id up through the default manager, so a form sent back with another
    team's id would show that record's reference beside the field.
    """

    def __init__(
        self, rel: Any, admin_site: admin.AdminSite, queryset: QuerySet[Any], **kwargs: Any
    ):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            visible = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            visible = False  # not an id at all
        return super().label_and_url_for_value(value) if visible else ("", "")


class CaseworkStyle:
    """Our stylesheet on every page of a model admin, lists included. (Django's base template
    cannot be overridden from this app, which comes after the admin in INSTALLED_APPS.)"""

    class Media:
        css = {"all": ("casework/admin.css",)}


@method_decorator(sensitive_post_parameters(), name="changeform_view")
class AuditedModelAdmin(CaseworkStyle, admin.ModelAdmin):
    """Writes go through the record services; subclasses with rules override the hooks."""

    # Encrypted columns a list page does not show: decrypting them for every row costs time.
    list_defer: tuple[str, ...] = ()
    paginator = CappedCountPaginator
    formfield_overrides = ENCRYPTED_FORMFIELDS

    # Set on admins of records holding personal data: opening their page is audited.
    audit_views = False
    # Counting every row on each page load is slow on big tables and says nothing useful.
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DeferringChangeList

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # A raw-id field labels an id only from the queryset the subclass limited the field to
        # (a selector: what this user may see); a field left unlimited shows no label at all.
        if db_field.name in self.raw_id_fields and "widget" not in kwargs:
            model = db_field.remote_field.model
            kwargs["widget"] = VisibleRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                kwargs.get("queryset", model._default_manager.none()),
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        # Every render is a read, whatever the method: a form sent back with a mistake shows
        # the record as much as opening it does (a successful save redirects, never renders).
        if self.audit_views and change and obj is not None:
            self.record_view(request, obj)
        if obj is not None:
            context.update(self.change_page_extra(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CaseworkError as error:
            # A service refused the save after the form was valid: only a race gets here (a
            # rule became used, a template code was taken meanwhile). The save rolled back.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def change_page_extra(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """What a subclass shows on an existing object's page beside the form."""
        return {}

    def record_view(self, request: HttpRequest, obj: Any) -> None:
        record_view_audit(obj=obj, actor=request.user)

    def object_or_answer(
        self, request: HttpRequest, object_id: str, may: Callable[[Any], bool]
    ) -> tuple[Any, HttpResponse | None]:
        """The object one of this admin's own views acts on, or the answer to give instead.

        A missing object (another team's is not there) gets exactly the admin's own answer, a
        redirect with a message; an object the user may see but not act on (`may`) gets 403.
        """
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            not_found = self._get_obj_does_not_exist_redirect  # type: ignore[attr-defined]
            return None, not_found(request, self.opts, object_id)
        if not may(obj):
            raise PermissionDenied
        return obj, None

    def page(
        self, request: HttpRequest, template: str, title: Any, **context: Any
    ) -> TemplateResponse:
        """One of this admin's own pages (a form, a confirmation), framed like the admin's."""
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "subtitle": None,
                "opts": self.opts,
                **context,
            },
        )
