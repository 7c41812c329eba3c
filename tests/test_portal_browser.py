"""A relative on a phone, JavaScript off: intake in Russian, the receipt, then the status page.

Runs the site in a real gunicorn process against the test database and drives Debian's headless
Chromium through Playwright. Screenshots go to test-artifacts/ (not committed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from casework.models import Attachment, Case, TimelineEntry
from tests.portal_support import gps_jpeg, tiny_pdf

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_site(test_database_url: str) -> Iterator[str]:
    # The socket is bound here and handed to gunicorn, so no other process (another pytest-xdist
    # worker's server) can take the port between choosing it and listening on it.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=test_database_url,
        ALLOWED_HOSTS="127.0.0.1",
        INTAKE_MIN_SECONDS="0",  # a browser fills the form faster than a person
        PYTHONUNBUFFERED="1",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py"]
        + ["--bind", f"fd://{listener.fileno()}", "--workers", "2", "config.wsgi"],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
    )
    listener.close()  # gunicorn holds its own copy
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
def test_a_relative_on_a_phone_without_javascript(live_site, monkeypatch, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM checks below are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(gps_jpeg())
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            java_script_enabled=False,
            locale="ru-RU",
            is_mobile=True,
        )
        page = context.new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )

        page.goto(f"{live_site}/ru/intake/")
        assert page.title() == "Справочная"
        page.screenshot(path=ARTIFACTS / "intake-form.png", full_page=True)

        # First attempt with a mistake: the error stands by its field, the answers stay.
        page.select_option("#id_relationship", "sister")
        page.check("#id_channel_0")  # Signal
        page.fill("#id_contact", "@sestra_m")
        page.fill("#id_surname", "Вершинин")
        page.fill("#id_given_name", "Ростислав")
        page.fill("#id_unit", "в/ч 40231")
        page.select_option("#id_status", "redeployed")
        page.fill("#id_what_happened", "Обменян в мае, отправлен в часть без отпуска и ВВК.")
        page.check("#id_wants_0")
        page.check("#id_consent")
        # Enter in a field sends the form (its default button is Send, not a language).
        page.press("#id_unit", "Enter")
        assert "Обязательное поле" in page.inner_text(".field.invalid")
        assert page.input_value("#id_surname") == "Вершинин"
        assert page.is_checked("#id_wants_0") and page.is_checked("#id_consent")
        page.screenshot(path=ARTIFACTS / "intake-error.png", full_page=True)

        # Switching language on the way keeps everything typed.
        page.get_by_role("button", name="Українська").click()
        expect(page.locator("h1")).to_have_text("Розкажіть, що сталося")
        assert page.input_value("#id_surname") == "Вершинин" and page.is_checked("#id_consent")
        page.screenshot(path=ARTIFACTS / "intake-switched-language.png", full_page=True)
        page.get_by_role("button", name="Русский").click()
        assert page.input_value("#id_what_happened").startswith("Обменян в мае")

        page.fill("#id_name", "Мария")
        page.get_by_role("button", name="Отправить").click()
        reference = page.inner_text("#reference").strip()
        code = page.inner_text("#access-code").strip()
        assert len(code.replace(" ", "")) == 16 and code.count(" ") == 3
        page.screenshot(path=ARTIFACTS / "receipt.png", full_page=True)
        page.check("#id_written_down")
        page.click("button:has-text('Готово')")
        expect(page.locator("h1")).to_have_text("Спасибо")

        # Later: the status page, code typed as it was written on paper.
        page.goto(f"{live_site}/ru/status/")
        page.fill("#id_reference", reference.lower())
        page.fill("#id_code", code)
        page.click("button[type=submit]")
        assert "Мы получили ваше сообщение" in page.inner_text("#family-status")
        page.fill("#id_text", "Его перевели в госпиталь.")
        page.set_input_files("#id_uploads", str(photo))
        page.click("form[enctype] button[type=submit]")
        assert "Спасибо, мы получили" in page.inner_text(".notice")
        page.screenshot(path=ARTIFACTS / "status.png", full_page=True)
        page.click("button:has-text('Завершить сеанс')")
        assert page.is_visible("#id_code")
        browser.close()

    assert elsewhere == []
    case = Case.objects.get(reference=reference)
    assert case.serviceman.surname == "Вершинин" and case.applicant.telegram == ""
    assert case.applicant.signal == "@sestra_m" and case.needs_attention
    assert TimelineEntry.objects.filter(case=case, kind="message_in").count() == 1
    attachment = Attachment.objects.get(case=case)
    assert attachment.state == "clean" and "gps" in attachment.metadata_found


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize(
    ("language", "season", "summary_heading", "files_again", "send"),
    [
        (
            "ru",
            "весной 2024",
            "Пожалуйста, посмотрите на отмеченные ответы ниже.",
            "выберите файлы ещё раз",
            "Отправить",
        ),
        (
            "uk",
            "навесні 2024",
            "Будь ласка, перегляньте позначені відповіді нижче.",
            "виберіть файли ще раз",
            "Надіслати",
        ),
    ],
)
def test_the_error_summary_and_a_rough_date_on_a_phone(
    live_site, monkeypatch, tmp_path, language, season, summary_heading, files_again, send
):
    """The summary names and links each answer in error and says the chosen files must be
    chosen again; a date the family knows only as a season is accepted and kept as one."""
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(tiny_pdf())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            java_script_enabled=False,
            locale="ru-RU" if language == "ru" else "uk-UA",
            is_mobile=True,
        )
        page = context.new_page()
        page.goto(f"{live_site}/{language}/intake/")
        # No name, and a release date nobody can read; a season for the capture; one file.
        page.select_option("#id_relationship", "mother")
        page.check("#id_channel_5")  # do not contact me
        page.fill("#id_surname", "Вершинин")
        page.fill("#id_captured_on", season)
        page.fill("#id_released_on", "після обміну" if language == "uk" else "после обмена")
        page.set_input_files("#id_uploads", str(scan))
        page.check("#id_consent")
        page.get_by_role("button", name=send).last.click()

        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        assert summary.get_attribute("role") == "alert"
        assert summary_heading in summary.inner_text()
        assert files_again in summary.inner_text()
        links = summary.locator(".summary-list a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
            "#id_name",
            "#id_released_on",
        ]
        assert page.input_value("#id_captured_on") == season  # nothing typed is lost
        page.screenshot(path=ARTIFACTS / f"intake-error-summary-{language}.png", full_page=True)
        # The link takes the reader to the answer.
        links.nth(1).click()
        assert page.url.endswith("#id_released_on")
        expect(page.locator("#id_released_on")).to_be_in_viewport()

        page.fill("#id_name", "Галина")
        page.fill("#id_released_on", "03.2025")
        page.set_input_files("#id_uploads", str(scan))  # chosen again, as the summary asked
        page.get_by_role("button", name=send).last.click()
        reference = page.inner_text("#reference").strip()
        page.screenshot(path=ARTIFACTS / f"intake-rough-date-receipt-{language}.png")
        browser.close()

    man = Case.objects.get(reference=reference).serviceman
    assert (man.captured_on_text, man.captured_on_precision) == (season, "season")
    assert (man.released_on_text, man.released_on_precision) == ("03.2025", "month")
    assert Attachment.objects.filter(case__reference=reference).count() == 1
