"""Views that belong to neither the portal nor the admin."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework.health import broker_answers, database_answers


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    # One word either way: which part failed is for the operator's logs, not for a visitor.
    healthy = database_answers() and broker_answers()
    return HttpResponse(
        "ok" if healthy else "unavailable",
        status=200 if healthy else 503,
        content_type="text/plain",
    )
