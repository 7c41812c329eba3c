"""The onion listener (casework/onion.py): the family pages only, and limits that count a form or
a case, since every onion client arrives from one address (tor's, through the proxy)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from casework.models import Attachment, Case
from casework.services.access_codes import access_code_format, access_code_hash, access_code_new
from tests.factories import CaseFactory
from tests.portal_support import intake_post, tiny_pdf
from tests.security.gunicorn_support import gunicorn, send
from tests.test_logging import free_port

ROOT = Path(__file__).resolve().parent.parent
ONION_PORT = "8001"
TOR_ADDRESS = "127.0.0.1"  # where every onion request comes from (the proxy, for tor)
# Everything staff use; on the onion listener each is a 404, as if it did not exist.
STAFF_PATHS = [
    "/admin/",
    "/admin/login/",
    "/admin/casework/case/",
    "/admin/attachments/00000000-0000-0000-0000-000000000000/download/",
    "/admin/documents/1/download/",
    "/api/v1/cases/",
    "/api/schema/",
    "/api/docs/",
    "/healthz",
    "/enrol/sometoken/",
]


@pytest.fixture
def onion(settings):  # type: ignore[no-untyped-def]
    settings.ONION_PORT = int(ONION_PORT)


def on_onion(client: Client, method: str, path: str, data: object = None, **extra: object):  # type: ignore[no-untyped-def]
    request = getattr(client, method)
    return request(path, data, SERVER_PORT=ONION_PORT, REMOTE_ADDR=TOR_ADDRESS, **extra)


# --- Only the family pages ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", STAFF_PATHS)
def test_staff_pages_and_the_api_do_not_exist_on_the_onion_listener(client, onion, path):
    assert on_onion(client, "get", path).status_code == 404
    assert on_onion(client, "post", path, {"username": "x", "password": "y"}).status_code == 404


@pytest.mark.django_db
def test_a_signed_in_coordinator_sees_no_admin_on_the_onion_listener(
    onion, coordinator, verified_client
):
    staff = verified_client(coordinator)
    assert staff.get("/admin/").status_code == 200  # the normal listener: the admin
    assert staff.get("/admin/", SERVER_PORT=ONION_PORT).status_code == 404
    assert staff.get("/api/v1/cases/", SERVER_PORT=ONION_PORT).status_code == 404


@pytest.mark.django_db
def test_the_family_pages_and_static_files_are_served_on_the_onion_listener(client, onion):
    family_pages = ("/ru/", "/ru/intake/", "/uk/intake/", "/en/status/")
    for path in (*family_pages, "/static/casework/portal.css"):
        response = on_onion(client, "get", path)
        assert response.status_code == 200, path
    assert on_onion(client, "get", "/intake/")["Location"] == "/ru/intake/"
    assert on_onion(client, "get", "/status/")["Location"] == "/ru/status/"
    leave = on_onion(client, "get", "/ru/leave/")
    assert leave.status_code == 302 and leave["Location"].startswith("https://")


@pytest.mark.django_db
def test_the_normal_listener_is_unchanged_and_no_header_makes_it_onion(client, onion):
    response = client.get("/admin/", HTTP_HOST="testserver", HTTP_X_FORWARDED_PORT=ONION_PORT)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/healthz").status_code != 404


@pytest.mark.django_db
def test_without_an_onion_port_nothing_is_onion(client, settings):
    settings.ONION_PORT = 0
    response = client.get("/admin/", SERVER_PORT="0")
    assert response.status_code == 302


@pytest.mark.django_db
def test_tor_browser_forms_pass_the_csrf_check_behind_the_proxy(settings):
    """As in production: the proxy's onion site says https (an onion circuit is secure), Tor
    Browser sends `Origin: http://<address>`, which ONION_HOSTNAME makes a trusted origin."""
    address = v3_address_of(bytes(range(32)))
    settings.ALLOWED_HOSTS = [address]
    settings.CSRF_TRUSTED_ORIGINS = [f"http://{address}"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = True
    settings.ONION_PORT = int(ONION_PORT)
    browser = Client(enforce_csrf_checks=True)
    headers: dict[str, Any] = {"HTTP_HOST": address, "HTTP_X_FORWARDED_PROTO": "https"}
    page = browser.get("/en/status/", SERVER_PORT=ONION_PORT, REMOTE_ADDR=TOR_ADDRESS, **headers)
    assert page.status_code == 200  # no redirect to https://<address>
    cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    case, code = case_with_code()
    data = {
        "csrfmiddlewaretoken": token.group(1),
        "reference": case.reference,
        "code": access_code_format(code),
    }
    signed_in = browser.post(
        "/en/status/",
        data,
        SERVER_PORT=ONION_PORT,
        REMOTE_ADDR=TOR_ADDRESS,
        HTTP_ORIGIN=f"http://{address}",
        **headers,
    )
    assert signed_in.status_code == 303 and signed_in["Location"] == "/en/status/"
    # The same form from another origin is refused as before (the session stays as it was).
    session_before = browser.session.session_key
    forged = browser.post(
        "/en/status/",
        data,
        SERVER_PORT=ONION_PORT,
        REMOTE_ADDR=TOR_ADDRESS,
        HTTP_ORIGIN="http://example.org",
        **headers,
    )
    assert forged.status_code == 403 and browser.session.session_key == session_before


@pytest.mark.django_db
def test_the_family_pages_on_the_domain_name_their_onion_twin(client, onion, settings):
    address = v3_address_of(bytes(range(32)))
    settings.ONION_HOSTNAME = address
    page = client.get("/uk/intake/?from=somewhere")
    assert page["Onion-Location"] == f"http://{address}/uk/intake/"
    assert client.get("/en/status/")["Onion-Location"] == f"http://{address}/en/status/"
    # Staff pages do not, nor the onion pages themselves, nor anything without an address set.
    assert "Onion-Location" not in client.get("/admin/login/")
    assert "Onion-Location" not in on_onion(client, "get", "/uk/intake/")
    settings.ONION_HOSTNAME = ""
    assert "Onion-Location" not in client.get("/uk/intake/")


# --- Limits per form and per case, not per address ----------------------------------------------


def pdf_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_pdf(), "application/pdf")


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_intake_limits_count_each_form_on_the_onion_listener(client, onion, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (1, 3600), "files": (2, 86400)}
    for number in range(3):  # three families, one address: each form is its own client
        response = on_onion(
            client, "post", "/en/intake/", intake_post(uploads=[pdf_upload(f"{number}a.pdf")])
        )
        assert response.status_code == 200 and 'id="reference"' in response.content.decode()
    assert Case.objects.count() == 3 and Attachment.objects.count() == 3
    # One form still cannot bring more files than the budget of one client.
    uploads = [pdf_upload(f"{n}.pdf") for n in range(3)]
    refused = on_onion(client, "post", "/en/intake/", intake_post(uploads=uploads))
    assert "Many files have been sent" in refused.content.decode()
    assert Case.objects.count() == 3 and Attachment.objects.count() == 3


@pytest.mark.django_db
def test_the_onion_listener_as_a_whole_has_a_ceiling(client, onion, settings):
    settings.ONION_LISTENER_LIMITS = {**settings.ONION_LISTENER_LIMITS, "intake": (2, 3600)}
    for _ in range(3):
        on_onion(client, "post", "/en/intake/", intake_post())
    assert Case.objects.count() == 2
    # The domain's clients are not counted against it.
    client.post("/en/intake/", intake_post(), REMOTE_ADDR="198.51.100.7")
    assert Case.objects.count() == 3


@pytest.mark.django_db
def test_normal_listener_intake_limits_still_count_the_address(client, onion, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (2, 3600)}
    for _ in range(3):
        client.post("/en/intake/", intake_post(), REMOTE_ADDR=TOR_ADDRESS)
    assert Case.objects.count() == 2


def case_with_code() -> tuple[Case, str]:
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    return case, code  # type: ignore[return-value]


def wrong(code: str) -> str:
    other = access_code_new()
    return other if other != code else wrong(code)


def sign_in(client: Client, case: Case, code: str, *, onion_listener: bool):  # type: ignore[no-untyped-def]
    data = {"reference": case.reference, "code": access_code_format(code)}
    if onion_listener:
        return on_onion(client, "post", "/en/status/", data)
    return client.post("/en/status/", data, REMOTE_ADDR=TOR_ADDRESS)


@pytest.mark.django_db
@pytest.mark.parametrize("onion_listener", [True, False])
def test_wrong_codes_count_per_reference_on_the_onion_and_per_address_elsewhere(
    onion, settings, onion_listener
):
    settings.STATUS_DELAY_FREE_FAILURES = 100  # the per-reference spacing is another test's
    settings.STATUS_CLIENT_FAILURES = 3
    cases = [case_with_code() for _ in range(4)]
    visitor = Client()
    for case, code in cases[:3]:  # one wrong code on each of three cases, from one address
        assert sign_in(visitor, case, wrong(code), onion_listener=onion_listener).status_code == 200
    case, code = cases[3]
    fourth = sign_in(Client(), case, code, onion_listener=onion_listener)
    if onion_listener:
        # Counted per case: the fourth family opens its page although the address is the same.
        assert fourth.status_code == 303
    else:
        # Counted per address: that address is done for the day, right code or not.
        assert fourth.status_code == 429


@pytest.mark.django_db
def test_on_the_onion_wrong_codes_for_one_case_lock_that_case_only(onion, settings):
    settings.STATUS_DELAY_FREE_FAILURES = 100
    (first, first_code), (second, second_code) = case_with_code(), case_with_code()
    guesser = Client()
    for _ in range(settings.STATUS_LOCK_FAILURES):
        sign_in(guesser, first, wrong(first_code), onion_listener=True)
    assert sign_in(Client(), first, first_code, onion_listener=True).status_code == 429
    assert sign_in(Client(), second, second_code, onion_listener=True).status_code == 303
    # On the domain the lock was never this address's: the family signs in there.
    assert sign_in(Client(), first, first_code, onion_listener=False).status_code == 303


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_status_additions_count_per_case_on_the_onion_listener(onion, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "status_add": (1, 3600)}
    families = []
    for _ in range(2):
        case, code = case_with_code()
        family = Client()
        assert sign_in(family, case, code, onion_listener=True).status_code == 303
        families.append((family, case))
    for family, case in families:
        data = {"token": f"tok-{case.pk}", "text": "Ещё одна справка из госпиталя."}
        response = on_onion(family, "post", "/en/status/add/", data)
        assert response.status_code == 303, response.content.decode()[:500]
    family, case = families[0]
    again = on_onion(family, "post", "/en/status/add/", {"token": "tok-x", "text": "И ещё."})
    assert "Many additions were sent" in again.content.decode()


# --- A real gunicorn with both listeners ------------------------------------------------------


def test_gunicorn_serves_the_admin_on_one_port_and_only_family_pages_on_the_other(
    test_database_url, tmp_path
):
    normal, onion_port = free_port(), free_port()
    env = {"GUNICORN_BIND": f"127.0.0.1:{normal}", "ONION_PORT": str(onion_port)}
    with gunicorn(test_database_url, tmp_path / "web.log", env=env, bind=False) as web:
        assert web.base == f"http://127.0.0.1:{normal}"
        onion_base = f"http://127.0.0.1:{onion_port}"
        status, headers, _ = send(f"{web.base}/admin/login/")
        assert status == 200
        for path in ("/admin/login/", "/api/v1/cases/", "/healthz"):
            assert send(f"{onion_base}{path}")[0] == 404, path
            # Claiming the other port in a header changes nothing.
            assert send(f"{onion_base}{path}", headers={"Host": f"127.0.0.1:{normal}"})[0] == 404
        claimed = {"Host": f"127.0.0.1:{onion_port}"}
        assert send(f"{web.base}/admin/login/", headers=claimed)[0] == 200
        status, _, body = send(f"{onion_base}/ru/intake/")
        assert status == 200 and b'name="started"' in body


# --- tor makes a v3 onion address from the configuration we ship -------------------------------


def v3_address_of(public_key: bytes) -> str:
    """The v3 onion address of an ed25519 public key (rend-spec-v3, section 6)."""
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + version).digest()[:2]
    return base64.b32encode(public_key + checksum + version).decode().lower() + ".onion"


@pytest.mark.integration
def test_tor_makes_a_v3_address_for_the_shipped_configuration(tmp_path):
    shipped = (ROOT / "deploy" / "torrc").read_text()
    lines = [line.strip() for line in shipped.splitlines() if line.strip() and line[0] != "#"]
    assert "SocksPort 0" in lines  # an onion service only, nothing for anyone to proxy through
    assert "HiddenServiceVersion 3" in lines
    # tor hands connections to the proxy's loopback-only onion site (deploy/Caddyfile).
    assert "HiddenServicePort 80 127.0.0.1:8081" in lines
    assert "bind 127.0.0.1" in (ROOT / "deploy" / "Caddyfile").read_text()
    # The same file, with its two folders in a temporary place and no network needed.
    data, keys = tmp_path / "data", tmp_path / "keys"
    data.mkdir(mode=0o700)
    torrc = tmp_path / "torrc"
    torrc.write_text(
        shipped.replace("DataDirectory /var/lib/tor\n", f"DataDirectory {data}\n").replace(
            "HiddenServiceDir /var/lib/tor/casework\n", f"HiddenServiceDir {keys}\n"
        )
        + "DisableNetwork 1\n"
    )
    assert f"HiddenServiceDir {keys}" in torrc.read_text()
    tor = shutil.which("tor")
    assert tor is not None, "Debian's tor package is needed (.ci/run installs it)"
    checked = subprocess.run([tor, "--verify-config", "-f", str(torrc)], capture_output=True)
    assert checked.returncode == 0, checked.stdout.decode()[-2000:]
    log = tmp_path / "tor.log"
    with open(log, "w") as output:
        process = subprocess.Popen([tor, "-f", str(torrc)], stdout=output, stderr=output)
    try:
        hostname = keys / "hostname"
        deadline = time.monotonic() + 60
        while not hostname.exists() or not hostname.read_text().strip():
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        address = hostname.read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert re.fullmatch(r"[a-z2-7]{56}\.onion", address)
    # The address is the public key tor wrote beside it (a 32-byte header, then the key).
    public_key = (keys / "hs_ed25519_public_key").read_bytes()
    assert public_key.startswith(b"== ed25519v1-public: type0 ==") and len(public_key) == 64
    assert address == v3_address_of(public_key[32:])
    assert (keys / "hs_ed25519_secret_key").stat().st_mode & 0o077 == 0


def test_the_onion_hostname_setting_is_checked_and_trusted_as_a_form_origin():
    env = {k: v for k, v in os.environ.items() if k != "ONION_HOSTNAME"}
    script = (
        "from django.conf import settings;"
        "print(settings.ALLOWED_HOSTS[-1], settings.CSRF_TRUSTED_ORIGINS[-1])"
    )
    address = v3_address_of(bytes(range(32)))
    good = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "ONION_HOSTNAME": address},
        capture_output=True,
        text=True,
    )
    assert good.stdout.split() == [address, f"http://{address}"], good.stderr
    base = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    bad = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, "ONION_HOSTNAME": "example.org"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "ONION_HOSTNAME: not a v3 onion address" in bad.stderr
