"""The one-pass reader of small family forms gives exactly what Django's multipart parser gives,
and hands everything it does not expect back to Django's parser."""

from __future__ import annotations

import io
import random
import uuid

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from casework.models import Case
from casework.portal.multipart import MAX_BODY, small_form
from casework.portal.upload_handlers import BoundedMemoryUploadHandler
from tests.portal_support import aged_stamp, intake_post


def browser_body(fields: list[tuple[str, str]], boundary: str, empty_file: bool = True) -> bytes:
    """A body as Chromium and Firefox write it: CRLF, no preamble, an empty file input."""
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    if empty_file:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="uploads"; filename=""\r\n'
            "Content-Type: application/octet-stream\r\n\r\n\r\n".encode()
        )
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def request_for(body: bytes, boundary: str):  # type: ignore[no-untyped-def]
    return RequestFactory().generic(
        "POST", "/ru/intake/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def django_reads(body: bytes, boundary: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    request = request_for(body, boundary)
    parser = MultiPartParser(
        request.META, io.BytesIO(body), [BoundedMemoryUploadHandler(request)], "utf-8"
    )
    post, files = parser.parse()
    return dict(post.lists()), dict(files.lists())


def fast_reads(body: bytes, boundary: str) -> tuple[dict, dict] | None:  # type: ignore[type-arg]
    result = small_form(request_for(body, boundary))
    return None if result is None else (dict(result[0].lists()), dict(result[1].lists()))


def test_the_intake_form_as_browsers_send_it_reads_the_same():
    fields = [
        (name, str(value))
        for name, values in intake_post(started="s", what_happened="строка\r\nещё «строка»").items()
        for value in (values if isinstance(values, list) else [values])
    ]
    boundary = "----WebKitFormBoundary" + uuid.uuid4().hex[:16]
    body = browser_body(fields, boundary)
    assert fast_reads(body, boundary) == django_reads(body, boundary)
    post, files = fast_reads(body, boundary)  # type: ignore[misc]
    assert post["wants"] == ["vvk", "leave"] and post["what_happened"] == ["строка\r\nещё «строка»"]
    assert post["uploads"] == [""] and files == {}  # as Django reads an empty file input


def test_random_forms_read_the_same_as_with_djangos_parser():
    rng = random.Random(20261206)
    alphabet = "abcXYZ019 -_\r\n\t\"'%;:=\\/«»ёЁїЇ€😀\x00\x7f--"
    for _ in range(300):
        boundary = "".join(rng.choice("abcdefABCDEF0123456789-'()+_,./:=?") for _ in range(30))
        fields = [
            (
                rng.choice(["name", "contact", "wants", "x-y_z", "A1"]),
                "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))),
            )
            for _ in range(rng.randrange(1, 12))
        ]
        body = browser_body(fields, boundary, empty_file=rng.random() < 0.5)
        fast = fast_reads(body, boundary)
        if f"--{boundary}" in "".join(value for _, value in fields):
            assert fast is None  # a value holding the boundary: left to Django
            continue
        assert fast == django_reads(body, boundary), fields


@pytest.mark.parametrize(
    "shape",
    ["a file", "a preamble", "an extra header", "too big", "no closing", "a part without head"],
)
def test_anything_unexpected_is_left_to_djangos_parser(shape, settings):
    fields = [("name", "Галина"), ("contact", "@g")]
    body = browser_body(fields, BOUNDARY, empty_file=False)
    if shape == "a file":
        body = encode_multipart(BOUNDARY, {"name": "x", "uploads": io.BytesIO(b"\xff\xd8data")})
    elif shape == "a preamble":
        body = b"hello\r\n" + body
    elif shape == "an extra header":
        body = body.replace(b'name="contact"', b'name="contact"\r\nContent-Type: text/plain')
    elif shape == "too big":
        body = browser_body([("name", "x" * MAX_BODY)], BOUNDARY)
    elif shape == "no closing":
        body = body.replace(f"--{BOUNDARY}--".encode(), b"")
    elif shape == "a part without head":
        body = body.replace(b'Content-Disposition: form-data; name="name"\r\n\r\n', b"")
    assert fast_reads(body, BOUNDARY) is None


def test_too_many_fields_are_left_to_django_which_refuses_them(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = browser_body([("name", str(n)) for n in range(8)], BOUNDARY)
    assert fast_reads(body, BOUNDARY) is None


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_the_intake_form_is_read_without_djangos_parser(client, monkeypatch):
    def refuse(self):  # type: ignore[no-untyped-def]
        raise AssertionError("Django's multipart parser was used")

    monkeypatch.setattr(MultiPartParser, "parse", refuse)
    response = client.post("/ru/intake/", intake_post(started=aged_stamp()))
    assert response.status_code == 200 and 'id="access-code"' in response.content.decode()
    assert Case.objects.count() == 1


def test_the_test_clients_own_encoding_reads_the_same():
    data = {"name": "Галина", "wants": ["vvk", "discharge"], "consent": "on"}
    body = encode_multipart(BOUNDARY, data)
    boundary = MULTIPART_CONTENT.split("boundary=")[1]
    assert fast_reads(body, boundary) == django_reads(body, boundary)


@pytest.mark.parametrize(
    "content_type",
    [
        f"multipart/form-dataX; boundary={BOUNDARY}",
        f"multipart/form-data; boundary={BOUNDARY}; charset=cp037",
        f"multipart/mixed; boundary={BOUNDARY}",
    ],
)
def test_content_types_browsers_do_not_send_are_left_to_django(content_type):
    body = browser_body([("name", "x")], BOUNDARY)
    request = RequestFactory().generic("POST", "/ru/intake/", body, content_type=content_type)
    assert small_form(request) is None


def test_a_request_encoding_set_by_a_view_is_left_to_django():
    body = browser_body([("name", "x")], BOUNDARY)
    request = request_for(body, BOUNDARY)
    request.encoding = "cp1251"
    assert small_form(request) is None


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("charset", ["base64", "idna", "no-such-codec"])
def test_a_charset_no_browser_sends_is_refused_not_a_server_error(client, charset):
    body = browser_body([("name", "x")], BOUNDARY)
    response = client.generic(
        "POST",
        "/ru/intake/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}; charset={charset}",
    )
    assert response.status_code == 400 and not Case.objects.exists()
