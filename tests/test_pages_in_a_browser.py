"""Issue 15, items 7 and 9: the staff pages on a phone, and no accessibility violation anywhere.

Runs the site in gunicorn (`live_site`) and drives Debian's Chromium through Playwright at
390×844, in Russian and in Ukrainian:

- staff (a coordinator signing in with a second factor): the sign-in page, the overview, the
  case, filing and deadline lists, a case page and a filing page never scroll sideways
  (`scrollWidth <= innerWidth`), a case or filing reference never breaks over two lines, and
  the overview's team table keeps its headers readable (never more lines than words);
- family: the intake form, the receipt, the status sign-in and the status page;
- every page above passes axe-core (WCAG 2.1 A and AA rules and best practices) with no
  violation at all; the staff pages also on a 1366×900 desktop screen.

Screenshots go to var/screenshots/ (kept by CI as artifacts).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from casework.models import AuthorityOffice, Case, Filing
from casework.roles import Role
from casework.services.filings import filing_create, filing_mark_sent
from tests.axe_support import axe_source, axe_violations
from tests.factories import STAFF_PASSWORD, CaseFactory, TeamFactory, TOTPDeviceFactory, UserFactory
from tests.staff_support import totp_token
from tests.test_portal_browser import CHROMIUM_ARGS, live_site  # noqa: F401  (fixture)

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# A case reference (K7M4-QX2P) or a filing's (FGNDC-2EDG), as pages print them.
REFERENCE = r"\b[A-Z0-9]{4,5}-[A-Z0-9]{4}\b"

# Where the page is wider than the screen, and which references break over two lines.
LAYOUT = """(reference) => {
    const named = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + [...element.classList].map((c) => "." + c).join("");
    const pattern = new RegExp(reference, "g");
    const broken = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const match of node.data.matchAll(pattern)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const rects = [...range.getClientRects()].filter((r) => r.width > 0);
            const lines = new Set(rects.map((r) => Math.round(r.top)));
            if (lines.size > 1) broken.push(match[0] + " in " + named(node.parentElement));
        }
    }
    // The outermost elements reaching past the screen's edge, to say what to fix.
    const wide = [];
    const limit = window.innerWidth + 1;
    const clipped = (element) => {
        for (let box = element.parentElement; box; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== "visible") return true;
        }
        return false;
    };
    for (const element of document.body.querySelectorAll("*")) {
        if (element.getBoundingClientRect().right <= limit) continue;
        if (element.parentElement.getBoundingClientRect().right > limit) continue;
        if (clipped(element)) continue;  // it scrolls inside its box, not the page
        wide.push(named(element));
    }
    const root = document.documentElement;
    return {
        scrollWidth: root.scrollWidth,
        innerWidth: window.innerWidth,
        broken: broken,
        wide: wide.slice(0, 6),
    };
}"""
# Header cells of a table that take more lines than they have words (one letter per line).
CRAMMED = """(selector) => [...document.querySelectorAll(selector)].filter((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
    // A hyphen may end a line as a space does ("Северо-" / "Западная").
    return lines.size > cell.textContent.trim().split(/[\\s-]+/).length;
}).map((cell) => cell.textContent.trim())"""


def browser_context(playwright, language: str, *, phone: bool = True):  # type: ignore[no-untyped-def]
    chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = chromium.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale={"ru": "ru-RU", "uk": "uk-UA"}[language],
        is_mobile=phone,
        has_touch=phone,
    )
    return chromium, context


def staff_world() -> tuple[Any, Any, Any, Filing]:
    """A coordinator, a team with a caseworker, a case with a sent complaint and its clocks."""
    team = TeamFactory(name="Северо-Западная группа сопровождения")
    UserFactory(role=Role.CASEWORKER, teams=[team])
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    device = TOTPDeviceFactory(user=coordinator)
    made = CaseFactory(team=team, status=Case.Status.ACTIVE, serviceman__jurisdiction="RU")
    case = cast(Case, made)  # factory_boy's types say the factory, not the row
    CaseFactory.create_batch(3, team=team, status=Case.Status.NEW)
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    assert office is not None  # seeded
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    filing = filing_mark_sent(
        filing=filing,
        actor=None,
        sent_on=dt.date.today() - dt.timedelta(days=20),
        method=Filing.Method.REGISTERED_MAIL,
        tracking_number="80012345678901",
        proof_to_follow="квитанция у матери",
    )
    return coordinator, device, case, filing


def check_page(page, name: str, problems: list[str], *, phone: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Screenshot the page, then note what axe finds and, on a phone, what does not fit."""
    page.wait_for_load_state("load")
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    problems += [f"{name}: axe {line}" for line in axe_violations(page)]
    if phone:
        layout = page.evaluate(LAYOUT, REFERENCE)
        if layout["innerWidth"] != PHONE["width"] or layout["scrollWidth"] > layout["innerWidth"]:
            problems.append(
                f"{name}: {layout['scrollWidth']} px wide on a {PHONE['width']} px screen "
                f"({', '.join(layout['wide'])})"
            )
        problems += [f"{name}: the reference {r} breaks over two lines" for r in layout["broken"]]


@pytest.mark.integration
@pytest.mark.parametrize(("language", "phone"), [("ru", True), ("uk", True), ("ru", False)])
def test_staff_pages_fit_a_phone_and_pass_axe(language, phone, live_site, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    axe_source()  # before anything starts: a missing axe-core skips (fails in CI) right away
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    coordinator, device, case, filing = staff_world()
    ours = urlsplit(live_site).netloc
    elsewhere: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        chromium, context = browser_context(playwright, language, phone=phone)
        screen = "phone" if phone else "desktop"
        page = context.new_page()
        page.on(
            "request",
            lambda request: (
                elsewhere.append(request.url) if urlsplit(request.url).netloc != ours else None
            ),
        )
        page.goto(f"{live_site}/admin/login/")
        check_page(page, f"staff-{language}-{screen}-sign-in", problems, phone=phone)
        page.fill("#id_username", coordinator.username)  # type: ignore[attr-defined]
        page.fill("#id_password", STAFF_PASSWORD)
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_site}/admin/")
        check_page(page, f"staff-{language}-{screen}-overview", problems, phone=phone)
        crammed = page.evaluate(CRAMMED, "#dashboard-teams th")
        problems += [f"overview: the team table's header {h!r} is crammed" for h in crammed]
        assert page.locator("#dashboard-teams tbody tr").count() >= 1

        pages = {
            "case-list": reverse("admin:casework_case_changelist"),
            "case": reverse("admin:casework_case_change", args=[case.pk]),
            "filing": reverse("admin:casework_filing_change", args=[filing.pk]),
            "filing-list": reverse("admin:casework_filing_changelist"),
            "deadline-list": reverse("admin:casework_deadline_changelist"),
        }
        for name, path in pages.items():
            page.goto(f"{live_site}{path}")
            check_page(page, f"staff-{language}-{screen}-{name}", problems, phone=phone)
            if name == "case":
                assert case.reference in page.inner_text("body")
        assert page.locator("#result_list tbody tr").count() >= 1  # the filing's clock
        chromium.close()
    assert elsewhere == []
    assert problems == [], "\n".join(problems)


@pytest.mark.integration
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_family_pages_pass_axe(language, live_site, monkeypatch):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    axe_source()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    words = {
        "ru": {"send": "Отправить", "done": "Готово", "thanks": "Спасибо"},
        "uk": {"send": "Надіслати", "done": "Готово", "thanks": "Дякуємо"},
    }[language]
    with sync_playwright() as playwright:
        chromium, context = browser_context(playwright, language)
        page = context.new_page()
        page.goto(f"{live_site}/{language}/intake/")
        check_page(page, f"family-{language}-intake", problems)
        page.select_option("#id_relationship", "mother")
        page.check("#id_channel_0")
        page.fill("#id_contact", "@mama_k")
        page.fill("#id_surname", "Вершинин")
        page.fill("#id_given_name", "Ростислав")
        page.fill("#id_unit", "в/ч 40231")
        page.select_option("#id_status", "redeployed")
        page.fill("#id_what_happened", "Обменян в мае, отправлен в часть без отпуска и ВВК.")
        page.check("#id_wants_0")
        page.check("#id_consent")
        page.fill("#id_name", "Мария")
        page.get_by_role("button", name=words["send"]).click()
        reference = page.inner_text("#reference").strip()
        code = page.inner_text("#access-code").strip()
        check_page(page, f"family-{language}-receipt", problems)
        page.check("#id_written_down")
        page.get_by_role("button", name=words["done"]).click()
        expect(page.locator("h1")).to_have_text(words["thanks"])

        page.goto(f"{live_site}/{language}/status/")
        check_page(page, f"family-{language}-status-sign-in", problems)
        page.fill("#id_reference", reference)
        page.fill("#id_code", code)
        page.click("button[type=submit]")
        page.wait_for_selector("#family-status")
        check_page(page, f"family-{language}-status", problems)
        chromium.close()
    assert re.fullmatch(REFERENCE, reference)
    assert problems == [], "\n".join(problems)


def test_without_axe_core_ci_fails_and_never_skips(monkeypatch, tmp_path):
    from tests import axe_support

    monkeypatch.setattr(axe_support, "AXE", tmp_path / "axe.min.js")
    axe_support.axe_source.cache_clear()
    try:
        monkeypatch.setenv("CI", "true")
        with pytest.raises(pytest.fail.Exception, match="npm ci --prefix tests/axe"):
            axe_support.axe_source()
        monkeypatch.delenv("CI")
        with pytest.raises(pytest.skip.Exception):
            axe_support.axe_source()
    finally:
        axe_support.axe_source.cache_clear()
