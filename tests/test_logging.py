"""Requests to public pages leave no client address and no query string in any log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORWARDED = "203.0.113.77"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": FORWARDED})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


SERVERS = {
    "runserver": lambda port: [
        sys.executable,
        "manage.py",
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
    ],
    "gunicorn": lambda port: [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "config/gunicorn.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "config.wsgi",
    ],
}


@pytest.mark.integration
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_public_request_logs_carry_no_address_or_query(server, test_database_url):
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=test_database_url,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        SERVERS[server](port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert get(f"{base}/ru/?name=Petrenko&phone=79161234567") == 200
        assert get(f"{base}/ru/no-such-page/?name=Petrenko") == 404
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    logs = out + err
    assert "/ru/no-such-page/" in logs  # the 404 was logged, so the log is really captured
    assert "Petrenko" not in logs
    assert "79161234567" not in logs
    assert "?" not in "".join(line for line in logs.splitlines() if "/ru/" in line)
    assert FORWARDED not in logs
    assert not [line for line in logs.splitlines() if "/ru/" in line and "127.0.0.1" in line]


def test_tracebacks_in_logs_keep_only_the_exception_type():
    import logging

    from casework.logging import RedactFilter

    try:
        int("Петренко 1999")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/ru/intake/",),
            sys.exc_info(),
        )
    RedactFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "Петренко" not in text
    assert "ValueError (details withheld)" in text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 at 12:30:45",
            "from [addr] at 12:30:45",
        ),
        ("client 2001:db8::8a2e:370:7334.", "client [addr]."),
        ("peer [2001:DB8::1]:443 closed", "peer [[addr]]:443 closed"),
        ("loopback ::1, link fe80::1%eth0: ok", "loopback [addr], link [addr]: ok"),
        ("mapped ::ffff:203.0.113.9 and 198.51.100.4", "mapped [addr] and [addr]"),
        ("x 2001:db8:7:1:9a3c:ff01:2b:77 y", "x [addr] y"),
    ],
)
def test_ipv6_and_ipv4_addresses_are_redacted_in_every_form(message, expected):
    import logging

    from casework.logging import RedactFilter

    record = logging.LogRecord("casework", logging.WARNING, __file__, 1, "%s", (message,), None)
    RedactFilter().filter(record)
    assert record.getMessage() == expected


@pytest.mark.parametrize(
    "message",
    [
        "sent at 12:30:45 on 2025-05-24T09:15:00.123Z, retry 23:59",
        "ratio 1:2:3, std::vector, Error:: see above",
        "a bare :: and a face:bad:cab",
        "casework.tasks:clean_attachment took 0:00:01.5",
    ],
)
def test_times_and_words_are_not_taken_for_ipv6_addresses(message):
    import logging

    from casework.logging import RedactFilter

    record = logging.LogRecord("casework", logging.WARNING, __file__, 1, "%s", (message,), None)
    RedactFilter().filter(record)
    assert record.getMessage() == message
