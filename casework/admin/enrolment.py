"""Staff enrolment from a one-time link: choose a password, pair an authenticator, keep backup
codes. Outside the admin site, because the person has no second factor yet."""

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

from casework.services.staff import EnrolmentError, enrolment_device, invitation_get, staff_enrol


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


@sensitive_variables("token")
@sensitive_post_parameters("password", "password_again", "code")
@never_cache
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get(token)
    if invitation is None:
        return render(request, "casework/enrol_invalid.html", status=404)
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
