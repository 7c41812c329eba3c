"""Client identity only from the trusted proxy (issue 13, item 9).

X-Forwarded-For is believed only when the connection comes from TRUSTED_PROXY_NETWORKS
(loopback and the compose network by default); from anywhere else the peer address is the
client, so per-client limits cannot be reset by writing a header when gunicorn is reached
directly.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml
from django.test import Client, RequestFactory
from django.utils import timezone

from casework.models import Case
from casework.services import ratelimit
from casework.services.access_codes import access_code_format, access_code_hash, access_code_new
from tests.factories import CaseFactory
from tests.portal_support import intake_post
from tests.security.gunicorn_support import gunicorn, send

ROOT = Path(__file__).resolve().parent.parent.parent
DIRECT = "198.51.100.23"  # someone who reaches gunicorn without the proxy
COMPOSE_PROXY = "172.29.213.10"  # the proxy container, inside the compose network


def compose_subnet() -> str:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return str(compose["networks"]["default"]["ipam"]["config"][0]["subnet"])


def address_of(peer: str, forwarded: str) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    return ratelimit.client_address(request)


def test_the_compose_network_has_a_fixed_subnet_that_is_trusted_by_default(settings):
    subnet = ipaddress.ip_network(compose_subnet())
    assert subnet.is_private
    assert COMPOSE_PROXY in [str(host) for host in subnet.hosts()]
    assert str(subnet) in settings.TRUSTED_PROXY_NETWORKS
    assert {"127.0.0.0/8", "::1/128"} <= set(settings.TRUSTED_PROXY_NETWORKS)


@pytest.mark.parametrize("peer", [DIRECT, "10.0.0.2", "2001:db8::7"])
def test_a_header_from_an_untrusted_peer_is_ignored(settings, peer):
    settings.TRUSTED_PROXY_DEPTH = 1
    assert address_of(peer, "203.0.113.9") == peer
    assert address_of(peer, "6.6.6.6, 203.0.113.9") == peer


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", COMPOSE_PROXY])
def test_the_trusted_proxy_names_the_client(settings, peer):
    settings.TRUSTED_PROXY_DEPTH = 1
    assert address_of(peer, "203.0.113.9") == "203.0.113.9"
    # Whatever the client wrote itself stands further left and is not believed.
    assert address_of(peer, "6.6.6.6, 203.0.113.9") == "203.0.113.9"


def test_the_networks_come_from_the_setting(settings):
    settings.TRUSTED_PROXY_DEPTH = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    assert address_of("10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert address_of("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    assert address_of(COMPOSE_PROXY, "203.0.113.9") == COMPOSE_PROXY


def test_the_setting_is_read_from_the_environment():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        TRUSTED_PROXY_NETWORKS="10.0.0.0/8, fd00::/8",
    )
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.TRUSTED_PROXY_NETWORKS)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['10.0.0.0/8', 'fd00::/8']"


@pytest.mark.django_db
def test_a_direct_client_cannot_reset_the_intake_limit_with_a_header(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (1, 3600)}
    settings.TRUSTED_PROXY_DEPTH = 1
    client.post("/en/intake/", intake_post(), REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_FOR="1.2.3.4")
    body = client.post(
        "/en/intake/", intake_post(), REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_FOR="5.6.7.8"
    ).content.decode()
    assert "Many forms have been sent" in body
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_direct_client_cannot_escape_the_wrong_code_lock_with_a_header(settings):
    settings.TRUSTED_PROXY_DEPTH = 1
    settings.STATUS_DELAY_FREE_FAILURES = 100  # only the per-client lock is looked at here
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    wrong = access_code_new()
    statuses = []
    for number in range(settings.STATUS_LOCK_FAILURES + 1):
        response = Client().post(
            "/ru/status/",
            {"reference": case.reference, "code": access_code_format(wrong)},
            REMOTE_ADDR=DIRECT,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number + 1}",
        )
        statuses.append(response.status_code)
    assert statuses == [200] * (settings.STATUS_LOCK_FAILURES - 1) + [429, 429]


@pytest.mark.integration
def test_gunicorn_reached_directly_counts_the_peer_not_the_header(test_database_url, tmp_path):
    """A real gunicorn whose trusted proxies do not include the test's own address (as when a
    stranger reaches the web container directly): a new X-Forwarded-For per request does not
    make a new client."""
    with gunicorn(
        test_database_url,
        tmp_path / "gunicorn.log",
        env={
            "TRUSTED_PROXY_DEPTH": "1",
            "TRUSTED_PROXY_NETWORKS": "192.0.2.0/24",
            "INTAKE_RATE_LIMIT": "1",
            "INTAKE_MIN_SECONDS": "0",
        },
    ) as server:
        statuses = []
        for number in range(3):
            _status, headers, page = send(f"{server.base}/en/intake/")
            cookie = headers["Set-Cookie"].split(";")[0]
            token = page.split(b'name="csrfmiddlewaretoken" value="')[1].split(b'"')[0]
            started = page.split(b'name="started" value="')[1].split(b'"')[0]
            form = {**intake_post(), "started": started.decode(), "wants": "vvk"}
            form["csrfmiddlewaretoken"] = token.decode()
            body = urllib.parse.urlencode(form).encode()
            status, _headers, answer = send(
                f"{server.base}/en/intake/",
                method="POST",
                body=body,
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Forwarded-For": f"203.0.113.{number + 1}",
                },
            )
            statuses.append((status, b"Many forms have been sent" in answer))
    assert statuses == [(200, False), (200, True), (200, True)]
    assert Case.objects.count() == 1
