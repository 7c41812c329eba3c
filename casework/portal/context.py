"""Template context for public pages: language links by URL prefix."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def portal(request: HttpRequest) -> dict[str, object]:
    current = get_language()
    # Only the path: a query string could carry something typed, and links must not copy it.
    links = [
        {
            "code": code,
            "name": name,
            "url": translate_url(request.path, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]
    return {"language_links": links}
