"""Read-only lockdown: while it is on, staff writes are refused except by administrators."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from casework.roles import is_administrator

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Signing in and out must keep working, or an administrator could not lift the lockdown.
ALWAYS_ALLOWED = ("/admin/login/", "/admin/logout/")
STAFF_PREFIXES = ("/admin/", "/api/")


class LockdownMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in SAFE_METHODS
            and request.path.startswith(STAFF_PREFIXES)
            and not request.path.startswith(ALWAYS_ALLOWED)
            and not is_administrator(request.user)
        ):
            from casework.services.staff import site_state

            if site_state().lockdown:
                body = render_to_string("casework/lockdown.html", request=request)
                return HttpResponse(body, status=503)
        return self.get_response(request)
