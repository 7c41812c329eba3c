"""The caseworker admin site: every page, the index included, needs a verified second factor."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from casework.admin.dashboard import dashboard_context
from casework.admin.sign_in import BACKUP_PARAMETER, StaffSignInForm, backup_mode


# AdminSite is already OTPAdminSite's base; naming it again gives type checkers its signatures
# (django_otp ships no type information) without changing the method resolution order.
class CaseworkAdminSite(OTPAdminSite, AdminSite):
    # Neutral words: a browser tab or history entry must not say what the organisation does.
    site_header = _("Casework")
    site_title = _("Casework")
    index_title = _("Overview")
    site_url = None  # no "view site" link to the public pages
    index_template = "admin/casework/dashboard.html"
    # One step: username, password and code together (django-otp's form asks for a device in a
    # second round and tells apart a right password with a wrong code).
    login_form = StaffSignInForm
    login_template = "admin/casework/login.html"

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The sign-in page, with a link between the app's code and a backup code; a client
        over its failure limit gets 429 (the page says why)."""
        query = request.GET.copy()
        if backup_mode(request):
            query.pop(BACKUP_PARAMETER)
        else:
            query[BACKUP_PARAMETER] = "1"
        switch = f"{request.path}?{query.urlencode()}" if query else request.path
        response = super().login(request, {"code_switch_url": switch, **(extra_context or {})})
        form = getattr(response, "context_data", {}).get("form")
        if form is not None and form.has_error(NON_FIELD_ERRORS, "client_limited"):
            response.status_code = 429
        return response

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        """No admin uses autocomplete; its `?term=` would put typed text (a name) in an address."""
        raise Http404

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from casework.admin.collective import collective_view
        from casework.admin.exports import export_view
        from casework.admin.imports import import_upload_view, import_view
        from casework.admin.statistics import statistics_csv_view, statistics_view

        return [
            path("import/", self.admin_view(import_upload_view), name="case_import_upload"),
            path("import/<uuid:public_id>/", self.admin_view(import_view), name="case_import"),
            path("export/", self.admin_view(export_view), name="case_export"),
            path("collective/", self.admin_view(collective_view), name="collective"),
            path("statistics/", self.admin_view(statistics_view), name="statistics"),
            path("statistics/csv/", self.admin_view(statistics_csv_view), name="statistics_csv"),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The app list, headed by the user's dashboard (a fixed number of queries)."""
        return super().index(request, {**dashboard_context(request.user), **(extra_context or {})})


# Named "admin" so `admin:` URL names (and LOGIN_URL) keep working.
site = CaseworkAdminSite(name="admin")
