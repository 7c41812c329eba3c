"""Staff accounts, their devices, API tokens and the emergency controls, for administrators.

The default `admin.site` is not mounted, so the library admins are registered here as well,
without their free-text search: a GET search would put a person's name in the URL. New staff
are invited (a one-time enrolment link), never given a password by someone else. Administrators
get what their job needs and nothing that would let them become someone else: no page shows a
device's secret or a backup code, no page sets another person's password, and roles and
activation change through the audited services, which refuse a change to one's own account.
API tokens: each person makes their own (shown once); administrators list and revoke them all.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.admin.base import CaseworkStyle, acting_user
from casework.admin.site import site
from casework.exceptions import CaseworkError
from casework.models import ApiToken, AuthenticatorDevice, BackupCodeDevice, SiteState, Team
from casework.roles import Role, is_administrator
from casework.selectors import api_tokens_visible_to, staff_away_until
from casework.services.api_tokens import api_token_create, api_token_revoke
from casework.services.staff import (
    StaffAccountError,
    emergency_sign_out,
    lockdown_set,
    staff_account_change_check,
    staff_account_update,
    staff_away_set,
    staff_device_reset,
    staff_invite,
    staff_offboard,
    staff_password_reset_link,
    staff_role_of,
)

ROLE_CHOICES = [(r.value, r.value) for r in Role]
# django-otp's device pages that show a secret (configuration and QR code).
SECRET_PAGES = ("config", "qrcode")


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email for reminders"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False
    )


class AwayForm(forms.Form):
    away_until = forms.DateField(
        label=_("Away until (inclusive)"),
        required=False,
        help_text=_(
            "Meanwhile your reminders go to your team's coordinators. Leave empty when back."
        ),
    )


class StaffChangeForm(forms.ModelForm):
    """Email, role, activation and an absence: no password, no groups or permissions, no
    superuser flag."""

    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    away_until = AwayForm.base_fields["away_until"]
    actor: User  # set by StaffAdmin.get_form: the administrator making the change

    class Meta:
        model = User
        fields = ("email", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = staff_role_of(self.instance) if self.instance.pk else None
        self.fields["role"].initial = role.value if role else None
        if self.instance.pk:
            self.fields["away_until"].initial = staff_away_until(self.instance)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "role" in data and "is_active" in data:
            try:  # the service's own rule, so the form shows the refusal next to the fields
                staff_account_change_check(
                    user=self.instance,
                    actor=self.actor,
                    role=Role(data["role"]),
                    active=data["is_active"],
                )
            except StaffAccountError as exc:
                raise forms.ValidationError(exc.message) from None
        return data


class StaffAdmin(CaseworkStyle, UserAdmin):
    search_fields = ()
    list_display = ("username", "is_active", "reminders_by_email", "is_staff", "last_login")
    list_filter = ("is_active", "groups")
    actions = ["reset_second_factor", "issue_password_link", "offboard", "sign_out_everyone"]
    form = StaffChangeForm  # type: ignore[assignment]
    fieldsets = (
        (None, {"fields": ("username", "email", "role", "is_active", "away_until")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("username", "last_login", "date_joined")
    filter_horizontal = ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": acting_user(request)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        staff_account_update(
            user=obj,
            actor=acting_user(request),
            email=form.cleaned_data["email"],
            role=Role(form.cleaned_data["role"]),
            active=form.cleaned_data["is_active"],
        )
        if "away_until" in form.changed_data:
            staff_away_set(
                user=obj, actor=acting_user(request), away_until=form.cleaned_data["away_until"]
            )

    @admin.display(description=_("reminders"))
    def reminders_by_email(self, obj: User) -> str:
        # Flags the people no reminder email can reach: theirs go to their team's coordinators.
        if obj.email:
            return str(_("by email"))
        return str(_("NO EMAIL: to the team's coordinators"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing: the form has no relations (roles are saved by the service)."""

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Nobody sets another person's password: a forgotten one is replaced through a new
        # enrolment link ("Reset the second factor"), a known one by its owner.
        raise PermissionDenied

    def get_urls(self) -> list[URLPattern]:
        # admin_view adds the login, second-factor and never-cache wrappers.
        invite = path("invite/", self.admin_site.admin_view(self.invite_view), name="staff_invite")
        away = path("away/", self.admin_site.admin_view(self.away_view), name="staff_away")
        return [invite, away, *super().get_urls()]

    def away_view(self, request: HttpRequest) -> HttpResponse:
        """Anyone signed in says until when they are away (their own absence only)."""
        user = acting_user(request)
        data = request.POST if request.method == "POST" else None
        form = AwayForm(data, initial={"away_until": staff_away_until(user)})
        if data is not None and form.is_valid():
            try:
                staff_away_set(user=user, actor=user, away_until=form.cleaned_data["away_until"])
            except CaseworkError as exc:
                form.add_error("away_until", exc.message)
            else:
                self.message_user(request, _("Saved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:index"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Away until"),
        }
        return TemplateResponse(request, "admin/casework/staff_away.html", context)

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Nobody sets another person's password: new staff always enrol through a link.
        return HttpResponseRedirect(reverse("admin:staff_invite"))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return super().get_actions(request) if is_administrator(request.user) else {}

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not is_administrator(request.user):
            raise PermissionDenied
        form = InviteForm(request.POST or None)
        link = None
        if request.method == "POST" and form.is_valid():
            try:
                _user, link = staff_invite(
                    username=form.cleaned_data["username"],
                    email=form.cleaned_data["email"],
                    role=Role(form.cleaned_data["role"]),
                    teams=list(form.cleaned_data["teams"]),
                    actor=acting_user(request),
                )
            except CaseworkError as exc:
                form.add_error("username", exc.message)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "link": link,
            "title": _("Invite a staff member"),
        }
        return TemplateResponse(request, "admin/casework/staff_invite.html", context)

    @admin.action(description=_("Reset the second factor (lost phone) and issue a new link"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse:
        links = []
        for user in queryset:
            try:
                links.append(
                    (user.username, staff_device_reset(user=user, actor=acting_user(request)))
                )
            except CaseworkError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "links": links,
            "title": _("New enrolment links"),
        }
        return TemplateResponse(request, "admin/casework/staff_links.html", context)

    @admin.action(description=_("Issue a password reset link (keeps the second factor)"))
    def issue_password_link(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse:
        links = []
        for user in queryset:
            try:
                link = staff_password_reset_link(user=user, actor=acting_user(request))
            except CaseworkError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
                continue
            links.append((user.username, link))
        context = {
            **self.admin_site.each_context(request),
            "links": links,
            "password_links": True,
            "title": _("Password reset links"),
        }
        return TemplateResponse(request, "admin/casework/staff_links.html", context)

    @admin.action(description=_("Offboard: deactivate, sign out, hand over cases and deadlines"))
    def offboard(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                done = staff_offboard(user=user, actor=acting_user(request))
            except CaseworkError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                _(
                    "%(user)s offboarded: signed out everywhere, %(tokens)d tokens revoked, "
                    "%(cases)d cases and %(deadlines)d deadlines handed over."
                )
                % {"user": user.username, **done.__dict__},
                messages.SUCCESS,
            )

    @admin.action(description=_("EMERGENCY: end every staff session and revoke every token"))
    def sign_out_everyone(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        people, tokens = emergency_sign_out(actor=acting_user(request))
        self.message_user(
            request,
            _("Every staff session has ended (people: %(people)d); API tokens revoked: %(tokens)d.")
            % {"people": people, "tokens": tokens},
            messages.WARNING,
        )


class SiteStateAdmin(CaseworkStyle, admin.ModelAdmin):
    """The lockdown switch: one row, changed through the audited service."""

    fields = ("lockdown",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        state, _created = SiteState.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:casework_sitestate_change", args=[state.pk]))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        lockdown_set(enabled=obj.lockdown, actor=acting_user(request))


class StaffGroupAdmin(CaseworkStyle, GroupAdmin):
    search_fields = ()


class DeviceAdmin(CaseworkStyle, admin.ModelAdmin):
    """Who has which device, read-only. Never its secret or codes: an administrator holding a
    colleague's second factor could become them. Devices go only with the audited reset."""

    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    list_display = fields
    list_filter = ("confirmed",)
    list_select_related = ("user",)

    def get_urls(self) -> list[URLPattern]:
        # django-otp's configuration and QR pages would show the secret: nothing is there.
        gone = [path(f"<path:object_id>/{name}/", self.nothing_here) for name in SECRET_PAGES]
        return [*gone, *super().get_urls()]

    def nothing_here(self, request: HttpRequest, object_id: str) -> HttpResponse:
        raise Http404

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ApiTokenForm(forms.Form):
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366)


class ApiTokenAdmin(CaseworkStyle, admin.ModelAdmin):
    """API tokens: a person makes their own here (the token is shown once, only its keyed hash
    is kept); administrators see everyone's and revoke them. Nobody makes one for someone else:
    an administrator holding a coordinator's token could read cases as them."""

    list_display = ("__str__", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    fields = ("prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return api_tokens_visible_to(request.user)

    def _staff(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._staff(request)  # which rows: get_queryset (the selector)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # revoked, never deleted: the list shows what existed

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiTokenForm(
            request.POST if request.method == "POST" else None,
            initial={"days": settings.API_TOKEN_DAYS},
        )
        raw = None
        if request.method == "POST" and form.is_valid():
            actor = acting_user(request)
            try:
                _token, raw = api_token_create(
                    user=actor, actor=actor, days=form.cleaned_data["days"]
                )
            except CaseworkError as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "token": raw,
            "title": _("New API token"),
        }
        return TemplateResponse(request, "admin/casework/api_token_new.html", context)

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset:
            try:
                api_token_revoke(token=token, actor=acting_user(request))
            except CaseworkError as exc:
                self.message_user(request, f"{token}: {exc.message}", messages.ERROR)
                continue
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API token revoked.", "%(count)d API tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


site.register(get_user_model(), StaffAdmin)
site.register(Group, StaffGroupAdmin)
site.register(AuthenticatorDevice, DeviceAdmin)
site.register(BackupCodeDevice, DeviceAdmin)
site.register(ApiToken, ApiTokenAdmin)
site.register(SiteState, SiteStateAdmin)
