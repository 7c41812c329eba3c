"""Issue 15's tasks in a real browser (Debian's Chromium through Playwright, the site in
gunicorn), desktop 1366×900 in Russian and Ukrainian and a 390×844 phone in Russian:

- a caseworker signs in with a second factor, finds a case by the reference a mother reads out
  over the phone (lower case, no dash), reads the whole intake on the case page (safe hours,
  the serviceman's unit), assigns it to herself, creates a complaint, marks it sent, records its
  registration and downloads its draft;
- a coordinator bulk-assigns five new intakes to that caseworker.

axe-core runs on every page visited and fails the test on any violation; on the phone no page
scrolls sideways. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from docx import Document

from casework.models import AuthorityOffice, Case, Filing
from casework.roles import Role
from tests.axe_support import axe_source
from tests.factories import STAFF_PASSWORD, CaseFactory, TeamFactory, TOTPDeviceFactory, UserFactory
from tests.staff_support import totp_token
from tests.test_pages_in_a_browser import SCREENSHOTS, browser_context, check_page
from tests.test_portal_browser import live_site  # noqa: F401  (fixture)


def world() -> dict[str, Any]:
    team = TeamFactory(name="Северо-Западная группа сопровождения")
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], first_name="Ирина")
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    case = cast(
        Case,
        CaseFactory(
            team=team,
            status=Case.Status.NEW,
            serviceman__jurisdiction="RU",
            serviceman__unit_number="в/ч 95396",
            applicant__safe_hours="вечером после 20:00, муж не должен знать",
        ),
    )
    intakes = [cast(Case, c) for c in CaseFactory.create_batch(5, team=team)]
    return {
        "worker": worker,
        "worker_device": TOTPDeviceFactory(user=worker),
        "coordinator": coordinator,
        "coordinator_device": TOTPDeviceFactory(user=coordinator),
        "case": case,
        "intakes": intakes,
    }


def sign_in(page, site: str, user, device) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.fill("#id_otp_token", totp_token(device))
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize(("language", "phone"), [("ru", False), ("uk", False), ("ru", True)])
def test_a_caseworker_and_a_coordinator_do_their_work_in_the_browser(  # type: ignore[no-untyped-def]
    language,
    phone,
    live_site,  # noqa: F811
    monkeypatch,
):
    from playwright.sync_api import sync_playwright

    axe_source()  # a missing axe-core fails in CI before anything starts
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seeded = world()
    case, worker = seeded["case"], seeded["worker"]
    screen = "phone" if phone else "desktop"
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        chromium, context = browser_context(playwright, language, phone=phone)
        page = context.new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )

        def visited(name: str) -> None:
            check_page(page, f"workbench-{language}-{screen}-{name}", problems, phone=phone)

        sign_in(page, live_site, worker, seeded["worker_device"])
        # The reference as a mother reads it out: lower case, no dash.
        page.goto(f"{live_site}/admin/casework/case/")
        page.fill("#searchbar", case.reference.replace("-", "").lower())
        page.press("#searchbar", "Enter")
        page.wait_for_load_state("load")
        visited("search")
        assert page.locator("#result_list tbody tr").count() == 1
        page.click(f"#result_list a:text('{case.reference}')")
        page.wait_for_url(re.compile(rf"/admin/casework/case/{case.pk}/change/"))
        visited("case")
        body = page.inner_text("body")
        assert "вечером после 20:00, муж не должен знать" in body and "95396" in body

        # Assign it to herself, on the case page.
        page.select_option("#id_assignee", str(worker.pk))
        page.click("input[name=_continue]")
        page.wait_for_load_state("load")
        assert Case.objects.get(pk=case.pk).assignee_id == worker.pk

        # A complaint to the garrison prosecutor: created, sent, registered; its draft downloaded.
        page.goto(f"{live_site}/admin/casework/filing/add/?case={case.pk}")
        visited("new-filing")
        page.select_option("#id_office", str(_prosecutor().pk))
        page.select_option("#id_kind", "complaint")
        page.select_option("#id_signer", "family")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/casework/filing/*/change/")
        filing = Filing.objects.get(case=case)
        visited("filing")
        _step(page, live_site, filing, "sent", {"#id_sent_on": _today(), "#id_method": None})
        _step(
            page,
            live_site,
            filing,
            "registration",
            {"#id_registration_number": "ВП-1234", "#id_registered_on": _today()},
        )
        filing.refresh_from_db()
        assert filing.status == Filing.Status.REGISTERED
        page.goto(f"{live_site}/admin/casework/filing/{filing.pk}/change/")
        visited("filing-registered")
        with page.expect_download() as download:
            page.click("#filing-documents a[href*='/download/']")
        draft = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert any("Военному прокурору" in p.text for p in draft.paragraphs)
        context.clear_cookies()

        # The coordinator assigns five new intakes to her at once.
        sign_in(page, live_site, seeded["coordinator"], seeded["coordinator_device"])
        page.goto(f"{live_site}/admin/casework/case/?status__exact=new")
        visited("case-list-new")
        for intake in seeded["intakes"]:
            page.check(f"input[name=_selected_action][value='{intake.pk}']")
        page.select_option("select[name=action]", "assign_selected")
        page.click("button[name=index]")
        page.wait_for_load_state("load")
        visited("bulk-assign")
        page.select_option("#id_assignee", str(worker.pk))
        page.click("input[name=apply]")
        page.wait_for_load_state("load")
        chromium.close()
    intakes = Case.objects.filter(pk__in=[c.pk for c in seeded["intakes"]])
    assert set(intakes.values_list("assignee_id", flat=True)) == {worker.pk}
    assert elsewhere == []
    assert problems == [], "\n".join(problems)


def _today() -> str:
    return timezone.localdate().isoformat()


def _prosecutor() -> AuthorityOffice:
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    assert office is not None  # seeded
    return office


def _step(page, site: str, filing: Filing, action: str, values: dict[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site}/admin/casework/filing/{filing.pk}/do/{action}/")
    for selector, value in values.items():
        if value is None:  # a choice: the electronic reception needs no receipt or number
            page.select_option(selector, "e_reception")
        else:
            page.fill(selector, value)
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/casework/filing/{filing.pk}/change/")


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize(("language", "phone"), [("ru", False), ("uk", False), ("ru", True)])
def test_the_statistics_page_draws_its_charts_in_the_browser(  # type: ignore[no-untyped-def]
    language,
    phone,
    live_site,  # noqa: F811
    monkeypatch,
):
    """Issue 17: the coordinator's statistics page in Chromium, in Russian and Ukrainian, with
    its server-drawn SVG charts, no script, nothing from another host, axe clean, and on a phone
    no sideways scroll (a chart scrolls inside its box)."""
    from playwright.sync_api import sync_playwright

    from tests.test_statistics import _forget, seed_known_set

    axe_source()
    _forget()  # another test's figures, kept five minutes under this database's name
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seed_known_set()
    coordinator = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=coordinator)
    screen = "phone" if phone else "desktop"
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        chromium, context = browser_context(playwright, language, phone=phone)
        page = context.new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )
        sign_in(page, live_site, coordinator, device)
        page.click("a[href='/admin/statistics/']")
        page.wait_for_url(f"{live_site}/admin/statistics/")
        check_page(page, f"statistics-{language}-{screen}", problems, phone=phone)
        charts = page.locator("#content-main svg[role=img]")
        assert charts.count() == 7
        # Drawn: the units chart has bars, and its title names the chart in the reader's language.
        assert page.locator("#statistics-units svg rect").count() >= 1
        title = {"ru": "Дела по воинским частям", "uk": "Справи за військовими частинами"}
        assert title[language] in page.inner_text("#statistics-units h2")
        assert "в/ч 42038" in page.inner_text("#statistics-units table")
        assert page.locator("#content-main script").count() == 0
        chromium.close()
    assert elsewhere == []
    assert problems == [], "\n".join(problems)
