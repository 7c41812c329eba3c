"""Staff accounts, their devices and the emergency controls, for administrators.

The default `admin.site` is not mounted, so the library admins are registered here as well,
without their free-text search: a GET search would put a person's name in the URL. New staff
are invited (a one-time enrolment link), never given a password by someone else.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.admin.base import acting_user
from casework.admin.site import site
from casework.exceptions import CaseworkError
from casework.models import SiteState, Team
from casework.roles import Role, is_administrator
from casework.services.staff import (
    emergency_sign_out,
    lockdown_set,
    staff_device_reset,
    staff_invite,
    staff_offboard,
)


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email for reminders"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.value) for r in Role])
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False
    )


class StaffAdmin(UserAdmin):
    search_fields = ()
    list_display = ("username", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "groups")
    actions = ["reset_second_factor", "offboard", "sign_out_everyone"]

    def get_urls(self) -> list[URLPattern]:
        # admin_view adds the login, second-factor and never-cache wrappers.
        invite = path("invite/", self.admin_site.admin_view(self.invite_view), name="staff_invite")
        return [invite, *super().get_urls()]

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
        links = [
            (user.username, staff_device_reset(user=user, actor=acting_user(request)))
            for user in queryset
        ]
        context = {
            **self.admin_site.each_context(request),
            "links": links,
            "title": _("New enrolment links"),
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
                    "%(user)s offboarded: %(sessions)d sessions ended, %(tokens)d tokens revoked, "
                    "%(cases)d cases and %(deadlines)d deadlines handed over."
                )
                % {"user": user.username, **done.__dict__},
                messages.SUCCESS,
            )

    @admin.action(description=_("EMERGENCY: end every staff session and revoke every token"))
    def sign_out_everyone(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sessions, tokens = emergency_sign_out(actor=acting_user(request))
        self.message_user(
            request,
            _("Ended %(sessions)d sessions and revoked %(tokens)d tokens.")
            % {"sessions": sessions, "tokens": tokens},
            messages.WARNING,
        )


class SiteStateAdmin(admin.ModelAdmin):
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


class StaffGroupAdmin(GroupAdmin):
    search_fields = ()


class AuthenticatorDeviceAdmin(TOTPDeviceAdmin):
    search_fields = ()


class BackupCodesDeviceAdmin(StaticDeviceAdmin):
    search_fields = ()


site.register(get_user_model(), StaffAdmin)
site.register(Group, StaffGroupAdmin)
site.register(TOTPDevice, AuthenticatorDeviceAdmin)
site.register(StaticDevice, BackupCodesDeviceAdmin)
site.register(SiteState, SiteStateAdmin)
