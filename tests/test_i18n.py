"""Languages: complete ru/uk catalogues, compiled, and public pages by URL prefix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "casework" / "locale"


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_string_is_translated_and_compiled(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert untranslated == []
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {e.msgid: e.msgstr for e in mo}
    stale = [
        e.msgid
        for e in po
        if not e.obsolete and not e.msgid_plural and compiled.get(e.msgid) != e.msgstr
    ]
    assert stale == [], "run `make messages` to recompile the catalogues"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "title", "other_link"),
    [
        ("ru", "Справочная", 'href="/uk/"'),
        ("uk", "Довідкова", 'href="/ru/"'),
        ("en", "Help desk", 'href="/ru/"'),
    ],
)
def test_public_page_in_each_language_with_switch_links(client, prefix, title, other_link):
    response = client.get(f"/{prefix}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{title}</title>" in body
    assert other_link in body
    assert f'<html lang="{prefix}">' in body
    assert "django_language" not in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/intake/", "/status/"])
def test_bare_public_paths_redirect_to_russian(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == f"/ru{path}"


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    """What `makemessages` would extract today is all in the ru and uk catalogues already: a
    new string without its translation fails here, not in front of a Russian-speaking user."""
    app = Path(__file__).resolve().parent.parent / "casework"
    copy = tmp_path / "casework"
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    subprocess.run(
        [sys.executable, str(app.parent / "manage.py"), "makemessages", "-l", "ru"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        check=True,
        capture_output=True,
    )
    extracted = polib.pofile(str(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    wanted = {(e.msgctxt, e.msgid) for e in extracted if not e.obsolete}
    from django.utils import translation

    for language in ("ru", "uk"):
        po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
        have = {(e.msgctxt, e.msgid) for e in po if not e.obsolete}
        with translation.override(language):
            # Django's own strings (e.g. the admin's "Log in") come with Django's catalogues.
            missing = [
                msgid
                for context, msgid in wanted - have
                if (translation.pgettext(context, msgid) if context else translation.gettext(msgid))
                == msgid
            ]
        assert sorted(missing) == [], language
