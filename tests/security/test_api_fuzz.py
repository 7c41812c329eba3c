"""Issue 13: schemathesis against /api/schema/ with bounded examples: no request makes a 5xx.

Every operation of the published schema is called through the real WSGI application (all the
middleware, the request guard included) by a signed-in coordinator (session and CSRF token, as
a browser would), with data that fits the schema and data that does not, first with generated
references and then with a real case's. Examples are bounded (EXAMPLES per operation and mode)
so the run stays in seconds.
"""

from __future__ import annotations

import io
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from casework.roles import Role
from config.wsgi import application
from tests.factories import CaseFactory, UserFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db

EXAMPLES = 25
HOST = "localhost"  # where schemathesis's WSGI client sends its requests


class _InTestTransaction:
    """The project's WSGI application, called inside the test's transaction. As Django's test
    client does, the request signals must not close the test's database connection; the test
    client connects them again after each of its own requests, so they are held off per call
    until the response is closed."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.app(environ, start_response)
            body = b"".join(response)
            getattr(response, "close", lambda: None)()  # request_finished, held off
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


class _SignedIn:
    """The application, every request carrying the coordinator's session cookie and CSRF token."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app, self.headers = app, headers

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_COOKIE"] = self.headers["Cookie"]
        environ["HTTP_X_CSRFTOKEN"] = self.headers["X-CSRFToken"]
        return self.app(environ, start_response)


@pytest.fixture
def wsgi_app(settings) -> Any:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return _InTestTransaction(application)


@pytest.fixture
def coordinator_headers() -> dict[str, str]:
    """A coordinator's signed-in session (password and second factor) and its CSRF token."""
    client = signed_in(UserFactory(role=Role.COORDINATOR))
    client.get("/admin/login/")  # sets the CSRF cookie
    session, token = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    return {"Cookie": f"sessionid={session}; csrftoken={token}", "X-CSRFToken": token}


def wsgi_get(app: Any, path: str, headers: dict[str, str]) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": HOST, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    answer: dict[str, str] = {}

    def start_response(status: str, response_headers: list[Any], exc_info: Any = None) -> Any:
        answer["status"] = status
        return lambda data: None

    response = app(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        getattr(response, "close", lambda: None)()
    return answer["status"], body


def test_the_fuzzer_reaches_the_schema_as_a_signed_in_coordinator(wsgi_app, coordinator_headers):  # type: ignore[no-untyped-def]
    """The harness itself, without schemathesis: the headers sign the WSGI requests in."""
    status, body = wsgi_get(wsgi_app, "/api/schema/", coordinator_headers)
    assert status.startswith("200") and b"/api/v1/cases/" in body
    status, _body = wsgi_get(wsgi_app, "/api/schema/", {})
    assert status.startswith("401")


def test_no_generated_request_makes_a_server_error(wsgi_app, coordinator_headers):  # type: ignore[no-untyped-def]
    schemathesis = pytest.importorskip(
        "schemathesis", reason="schemathesis is in requirements-dev.txt; install it to fuzz"
    )
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    case_reference = CaseFactory().reference
    # Werkzeug's test client (which schemathesis calls through) keeps cookies in its own jar and
    # drops a Cookie header it is given: the session goes into every request here instead.
    signed = _SignedIn(wsgi_app, coordinator_headers)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", signed)
    server_errors: list[str] = []
    called: set[str] = set()

    for result in schema.get_all_operations():
        operation = result.ok()
        passes: list[dict[str, Any]] = [{}]
        if "{reference}" in operation.path:
            passes.append({"path_parameters": {"reference": case_reference}})
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for fixed in passes:
                strategy = operation.as_strategy(generation_mode=mode, **fixed)

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,  # the same examples every run: a failure reproduces
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def call(case: Any) -> None:
                    response = case.call()
                    called.add(f"{operation.method.upper()} {operation.path}")
                    if response.status_code >= 500:
                        server_errors.append(
                            f"{operation.method.upper()} {case.formatted_path}: "
                            f"{response.status_code}"
                        )

                try:
                    call()
                except Unsatisfiable:
                    # An operation with nothing to get wrong (no parameters, no body) has no
                    # invalid request to generate; every operation still gets its valid ones.
                    if mode is not schemathesis.GenerationMode.NEGATIVE:
                        raise

    assert {"GET /api/v1/cases/", "GET /api/v1/cases/{reference}/"} <= called
    assert server_errors == []
