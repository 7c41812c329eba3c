"""The onion listener: the family pages as a Tor onion service (docs/operations.md, Onion service).

gunicorn listens on a second TCP port, ONION_PORT, which only the onion service reaches (tor hands
its connections to the proxy, which passes them to that port). A request is an onion request when
it arrived on that socket: gunicorn and runserver take SERVER_PORT from the listening socket of a
TCP bind, never from anything the client sends, so no header can make a request on the normal
listener count as onion, or an onion request reach the admin.

On the onion listener only the family pages exist (config/urls_onion.py: no admin, no API, no
health check, no staff enrolment; everything else is an ordinary 404), and the rate limits count a
form or a case instead of an address (casework/services/ratelimit.py, `client_hash`): every onion
client arrives from the same address, tor's. On the domain, the family pages name their onion
twin in an `Onion-Location` header, which Tor Browser offers to open.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ONION_URLCONF = "config.urls_onion"


def arrived_by_onion(request: HttpRequest) -> bool:
    """True when the request came in on the onion listener's port (ONION_PORT; 0: none)."""
    port: int = settings.ONION_PORT
    return port > 0 and str(request.META.get("SERVER_PORT", "")) == str(port)


class OnionListenerMiddleware:
    """Serve onion requests from the family pages' URL map only.

    Before LocaleMiddleware, which reads the URL map a request uses to find its language prefix.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if arrived_by_onion(request):
            request.urlconf = ONION_URLCONF  # type: ignore[attr-defined]
            return self.get_response(request)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if settings.ONION_HOSTNAME and match is not None and match.namespace == "portal":
            # Tor Browser then offers the family the same page at the onion address. The path
            # only: a query string is never ours to repeat.
            response["Onion-Location"] = f"http://{settings.ONION_HOSTNAME}{request.path}"
        return response
