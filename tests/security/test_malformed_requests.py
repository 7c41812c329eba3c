"""No 500 and no leak from malformed requests (issue 13, item 8).

- A body in a charset other than UTF-8 (base64, utf-16, idna …) is answered 400 before anything
  reads it; Django used to fail building the request (a 500 outside its own handling, which
  gunicorn logged with the query string and a traceback).
- NUL in a path or a query value, and JSON nested thousands deep, answer 400, never 500.
- gunicorn's own error log goes through the same redaction as every other log.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from casework.models import AuditEvent, Case, TimelineEntry
from casework.roles import Role
from casework.services.access_codes import access_code_format, access_code_hash, access_code_new
from tests.factories import (
    CaseFactory,
    TeamFactory,
    TOTPDeviceFactory,
    UserFactory,
    api_token_for,
)
from tests.security.gunicorn_support import gunicorn, send

pytestmark = pytest.mark.django_db

SECRET_QUERY = "name=Petrenko&phone=79161234567"
# The family pages and the staff sign-in that take a form POST.
FORM_URLS = [
    "/ru/status/",
    "/ru/intake/confirm/",
    "/ru/status/consent/",
    "/ru/status/end/",
    "/admin/login/",
    "/ru/intake/",
    "/ru/status/add/",
]
CHARSETS = ["base64", "utf-16", "idna", "latin-1", "utf8", "no-such-charset"]


@contextmanager
def connections_kept() -> Iterator[None]:
    """What Django's test client does around a request: the test's transaction must survive
    the request-finished signal, which would otherwise close the connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def through_wsgi(
    path: str,
    *,
    method: str = "POST",
    query: str = "",
    content_type: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request through the real WSGI entry point (config/wsgi.py), as gunicorn calls it:
    Django's test client builds its own request object and would not show what gunicorn sees."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "203.0.113.5",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    with connections_kept():
        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()
    return answer["status"], answer["headers"], content  # type: ignore[return-value]


def unreadable_form_text(language: str = "ru") -> str:
    with translation.override(language):
        return translation.gettext("This form could not be read.")


def staff_client(user) -> Client:  # type: ignore[no-untyped-def]
    device = TOTPDeviceFactory(user=user)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --- Charsets other than UTF-8 ----------------------------------------------------------------


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("path", FORM_URLS)
def test_a_form_in_another_charset_is_a_400_before_anything_reads_it(path, charset):
    status, headers, body = through_wsgi(
        path,
        query=SECRET_QUERY,
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        body=b"reference=K7M4-QX2P&code=4111111111111111&csrfmiddlewaretoken=x",
    )
    assert status == 400
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.decode() == unreadable_form_text()
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie: nothing was started


def test_the_same_form_in_utf8_still_works():
    for content_type in (
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        'application/x-www-form-urlencoded; charset="utf-8"',
    ):
        status, _headers, body = through_wsgi("/ru/status/end/", content_type=content_type)
        assert status == 200  # "End session" works even without its CSRF cookie
        assert unreadable_form_text().encode() not in body


def multipart(fields: dict[str, str], boundary: str = "b0undary") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def test_a_right_code_in_another_charset_opens_nothing():
    """latin-1 reads these ASCII fields just as UTF-8 would: refused all the same, since no
    browser says a charset and a text in any other one would be read wrongly."""
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    client = Client()
    response = client.post(
        "/ru/status/",
        data=multipart({"reference": case.reference, "code": access_code_format(code)}),
        content_type="multipart/form-data; boundary=b0undary; charset=latin-1",
    )
    assert response.status_code == 400
    assert response.content.decode() == unreadable_form_text()
    assert "sessionid" not in response.cookies and not client.session.keys()
    assert not AuditEvent.objects.filter(action="login", object_reference=case.reference).exists()


def test_the_admin_sign_in_in_another_charset_signs_nobody_in():
    from django_otp.oath import TOTP

    user = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    client = Client()
    fields = {
        "username": user.username,
        "password": "correct horse battery staple",
        "otp_device": device.persistent_id,
        "otp_token": f"{token:0{device.digits}d}",
        "code": f"{token:0{device.digits}d}",
    }
    response = client.post(
        "/admin/login/",
        data=multipart(fields),
        content_type="multipart/form-data; boundary=b0undary; charset=latin-1",
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="login").exists()


@pytest.fixture
def api_user_and_case():  # type: ignore[no-untyped-def]
    team = TeamFactory()
    user = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    return client, CaseFactory(team=team)


def test_an_api_body_in_another_charset_gets_the_error_shape(api_user_and_case):
    api, case = api_user_and_case
    url = f"/api/v1/cases/{case.reference}/notes/"
    response = api.post(
        url,
        data=json.dumps({"text": "Звонила мать."}).encode("utf-16"),
        content_type="application/json; charset=utf-16",
    )
    assert response.status_code == 400
    with translation.override("ru"):
        message = translation.gettext("This form could not be read.")
    assert response.json() == {"code": "unreadable", "message": message, "fields": {}}
    assert not TimelineEntry.objects.filter(case=case, kind="note").exists()
    good = api.post(
        url,
        data=json.dumps({"text": "Звонила мать."}),
        content_type="application/json; charset=utf-8",
    )
    assert good.status_code == 201


# --- NUL in a path or a query value -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ru/stat%00us/",
        "/ru/status/?reference=K7M4%00",
        "/admin/casework/case/?status=new%00",
        "/admin/casework/authorityoffice/?jurisdiction=RU%00",
        "/admin/casework/auditevent/?action=view%00",
        "/admin/casework/case/1%00/change/",
    ],
)
def test_nul_in_a_path_or_a_filter_value_is_a_400(url):
    client = staff_client(UserFactory(role=Role.COORDINATOR, is_superuser=True))
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_nul_in_an_api_path_gets_the_error_shape(api_user_and_case):
    api, case = api_user_and_case
    response = api.get(f"/api/v1/cases/{case.reference}%00/")
    assert response.status_code == 400
    assert response.json()["code"] == "unreadable"
    assert not AuditEvent.objects.filter(action="view", object_reference=case.reference).exists()


# --- JSON nested thousands deep ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"text": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
        '{"text": "Звонила мать.", "extra": ' + "[" * 200 + "]" * 200 + "}",
    ],
    ids=["array-100000", "object-5000", "extra-200"],
)
def test_json_nested_deep_is_a_400_with_the_error_shape(api_user_and_case, body):
    api, case = api_user_and_case
    response = api.post(
        f"/api/v1/cases/{case.reference}/notes/", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Case.objects.get(pk=case.pk).timeline.filter(kind="note").count() == 0


# --- Against a real gunicorn: answers and its error log ---------------------------------------


@pytest.mark.integration
def test_malformed_requests_to_gunicorn_leave_no_query_string_or_traceback(
    test_database_url, tmp_path
):
    with gunicorn(test_database_url, tmp_path / "gunicorn.log") as server:
        answers = {}
        for path in FORM_URLS:
            answers[path] = send(
                f"{server.base}{path}?{SECRET_QUERY}",
                method="POST",
                body=b"reference=K7M4-QX2P",
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=base64"},
            )[0]
        answers["nul"] = send(f"{server.base}/ru/stat%00us/?{SECRET_QUERY}")[0]
        answers["nul-filter"] = send(f"{server.base}/admin/casework/case/?status=new%00")[0]
    assert answers == {**dict.fromkeys(FORM_URLS, 400), "nul": 400, "nul-filter": 400}
    log = server.log()
    assert "Booting worker" in log  # the log really was captured
    for secret in ("Petrenko", "79161234567", "Traceback", "LookupError"):
        assert secret not in log, log
    assert not [line for line in log.splitlines() if "?" in line], log


@pytest.mark.integration
def test_gunicorns_error_log_is_redacted_like_every_other_log(test_database_url, tmp_path):
    """An exception that escapes the application: gunicorn writes "Error handling request"
    with the URI and a traceback. Through the redaction, neither the query string nor the
    exception's text (which may quote what a person typed) reaches the log."""
    with gunicorn(
        test_database_url, tmp_path / "gunicorn.log", app="tests.security.failing_app:application"
    ) as server:
        url = f"{server.base}/boom/?{SECRET_QUERY}"
        status = send(url, headers={"X-Forwarded-For": "203.0.113.77"})[0]
    assert status == 500
    log = server.log()
    assert "Error handling request /boom/" in log, log
    assert "ValueError (details withheld)" in log, log
    for secret in ("Petrenko", "79161234567", "Петренко", "Traceback", "203.0.113.77", "?name"):
        assert secret not in log, log


def test_json_up_to_32_levels_is_read_and_33_is_refused(api_user_and_case):
    api, case = api_user_and_case
    url = f"/api/v1/cases/{case.reference}/notes/"

    def body(depth: int) -> str:  # the outer object is level 1
        return '{"text": "Звонила мать.", "extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    assert api.post(url, data=body(33), content_type="application/json").status_code == 400
    assert not TimelineEntry.objects.filter(case=case, kind="note").exists()
    assert api.post(url, data=body(32), content_type="application/json").status_code == 201
