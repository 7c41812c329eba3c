"""Template filters for the reader: counted rows, clock formulas, seeded legal texts in their
language, references kept on one line."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from casework import formats
from casework.admin.wording import counted

register = template.Library()


@register.simple_tag
def counted_rows(changelist: Any, count: int | None = None) -> str:
    """ "21 дело": the list's number of rows (or `count`) with the noun in the right form."""
    return counted(changelist.model, changelist.result_count if count is None else count)


@register.filter
def basis(formula: str) -> str:
    """How a clock was computed, in the reader's language (casework/formats.py)."""
    return formats.basis_readable(formula)


@register.filter
def seeded(text: str) -> str:
    """A seeded legal text in the reader's language (casework/formats.py `seeded_text`)."""
    return formats.seeded_text(text)


@register.filter
def references_unbroken(text: str) -> SafeString:
    """The text with each reference in it kept on one line (casework/formats.py)."""
    return formats.references_unbroken(text)
