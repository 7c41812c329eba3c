"""Issue 17: the import flow in a real browser (Russian): dashboard link, upload, mapping a
column the page could not guess, the dry run naming the man already recorded, the commit, and
no sheet left on disk."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from casework.models import Case, CaseImport
from casework.roles import Role
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.test_portal_browser import ARTIFACTS, CHROMIUM_ARGS, live_site  # noqa: F401

SHEET = (
    "Кто;Имя;Дата рождения;Телефон\n"
    "Putintsev;Kirill;12.03.1998;\n"
    "Зотов;Глеб;01.02.2003;+7 900 555 1212\n"
    "Ясинский;Олег;15.06.1995;\n"
)


@pytest.mark.integration
def test_a_coordinator_imports_a_sheet_in_the_browser(live_site, media_root, monkeypatch, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    from tests.factories import STAFF_PASSWORD, TOTPDeviceFactory
    from tests.staff_support import totp_token

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    ARTIFACTS.mkdir(exist_ok=True)
    coordinator = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=coordinator)
    team = TeamFactory(name="Команда импорта")
    existing = CaseFactory(
        serviceman__surname="Путинцев",
        serviceman__given_name="Кирилл",
        serviceman__birth_date=date(1998, 3, 12),
    ).serviceman
    sheet = tmp_path / "семьи.csv"
    sheet.write_bytes(SHEET.encode("utf-8"))
    sent: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="ru-RU").new_page()
        page.on("request", lambda request: sent.append(request.url))
        page.goto(f"{live_site}/admin/")
        page.fill("#id_username", coordinator.username)
        page.fill("#id_password", STAFF_PASSWORD)
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.click("#import-link")
        expect(page.locator("h1")).to_have_text("Загрузка дел из таблицы")
        page.set_input_files("#id_sheet", str(sheet))
        page.select_option("#id_team", label="Команда импорта")
        page.click("#import-upload input[type=submit]")
        page.wait_for_load_state()
        # "Кто" is not a header the page knows: it is left unmapped, and the surname is chosen.
        expect(page.locator("#column-0")).to_have_value("")
        expect(page.locator("#column-2")).to_have_value("birth_date")
        page.select_option("#column-0", "surname")
        page.click("#import-mapping input[type=submit]")
        page.wait_for_load_state()
        expect(page.locator("#import-summary")).to_have_text(
            "Строк: 3. Новых дел: 2. Уже записаны (пропускаются): 1. С ошибками: 0."
        )
        expect(page.locator("#import-preview")).to_contain_text(
            f"Уже записан как {existing.reference}: пропущено."
        )
        page.screenshot(path=ARTIFACTS / "import-preview.png", full_page=True)
        page.click("#import-commit input[type=submit]")
        page.wait_for_load_state()
        expect(page.locator("#import-result")).to_contain_text("Загружено новых дел: 2.")
        chromium.close()
    imported = Case.objects.filter(source=Case.Source.IMPORT, team=team)
    assert sorted(c.serviceman.surname for c in imported) == ["Зотов", "Ясинский"]
    assert CaseImport.objects.get().state == CaseImport.State.COMMITTED
    assert [p for p in Path(media_root).rglob("*") if p.is_file()] == []
    assert not any("Putintsev" in url or "Зотов" in url for url in sent)


@pytest.mark.integration
def test_an_encrypted_export_is_saved_from_the_page_that_shows_its_password(
    live_site,  # noqa: F811
    monkeypatch,
    tmp_path,
):  # type: ignore[no-untyped-def]
    import io

    from msoffcrypto.format.ooxml import OOXMLFile
    from playwright.sync_api import expect, sync_playwright

    from tests.factories import STAFF_PASSWORD, TOTPDeviceFactory
    from tests.staff_support import totp_token

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    coordinator = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=coordinator)
    case = CaseFactory(serviceman__surname="Ознобишин")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="ru-RU", accept_downloads=True).new_page()
        page.goto(f"{live_site}/admin/")
        page.fill("#id_username", coordinator.username)
        page.fill("#id_password", STAFF_PASSWORD)
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.click("#export-link")
        page.check("input[name=personal_columns][value=surname]")
        page.check("#id_include_personal")
        page.click("#export-form input[type=submit]")
        page.wait_for_load_state()
        password = page.locator("#export-password code").inner_text()
        expect(page.locator("#export-download")).to_be_visible()
        with page.expect_download() as download_info:
            page.click("#export-download")
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / "cases.xlsx"
        download.save_as(saved)
        chromium.close()
    office = OOXMLFile(io.BytesIO(saved.read_bytes()))
    office.load_key(password=password)
    plain = io.BytesIO()
    office.decrypt(plain)
    import openpyxl

    rows = [[c.value for c in row] for row in openpyxl.load_workbook(plain).worksheets[0].rows]
    assert rows[1] == [case.reference, "новое", "Ознобишин"]  # reference and status are ticked
