"""Turns a lawyer's document template and a case's facts into a .docx draft, with no metadata.

Templates are Django template text with no tag libraries and no template loaders: they can
print the facts below and test them (`{% if serviceman.captured_on %}`), nothing else. A fact
nobody has recorded prints as a line to fill in by hand and counts as false in an `{% if %}`.

Only structured facts are offered (names, dates, unit, the earlier filing). What the family
wrote in their own words (what happened, his state of mind, what they want) is never printed
into a document addressed to the state: the caseworker writes the account into the draft.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.template import Context, Engine, Library, defaultfilters, defaulttags
from django.template.base import FilterExpression, Node, Variable
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt


def _engine() -> Engine:
    """Django's template language cut down to printing and testing facts: `if`, `for`, `with`,
    `firstof`, `comment` and a few text filters. Nothing that reaches outside the facts
    (`url`, `include`, `now`, `debug`) or can be made to produce megabytes (`lorem`, `ljust`)."""
    engine = Engine(libraries={}, loaders=[], autoescape=False, string_if_invalid="")
    allowed = Library()
    for tag in ("if", "for", "with", "firstof", "comment"):
        allowed.tags[tag] = defaulttags.register.tags[tag]
    for name in ("default", "upper", "lower", "capfirst", "title", "cut", "first", "last"):
        allowed.filters[name] = defaultfilters.register.filters[name]
    for name in ("length", "join", "truncatechars", "truncatewords", "yesno", "slice"):
        allowed.filters[name] = defaultfilters.register.filters[name]
    engine.template_builtins = [allowed]
    return engine


ENGINE = _engine()
# A part longer than this is a mistake (or a loop gone wild), not a document.
MAX_PART_CHARS = 50_000
PARTS = ("heading", "title", "body", "signature")
# What a template may name, with an example; the admin shows this list to the lawyer.
FACTS: dict[str, dict[str, str]] = {
    "office": {"name": "Военный прокурор 000 гарнизона", "address": "г. Город, ул. Улица, 1"},
    "serviceman": {
        "full_name": "Фамилия Имя Отчество",
        "surname": "Фамилия",
        "given_name": "Имя",
        "patronymic": "Отчество",
        "birth_date": "01.01.2000",
        "unit": "в/ч 00000",
        "rank": "рядовой",
        "service_type": "мобилизованный",
        "captured_on": "01.01.2024",
        "released_on": "01.01.2025",
        "exchange_date": "01.01.2025",
    },
    "applicant": {
        "full_name": "Фамилия Имя Отчество",
        "relationship": "мать",
        "address": "почтовый адрес",
        "phone": "+7 000 000 00 00",
        "email": "name@example.org",
    },
    "case": {"reference": "K7M4-QX2P"},
    "filing": {"reference": "F-0000-0000", "kind": "жалоба"},
    "earlier": {
        "reference": "F-0000-0000",
        "kind": "жалоба",
        "office": "кому направлено",
        "sent_on": "01.02.2025",
        "tracking_number": "80000000000000",
        "registration_number": "ОГ-000",
        "registered_on": "03.02.2025",
        "due_on": "05.03.2025",
        "answered_on": "20.02.2025",
        "outcome": "отказ",
    },
    "signer": {"full_name": "Фамилия Имя Отчество"},
    "today": {"date": "01.03.2025"},
}
_HEADING = re.compile(r"^[^a-zа-яёіїєґ]+:$")  # ПРОШУ: / ПРИЛОЖЕНИЯ: — no lower-case letters
# Characters a .docx cannot hold (python-docx refuses them): a pasted text may carry them.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every part of the file gets this date: a zip entry otherwise says when the worker made it.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class Missing(str):
    """A fact nobody recorded: prints as a blank to fill in by hand, is false in `{% if %}`."""

    def __bool__(self) -> bool:
        return False


BLANK = Missing("________________")


@dataclass(frozen=True)
class Draft:
    heading: str
    title: str
    body: str
    signature: str


class TemplateTextError(ValueError):
    """A template part that does not compile or render; the message names the problem."""


def fact(value: object) -> str:
    """A fact as the document prints it: dates as dd.mm.yyyy, nothing recorded as BLANK."""
    if value is None or value == "":
        return BLANK
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return _UNPRINTABLE.sub("", str(value)).strip() or BLANK


def facts_of(values: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, str]]:
    """Every name of FACTS, from `values` where given, else BLANK (a template never fails on a
    fact that this case lacks)."""
    return {
        group: {name: fact(values.get(group, {}).get(name)) for name in names}
        for group, names in FACTS.items()
    }


def draft_render(parts: Mapping[str, str], facts: Mapping[str, Any]) -> Draft:
    """Render the four parts of a template over `facts`; TemplateTextError names a bad part."""
    rendered = {}
    for part in PARTS:
        try:
            text = ENGINE.from_string(parts[part]).render(Context(dict(facts)))
        except Exception as exc:  # noqa: BLE001  (a lawyer's text: any failure is its problem)
            raise TemplateTextError(f"{part}: {exc}") from exc
        if len(text) > MAX_PART_CHARS:
            raise TemplateTextError(f"{part}: longer than {MAX_PART_CHARS} characters")
        rendered[part] = _UNPRINTABLE.sub("", text)  # a .docx cannot hold them
    return Draft(**rendered)


def template_check(parts: Mapping[str, str]) -> dict[str, str]:
    """Problems per part (empty when the template compiles, names only facts, and renders over
    the example facts). A misspelt name is found wherever it stands, in an `{% if %}` too,
    where it would otherwise just be false and silently leave a paragraph out."""
    known = set(FACTS) | {f"{group}.{name}" for group, names in FACTS.items() for name in names}
    problems = {}
    for part in PARTS:
        text = {name: parts.get(name) or "" for name in PARTS}
        try:
            unknown = sorted(_names_used(ENGINE.from_string(text[part])) - known)
            # As a draft would be made: over every fact, and over none (all blanks).
            for facts in (facts_of(FACTS), facts_of({})):
                docx_build(draft_render({**dict.fromkeys(PARTS, ""), part: text[part]}, facts))
        except Exception as exc:  # noqa: BLE001  (shown to the lawyer next to the part)
            error = exc.args[0] if isinstance(exc, TemplateTextError) else exc
            problems[part] = _("This part cannot be used: %(error)s") % {
                "error": str(error).split(": ", 1)[-1]
            }
        else:
            if unknown:
                names = ", ".join(unknown)
                problems[part] = _("Not a name a template can use: %(names)s") % {"names": names}
    return problems


def _names_used(template: Any) -> set[str]:
    """Every variable a template reads: printed, filtered or tested in an `{% if %}`."""
    names: set[str] = set()

    def read(expression: object) -> None:
        if isinstance(expression, FilterExpression):
            read(expression.var)
            for _filter, arguments in expression.filters:
                for is_variable, argument in arguments:
                    if is_variable:
                        read(argument)
        elif isinstance(expression, Variable):
            if expression.lookups:  # None for a literal ("text", 3)
                names.add(".".join(expression.lookups))
        else:  # a condition of {% if %}: a literal holding an expression, or an operator
            for operand in ("value", "first", "second"):
                inner = getattr(expression, operand, None)
                if inner is not None:
                    read(inner)

    own: set[str] = {"forloop"}  # names a template gives itself ({% for x in … %}, {% with %})
    for node in template.nodelist.get_nodes_by_type(Node):
        for condition, _nodelist in getattr(node, "conditions_nodelists", ()):
            if condition is not None:
                read(condition)
        # Any expression a tag holds: {{ x }}, {% for … in x %}, {% firstof x y %}, {% with a=x %}.
        for value in vars(node).values():
            if isinstance(value, dict):
                value = list(value.values())
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, FilterExpression):
                    read(item)
        own.update(getattr(node, "loopvars", ()))
        own.update(getattr(node, "extra_context", {}))
    return {name for name in names if name.split(".")[0] not in own}


def docx_build(draft: Draft) -> bytes:
    """The draft as a .docx in the usual Russian/Ukrainian layout (Times New Roman 14, heading
    top right, centred title, justified paragraphs), with every document property empty: the
    file must not carry our organisation's or anyone's name besides what the text says."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(14)
    style.paragraph_format.space_after = Pt(0)

    for line in _lines(draft.heading, keep_empty=False):
        paragraph = document.add_paragraph(line)
        paragraph.paragraph_format.left_indent = Cm(8)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = title.paragraph_format.space_after = Pt(18)
    title.add_run(draft.title.strip()).bold = True
    for block in re.split(r"\n\s*\n", draft.body.strip()):
        _body_paragraphs(document, block)
    signature = document.add_paragraph()
    signature.paragraph_format.space_before = Pt(18)
    _add_lines(signature, _lines(draft.signature, keep_empty=False))

    properties = document.core_properties
    for name in ("author", "category", "comments", "content_status", "identifier", "keywords"):
        setattr(properties, name, "")
    for name in ("language", "last_modified_by", "subject", "title", "version"):
        setattr(properties, name, "")
    properties.revision = 1
    # One fixed moment: the file's dates say nothing about who worked on it or when.
    properties.created = properties.modified = datetime(2000, 1, 1, tzinfo=UTC)
    properties.last_printed = datetime(2000, 1, 1, tzinfo=UTC)
    out = io.BytesIO()
    document.save(out)
    return _scrubbed(out.getvalue())


def _scrubbed(data: bytes) -> bytes:
    """The package without what python-docx's starting file carries: the picture of a page
    (docProps/thumbnail.jpeg), the program's name (docProps/app.xml), and each part's date."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == "docProps/thumbnail.jpeg":
                continue
            content = source.read(item.filename)
            if item.filename == "_rels/.rels":
                content = re.sub(rb"<Relationship [^>]*docProps/thumbnail\.jpeg\"/>", b"", content)
            elif item.filename == "docProps/app.xml":
                content = _EMPTY_APP_PROPERTIES
            entry = zipfile.ZipInfo(item.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


_EMPTY_APP_PROPERTIES = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)


def _lines(text: str, *, keep_empty: bool = True) -> list[str]:
    # A fact left out by an {% if %} leaves an empty line, which the heading does without.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return lines if keep_empty else [line for line in lines if line]


def _add_lines(paragraph: Any, lines: list[str]) -> None:
    for number, line in enumerate(lines):
        run = paragraph.add_run(line)
        if number < len(lines) - 1:
            run.add_break()


def _body_paragraphs(document: Any, block: str) -> None:
    """A block of the body: each of its lines a justified paragraph of its own (a line break
    inside a justified paragraph would stretch the words of a short line across the page);
    a line in capitals ending with a colon (ПРОШУ:) bold, with space above it."""
    for number, line in enumerate(_lines(block, keep_empty=False)):
        paragraph = document.add_paragraph()
        if _HEADING.match(line):
            paragraph.paragraph_format.space_before = Pt(12)
            paragraph.add_run(line).bold = True
            continue
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1.25)
        if number == 0:
            paragraph.paragraph_format.space_before = Pt(6)
        paragraph.add_run(line)
