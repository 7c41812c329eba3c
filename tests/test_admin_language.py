"""Issue 15, item 5: the Russian and Ukrainian admin has no English left and counts grammatically.

Every admin page a coordinator can open (walked from the admin site's registry, as the role
matrix does, with a seeded case, filing, deadline, person, office and rule) plus the sign-in
page is rendered in ru and in uk. Its visible text (text nodes, titles, placeholders, button
labels, options) is compared with every English msgid of Django's catalogues (core, admin, auth)
and of ours: a msgid found verbatim is a string that reached the page untranslated. A second
check catches English that never was in a catalogue (a rule's key such as "registration+30d"):
any Latin word left after removing the page's data (usernames, references, …) and the few
names that are the same in every language.

Plural forms: the changelist's result count and the admin's "selected" notes must be what the
catalogue's plural forms give for 0, 1, 2, 5, 11 and 21 rows, and for cases they are spelled out
here ("21 дело", "5 дел", "2 справи") so a wrong catalogue fails too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from casework.admin.dashboard import dashboard_forget
from casework.models import (
    AuthenticatorDevice,
    Case,
    CrisisLine,
    GivenNameEquivalent,
    Team,
)
from tests.factories import CaseFactory
from tests.security.test_role_url_matrix import (  # noqa: F401  (world is a fixture)
    World,
    admin_urls,
    expected,
    site_urls,
    world,
)

pytestmark = pytest.mark.django_db

DJANGO = Path(django.__file__).parent
CATALOGUES = [
    DJANGO / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po",
    DJANGO / "contrib" / "admin" / "locale" / "en" / "LC_MESSAGES" / "django.po",
    DJANGO / "contrib" / "auth" / "locale" / "en" / "LC_MESSAGES" / "django.po",
    Path(__file__).resolve().parent.parent
    / "casework"
    / "locale"
    / "ru"
    / "LC_MESSAGES"
    / "django.po",
]
# Names written the same in every language (brands, formats, the law's own abbreviations); the
# Latin words our translators and Django's kept in the ru/uk texts are added to these below.
SAME_IN_EVERY_LANGUAGE = {
    "Telegram",
    "Signal",
    "WhatsApp",
    "Viber",
    "PDF",
    "CSV",
    "API",
    "DOCX",
    "ODT",
    "TOTP",
    "JPEG",
    "PNG",
    "SHA",
    "EXIF",
    "GPS",
    "UTC",
    "URL",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
# An English word or phrase; not part of an address, a domain or a code ("ru-appeal-command").
LATIN_WORD = re.compile(
    r"(?<![A-Za-z0-9@./-])[A-Za-z][a-z]{2,}(?:[ '][A-Za-z]+)*(?![A-Za-z0-9@/-])(?!\.\w)"
)
WORD = re.compile(r"[A-Za-z]{2,}")


# Not the interface's words: code (a template's names, the audit record as written), and a form's
# field being edited (its text is the record's).
HIDDEN_TAGS = ("script", "style", "template", "textarea", "code")


class VisibleText(HTMLParser):
    """What a reader sees or hears of a page: text outside scripts and styles, and the labels
    carried by attributes (titles, placeholders, alternative text, button values)."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        values = dict(attrs)
        self.parts += [values[name] or "" for name in self.SHOWN_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        # One line per text node: a phrase never runs on from one element into the next.
        lines = (" ".join(part.split()) for part in parser.parts)
        return "\n".join(line for line in lines if line)


@cache
def kept_in_translations() -> frozenset[str]:
    """Latin words the ru and uk catalogues themselves use ("Casework", "Mac", "worker")."""
    words = set(SAME_IN_EVERY_LANGUAGE)
    # Django's core catalogue keeps "True", "False" and more in its ru/uk messages: not counted.
    for path in CATALOGUES[1:]:
        for language in ("ru", "uk"):
            translated = str(path).replace("/en/", f"/{language}/").replace("/ru/", f"/{language}/")
            for entry in polib.pofile(translated):
                for text in (entry.msgstr, *entry.msgstr_plural.values()):
                    words |= set(WORD.findall(PLACEHOLDER.sub(" ", text)))
    return frozenset(words)


@cache
def english_strings() -> tuple[tuple[frozenset[str], re.Pattern[str], str], ...]:
    """Every English msgid (singular and plural) as a pattern, with the words it needs, for the
    cheap test first: a ru/uk page holds few Latin words, so few patterns are ever tried."""
    found = {}
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            for msgid in (entry.msgid, entry.msgid_plural):
                if not msgid or msgid in found:
                    continue
                literal = PLACEHOLDER.sub(" ", msgid)
                words = frozenset(WORD.findall(literal))
                if sum(len(word) for word in words) < 3 or words <= kept_in_translations():
                    continue
                chunks = [re.escape(" ".join(c.split())) for c in PLACEHOLDER.split(msgid)]
                pattern = r"(?<![A-Za-z0-9@./-])" + r".{1,80}?".join(chunks) + r"(?![a-z0-9@/-])"
                found[msgid] = (words, re.compile(pattern))
    return tuple((words, pattern, msgid) for msgid, (words, pattern) in found.items())


def found_in(pattern: re.Pattern[str], html: str) -> str:
    """The visible text of the first part of `html` that `pattern` finds (there must be one)."""
    match = pattern.search(html)
    assert match is not None, pattern.pattern
    return VisibleText.of(match[1])


def english_left(text: str, data: set[str]) -> list[str]:
    """Untranslated catalogue entries and stray English words in a page's visible text."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    words = set(WORD.findall(text))
    hits = [
        msgid
        for need, pattern, msgid in english_strings()
        if need <= words and pattern.search(text)
    ]
    strays = [
        word
        for word in LATIN_WORD.findall(text)
        if not set(word.replace("'", " ").split()) <= kept_in_translations()
    ]
    return sorted(set(hits)) + sorted(f"stray: {word}" for word in set(strays))


def page_data() -> set[str]:
    """What the seeded rows put on pages as they are: they are not the interface's words."""
    data = set(User.objects.values_list("username", flat=True))
    data |= set(User.objects.exclude(email="").values_list("email", flat=True))
    data |= set(AuthenticatorDevice.objects.values_list("name", flat=True))
    data |= set(Team.objects.values_list("name", flat=True))
    # Transliterations of given names and the crisis lines' own names are the rows' content.
    data |= set(GivenNameEquivalent.objects.values_list("spelling", flat=True))
    data |= set(GivenNameEquivalent.objects.values_list("group", flat=True))
    data |= set(CrisisLine.objects.values_list("name", flat=True))
    return {value for value in data if value}


@pytest.fixture
def written_in_russian() -> Iterator[None]:
    """The services write some timeline notes as text, in the language active at the time; a
    test before this one in the same process may have left English active (Django keeps the
    last request's language), and `world` would then be written in English."""
    with translation.override("ru"):
        yield


def coordinator_pages(world: World) -> list[str]:  # noqa: F811
    """Every admin page a coordinator gets (status 200 in the role matrix) that is HTML."""
    pages = [
        url.path
        for url in (*site_urls(world), *admin_urls(world))
        if expected("coordinator", url) == 200 and url.view not in ("jsi18n", "statistics_csv")
    ]
    assert len(pages) > 60, pages  # the walk found the admin
    return pages


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_admin_page_a_coordinator_opens_is_without_english(
    language,
    written_in_russian,
    world,  # noqa: F811
    verified_client,
):
    coordinator = world.people["coordinator"]
    client = verified_client(coordinator, language=language)
    world.objects["casework.authenticatordevice"] = AuthenticatorDevice.objects.order_by(
        "pk"
    ).first()
    dashboard_forget()  # the teams' numbers another test left in the cache name its teams
    data = page_data()
    found: dict[str, list[str]] = {}
    signed_out = Client(headers={"accept-language": language})
    pages = [(signed_out, "/admin/login/")] + [(client, path) for path in coordinator_pages(world)]
    for browser, path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        assert response["Content-Language"] == language, path
        left = english_left(VisibleText.of(response.content.decode()), data)
        if left:
            found[path] = left
    # The sign-in page refusing a wrong password says so in the reader's language too.
    refused = signed_out.post(
        "/admin/login/", {"username": coordinator.username, "password": "x", "otp_token": "1"}
    )
    assert refused.status_code == 200 and b"errornote" in refused.content
    left = english_left(VisibleText.of(refused.content.decode()), data)
    if left:
        found["/admin/login/ (refused)"] = left
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_check_finds_english_left_in_a_page():
    """The walk above is only as good as this: catalogue entries, stray words, and no alarm on
    codes, addresses, template names or the translators' own Latin words."""
    page = (
        "<h1>Изменение: дело</h1><label>Merged into</label><p>Save and add another</p>"
        "<td>response_due #2</td><td>ru-appeal-command</td><td>ivcrb.ru/questions</td>"
        "<p>Проверьте worker и beat</p><code>{{ earlier.sent_on }}</code>"
        '<img alt="True"><textarea>body text</textarea><input type="submit" value="Delete">'
    )
    assert english_left(VisibleText.of(page), set()) == [
        "Delete",
        "Save",
        "Save and add another",
        "and",
        "due",
        "due %(when)s",
        "stray: Delete",
        "stray: Merged into",
        "stray: Save and add another",
        "stray: True",
        "stray: due",
        "stray: response",
    ]


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_seeded_legal_text_reads_in_the_readers_language(language):
    """Rules' titles and sources, the ladders' advice and the templates' sources as seeded are
    catalogue entries (casework/formats.py `seeded_text`)."""
    from casework.formats import seeded_text
    from casework.models import DocumentTemplate, EscalationStep, ResponseRule

    texts = {
        *ResponseRule.objects.values_list("title", flat=True),
        *ResponseRule.objects.exclude(source="").values_list("source", flat=True),
        *EscalationStep.objects.exclude(description="").values_list("description", flat=True),
        *DocumentTemplate.objects.exclude(source="").values_list("source", flat=True),
    }
    assert len(texts) > 30
    with translation.override(language):
        english = [text for text in texts if seeded_text(text) == text]
        strays = [
            text for text in texts if LATIN_WORD.search(seeded_text(text).replace("LEGAL.md", ""))
        ]
    assert english == []
    assert strays == []


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("ru", "получение+3 дн. (регистрация)+30 дн.+30 дн. (продление), перенесено с 01.05.2026"),
        ("uk", "отримання+3 дн. (реєстрація)+30 дн.+30 дн. (продовження), перенесено з 01.05.2026"),
    ],
)
def test_a_clocks_formula_reads_in_the_readers_language(language, shown):
    from casework.formats import basis_readable

    with translation.override(language):
        assert basis_readable("receipt+3d(lag)+30d+30d(ext), rolled from 2026-05-01") == shown
        # A rule's code in it stays as it is.
        assert basis_readable("early check, ua-raport-48h v1").endswith(", ua-raport-48h v1")


CASES_COUNTED = {
    "ru": {0: "0 дел", 1: "1 дело", 2: "2 дела", 5: "5 дел", 11: "11 дел", 21: "21 дело"},
    "uk": {
        0: "0 справ",
        1: "1 справа",
        2: "2 справи",
        5: "5 справ",
        11: "11 справ",
        21: "21 справа",
    },
}
ALL_SELECTED = {"ru": "Выбраны все: {}", "uk": "Вибрано всі: {}"}
PAGINATOR = re.compile(r'<p class="paginator">(.*?)</p>', re.S)
ACTIONS_COUNTER = re.compile(r'<span class="all hidden">(.*?)</span>', re.S)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_counts_on_the_case_list_take_the_plural_form_of_the_number(
    language, verified_client, coordinator, monkeypatch
):
    from casework.admin.cases import CaseAdmin
    from casework.admin.wording import counted

    # One row a page, so that the "select all across pages" notes are on the page too.
    monkeypatch.setattr(CaseAdmin, "list_per_page", 1)
    client = verified_client(coordinator, language=language)
    made = 0
    for count, spelled in CASES_COUNTED[language].items():
        CaseFactory.create_batch(count - made)
        made = count
        html = client.get("/admin/casework/case/").content.decode()
        paginator = found_in(PAGINATOR, html)
        assert re.search(rf"(?<!\d){spelled}\b", paginator), (count, paginator)
        with translation.override(language):
            assert counted(Case, count) == spelled
            note = translation.ngettext(
                "%(total_count)s selected", "All %(total_count)s selected", count
            ) % {"total_count": count}
        if count > 1:  # a list on one page has no "select all across pages"
            assert found_in(ACTIONS_COUNTER, html) == note
            assert note == ALL_SELECTED[language].format(count)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_list_counts_its_rows_with_the_catalogues_plural_forms(
    language,
    world,  # noqa: F811
    verified_client,
):
    """Each changelist a coordinator opens ends its paginator with `counted`, not a plural name
    after a number."""
    from django.apps import apps

    from casework.admin.wording import COUNTED, counted

    client = verified_client(world.people["coordinator"], language=language)
    lists = [
        url.path
        for url in admin_urls(world)
        if url.view == "changelist" and expected("coordinator", url) == 200
    ]
    assert len(lists) >= 18
    for path in lists:
        response = client.get(path)
        changelist = response.context["cl"]
        label = changelist.model._meta.label_lower
        assert label in COUNTED, label
        paginator = found_in(PAGINATOR, response.content.decode())
        with translation.override(language):
            phrase = counted(apps.get_model(label), changelist.result_count)
        assert re.search(rf"(?<!\d){phrase}\b", paginator), (path, paginator)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_staff_emails_have_no_english_left(  # type: ignore[no-untyped-def]
    language, settings, django_capture_on_commit_callbacks
):
    """The other half of item 5: what staff receive by email, in STAFF_EMAIL_LANGUAGE. A
    reminder digest (a clock due in two days, one missed and escalated) and a new-intake notice
    are sent through the real services and read like the pages above."""
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from casework.models import AuthorityOffice, Deadline, Notification
    from casework.roles import Role
    from casework.services.filings import filing_create, filing_mark_sent
    from casework.services.notifications import notification_send, notifications_queue
    from casework.services.reminders import deadlines_sweep
    from tests.factories import CaseFactory, TeamFactory, UserFactory

    settings.STAFF_EMAIL_LANGUAGE = language
    settings.SITE_URL = "https://casework.example.org"
    team = TeamFactory(name="Северная группа")
    worker = UserFactory(role=Role.CASEWORKER, teams=[team], email="w@example.org")
    UserFactory(role=Role.COORDINATOR, teams=[team], email="lead@example.org")
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    for days in (2, -5):  # due soon; missed long enough to go to the coordinators too
        case = CaseFactory(team=team, assignee=worker)
        filing = filing_create(
            case=case, office=office, kind="complaint", signer="family", actor=None
        )
        filing_mark_sent(
            filing=filing, actor=None, sent_on=timezone.localdate(), method="e_reception"
        )
        Deadline.objects.filter(filing=filing, kind=Deadline.Kind.RESPONSE_DUE).update(
            due_at=timezone.now() + timedelta(days=days)
        )
        Deadline.objects.filter(filing=filing, kind=Deadline.Kind.EARLY_CHECK).delete()
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    [notice] = notifications_queue(
        kind=Notification.Kind.NEW_INTAKE, key="n1", recipients=[worker], case=case
    )
    notification_send(notification_id=notice)
    assert len(mail.outbox) >= 3  # the worker's digest, the coordinator's, the notice
    data = {settings.SITE_URL, *(email.to[0] for email in mail.outbox)}
    found = {
        email.subject: left
        for email in mail.outbox
        if (left := english_left(f"{email.subject}\n{email.body}", data))
    }
    assert found == {}, found
    # The check reads these emails' own words: the digest's first line untranslated is found.
    assert "Deadlines that need you:" in english_left("Deadlines that need you:", set())
