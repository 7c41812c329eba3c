"""The caseworker admin site: every page, the index included, needs a verified second factor."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from casework.admin.dashboard import dashboard_context


# AdminSite is already OTPAdminSite's base; naming it again gives type checkers its signatures
# (django_otp ships no type information) without changing the method resolution order.
class CaseworkAdminSite(OTPAdminSite, AdminSite):
    # Neutral words: a browser tab or history entry must not say what the organisation does.
    site_header = _("Casework")
    site_title = _("Casework")
    index_title = _("Overview")
    site_url = None  # no "view site" link to the public pages
    index_template = "admin/casework/dashboard.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The app list, headed by the user's dashboard (a fixed number of queries)."""
        return super().index(request, {**dashboard_context(request.user), **(extra_context or {})})


# Named "admin" so `admin:` URL names (and LOGIN_URL) keep working.
site = CaseworkAdminSite(name="admin")
