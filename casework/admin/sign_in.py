"""The staff sign-in form: username, password and the second-factor code on one form, checked
together by one service (casework.services.accounts.staff_sign_in)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework.exceptions import RateLimitedError
from casework.services.accounts import SignInRefusedError, staff_sign_in

BACKUP_PARAMETER = "backup"


def backup_mode(request: HttpRequest | None) -> bool:
    """The page asks for a backup code instead of the app's (only the label and keyboard)."""
    return request is not None and request.GET.get(BACKUP_PARAMETER) == "1"


class StaffSignInForm(AdminAuthenticationForm):
    # Not required by the form: a missing code must be refused by the same check, with the same
    # answer, as a wrong one (the browser still asks for it: `required` below).
    otp_token = forms.CharField(label=_("Code from the app"), required=False, max_length=32)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "The username, password or code is not right. Check all three and try again."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.backup = backup_mode(request)
        field = self.fields["otp_token"]
        if self.backup:
            field.label = _("Backup code")
        field.widget.attrs.update(
            {
                "required": True,
                "autocomplete": "off" if self.backup else "one-time-code",
                "inputmode": "text" if self.backup else "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = staff_sign_in(
                    request=self.request,  # type: ignore[arg-type]  # the login view passes it
                    username=username,
                    password=password,
                    code=self.cleaned_data.get("otp_token") or "",
                )
            except RateLimitedError as exc:
                raise ValidationError(exc.message, code="client_limited") from None
            except SignInRefusedError:
                raise self.get_invalid_login_error() from None
        return self.cleaned_data

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")
