"""Staff links: enrolment (choose a password, pair an authenticator, keep backup codes) and
password reset (choose a new password, confirmed with one's own second factor). Outside the
admin site, because the person has no second factor yet or cannot sign in."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from casework.models import StaffInvitation
from casework.services.staff import (
    EnrolmentError,
    enrolment_device,
    invitation_get,
    staff_enrol,
    staff_password_reset,
)


class EnrolmentForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label=_("The same password again"), widget=forms.PasswordInput, strip=False
    )
    code = forms.CharField(
        label=_("The 6-digit code your authenticator app shows"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class PasswordResetForm(EnrolmentForm):
    code = forms.CharField(
        label=_("The code your authenticator app shows, or a backup code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


@sensitive_variables("token")
@sensitive_post_parameters("password", "password_again", "code")
@never_cache
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get(token)
    if invitation is None:
        return render(request, "casework/enrol_invalid.html", status=404)
    if invitation.purpose == StaffInvitation.Purpose.PASSWORD:
        return _password_reset(request, token, invitation)
    device = enrolment_device(invitation)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = staff_enrol(
                token=token, password=form.cleaned_data["password"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:  # password validators
            form.add_error("password", exc)
        except EnrolmentError as exc:
            form.add_error("code", exc.message)
        else:
            return render(
                request,
                "casework/enrol_done.html",
                {"codes": enrolled.backup_codes, "username": enrolled.user.username},
            )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "username": invitation.user.username,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5),
    }
    return render(request, "casework/enrol.html", context)


def _password_reset(request: HttpRequest, token: str, invitation: StaffInvitation) -> HttpResponse:
    """A password-reset link: no device is paired here, so the page shows no secret."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_password_reset(
                token=token, password=form.cleaned_data["password"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:  # password validators
            form.add_error("password", exc)
        except EnrolmentError as exc:
            form.add_error("code", exc.message)
        else:
            return render(request, "casework/password_reset_done.html")
    context = {"form": form, "username": invitation.user.username}
    return render(request, "casework/password_reset.html", context)
