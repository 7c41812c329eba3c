"""Issue 13, item 5: one sign-in step, no oracle.

Password and code are on one form and checked together; the server picks the account's
confirmed device. A right password with a missing or wrong code answers exactly like a wrong
password and counts as a failure; locked, unknown and not-yet-enrolled accounts cost one run of
the password hasher like any other; and one client address cannot keep a colleague locked out.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
import redis
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from casework.models import AuditEvent, BackupCodeDevice
from casework.roles import Role
from casework.services.staff import staff_invite
from tests.factories import TOTPDeviceFactory, UserFactory
from tests.security.staff_support import PASSWORD, code_for, sign_in_post, wrong_code_for
from tests.test_portal_browser import CHROMIUM_ARGS, live_site  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

LABELS = {
    "ru": ("Код из приложения", "Использовать резервный код", "Резервный код"),
    "uk": ("Код із застосунку", "Використати резервний код", "Резервний код"),
    "en": ("Code from the app", "Use a backup code", "Backup code"),
}


class CountingHasher(MD5PasswordHasher):
    """Django's test hasher, counting how often a password is hashed (to compare paths)."""

    algorithm = "counting_md5"
    runs: ClassVar[int] = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).runs += 1
        return super().encode(password, salt)


def browser(address: str = "192.0.2.10", language: str = "en") -> Client:
    return Client(headers={"accept-language": language}, REMOTE_ADDR=address)


def comparable(response: Any) -> tuple[int, str]:
    """Status and page, without the per-client CSRF token."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return response.status_code, page


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_password_and_code_are_one_form_in_the_pages_language(language):
    code_label, backup_link, backup_label = LABELS[language]
    page = browser(language=language).get(reverse("admin:login"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert f'<label for="id_otp_token" class="required">{code_label}:</label>' in html
    assert 'name="otp_token"' in html and 'autocomplete="one-time-code"' in html
    assert "otp_device" not in html and "otp_challenge" not in html
    assert backup_link in html and "backup=1" in html
    backup_page = browser(language=language).get(reverse("admin:login") + "?backup=1")
    assert f'<label for="id_otp_token" class="required">{backup_label}:</label>' in (
        backup_page.content.decode()
    )


def test_one_post_with_password_and_code_signs_in():
    person = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=person)
    client = browser()
    response = sign_in_post(client, person.username, PASSWORD, code_for(device))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN).actor == person


def test_the_newest_confirmed_authenticator_is_the_one_checked():
    person = UserFactory(role=Role.CASEWORKER)
    old = TOTPDeviceFactory(user=person)
    unconfirmed = TOTPDeviceFactory(user=person, confirmed=False)
    current = TOTPDeviceFactory(user=person)
    assert sign_in_post(browser(), person.username, PASSWORD, code_for(current)).status_code == 302
    # (After it a failure throttles the device for a moment, so the right code goes first.)
    for device in (old, unconfirmed):
        if code_for(device) != code_for(current):
            refused = sign_in_post(browser(), person.username, PASSWORD, code_for(device))
            assert refused.status_code == 200


def test_a_backup_code_on_the_same_form_signs_in_once():
    person = UserFactory(role=Role.CASEWORKER)
    TOTPDeviceFactory(user=person)
    backup = BackupCodeDevice.objects.create(user=person, name="backup codes", confirmed=True)
    backup.codes_set(["k4m2q7rs"])
    client = browser(language="ru")
    path = reverse("admin:login") + "?backup=1"
    data = {"username": person.username, "password": PASSWORD, "otp_token": "K4M2 Q7RS"}
    assert client.post(path, data).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert not backup.codes.exists()
    assert browser().post(path, data).status_code == 200  # used once


def test_a_right_password_without_the_right_code_answers_like_a_wrong_password(settings):
    person = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=person)
    wrong = wrong_code_for(device)

    def answer(password: str, code: str) -> tuple[int, str]:
        return comparable(sign_in_post(browser(language="ru"), person.username, password, code))

    assert answer(PASSWORD, wrong) == answer("not the password", wrong)
    assert answer(PASSWORD, "") == answer("not the password", "")
    status, page = answer(PASSWORD, "")
    assert status == 200 and "Имя пользователя, пароль или код указаны неверно" in page
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert sorted(event.detail["reason"] for event in failures) == [
        "password",
        "password",
        "second_factor",
        "second_factor",
        "second_factor",
    ]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()
    # Five failures from this client: now even the right password and code are refused here.
    assert failures.count() == settings.STAFF_LOGIN_FAILURES
    right_code = code_for(device)
    locked = sign_in_post(browser(language="ru"), person.username, PASSWORD, right_code)
    assert comparable(locked) == answer("not the password", right_code)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_every_refusal_runs_the_password_hasher_exactly_once(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_sign_in.CountingHasher"]
    person = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=person)
    locked = UserFactory(role=Role.CASEWORKER)
    TOTPDeviceFactory(user=locked)
    invited, _link = staff_invite(
        username="not.enrolled", email="", role=Role.CASEWORKER, teams=[], actor=None
    )
    for _ in range(settings.STAFF_LOGIN_FAILURES):
        sign_in_post(browser(), locked.username, "wrong", "123456")

    attempts = {
        "wrong password": (person.username, "wrong", code_for(device)),
        "right password, wrong code": (person.username, PASSWORD, wrong_code_for(device)),
        "unknown username": ("nobody.here", PASSWORD, "123456"),
        "locked username, right password": (locked.username, PASSWORD, "123456"),
        "invited, no password yet": (invited.username, PASSWORD, "123456"),
    }
    for name, (username, password, code) in attempts.items():
        CountingHasher.runs = 0
        response = sign_in_post(browser(), username, password, code)
        assert response.status_code == 200, name
        assert CountingHasher.runs == 1, name


def test_one_address_cannot_keep_a_colleague_locked_out(settings):
    colleague = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=colleague)
    attacker = browser(address="198.51.100.77")
    statuses = [
        sign_in_post(attacker, colleague.username, f"guess {n}", "000000").status_code
        for n in range(30)
    ]
    assert statuses[: settings.STAFF_LOGIN_CLIENT_FAILURES] == [200] * (
        settings.STAFF_LOGIN_CLIENT_FAILURES
    )
    assert set(statuses[settings.STAFF_LOGIN_CLIENT_FAILURES :]) == {429}
    limited = sign_in_post(attacker, colleague.username, PASSWORD, code_for(device))
    assert limited.status_code == 429
    assert "Too many failed sign-ins from this connection" in limited.content.decode()

    office = browser(address="203.0.113.5")
    assert sign_in_post(office, colleague.username, PASSWORD, code_for(device)).status_code == 302

    # The limit counts a keyed hash of the client; its address is stored nowhere.
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in store.scan_iter(count=1000):
        assert b"198.51.100.77" not in key + (store.dump(key) or b"")
    assert "198.51.100.77" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_failures_from_several_addresses_still_lock_the_account(settings):
    person = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=person)
    for n in range(settings.STAFF_LOGIN_ACCOUNT_FAILURES):
        client = browser(address=f"192.0.2.{100 + n // settings.STAFF_LOGIN_FAILURES}")
        assert sign_in_post(client, person.username, "guess", "000000").status_code == 200
    elsewhere = browser(address="203.0.113.99")
    refused = sign_in_post(elsewhere, person.username, PASSWORD, code_for(device))
    assert refused.status_code == 200 and "_auth_user_id" not in elsewhere.session


@pytest.mark.integration
def test_signing_in_with_password_and_code_in_a_real_browser(live_site, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    person = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=person)
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="ru-RU").new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )
        page.goto(f"{live_site}/admin/")
        assert page.inner_text("label[for=id_otp_token]") == "Код из приложения:"
        assert page.locator("select").count() == 0  # no device to choose
        page.fill("#id_username", person.username)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", code_for(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/admin/"
        assert page.locator("#login-form").count() == 0
        assert person.username in (page.locator("#user-tools").text_content() or "")
        chromium.close()
    assert elsewhere == []
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN).actor == person
