"""Turns a lawyer's document template and a case's facts into a .docx draft, with no metadata.

Templates are Django template text with no tag libraries and no template loaders: they can
print the facts below and test them (`{% if serviceman.captured_on %}`), nothing else. A fact
nobody has recorded prints as a line to fill in by hand and counts as false in an `{% if %}`.

Only structured facts are offered (names, dates, unit, the earlier filing, the dated facts a
caseworker recorded and marked for documents: `case.chronology`). What the family
wrote in their own words (what happened, his state of mind, what they want) is never printed
into a document addressed to the state: the caseworker writes the account into the draft.
"""

from __future__ import annotations

import functools
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from django.template import Context, Engine, Library, Template, defaultfilters, defaulttags
from django.template.base import FilterExpression, Node, Variable
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
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
        allowed.filters[name] = _charged_filter(defaultfilters.register.filters[name])
    for name in ("length", "truncatechars", "truncatewords", "yesno", "slice"):
        allowed.filters[name] = _charged_filter(defaultfilters.register.filters[name])
    allowed.filters["join"] = _charged_filter(_bounded_join)
    engine.template_builtins = [allowed]
    return engine


# --- The rendering budget -----------------------------------------------------------------------
# A template is a lawyer's text, but it is rendered in a web request (the check when saving) and
# in a worker, so a slip ({% for %} inside {% for %} over a long text) must not hold either for
# minutes. Every part renders under three budgets; passing one stops it at once.

# A part longer than this is a mistake (or a loop gone wild), not a document.
MAX_PART_CHARS = 50_000
# Node renders and loop turns per part: the eight starting templates take a few hundred.
MAX_RENDER_STEPS = 20_000
# Characters filters may produce per part, printed or not ({% with %}, {% if %} build text too).
MAX_FILTER_CHARS = 1_000_000
# {% for %} inside {% for %} is enough for any document; a third level is refused when saving.
MAX_LOOP_DEPTH = 2


class RenderBudgetExceeded(Exception):
    """A part needed more steps, output or filter text than a document ever does."""


class _Budget:
    def __init__(self) -> None:
        self.steps = MAX_RENDER_STEPS
        self.output = MAX_PART_CHARS
        self.filtered = MAX_FILTER_CHARS

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise RenderBudgetExceeded("steps")

    def printed(self, chars: int) -> None:
        self.output -= chars
        if self.output < 0:
            raise RenderBudgetExceeded("output")

    def built(self, chars: int) -> None:
        self.filtered -= chars
        if self.filtered < 0:
            raise RenderBudgetExceeded("filters")


# Filters are plain functions with no access to the template context: the budget of the part
# being rendered reaches them through this variable (set only inside `_rendering`).
_BUDGET: ContextVar[_Budget | None] = ContextVar("casework_drafting_budget", default=None)


@contextmanager
def _rendering() -> Iterator[_Budget]:
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _charged_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, with the text it returns charged to the budget."""

    @functools.wraps(function)  # keeps is_safe, needs_autoescape and the signature Django reads
    def charged(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        budget = _BUDGET.get()
        if budget is not None and isinstance(result, str):
            budget.built(len(result))
        return result

    return charged


def _bounded_join(value: Any, arg: str, autoescape: bool = False) -> Any:
    """`join`, refused before it builds more than a part may hold: on a text it puts `arg`
    between the letters, so chained it multiplies the length every time."""
    try:
        items = [str(item) for item in value]
    except TypeError:
        return value  # as Django's join: not iterable, left as it is
    size = sum(len(item) for item in items) + len(str(arg)) * max(len(items) - 1, 0)
    if size > MAX_PART_CHARS:
        raise RenderBudgetExceeded("output")
    return defaultfilters.register.filters["join"](items, arg, autoescape=autoescape)


# {% if %}, {% for %} and {% with %} print only what the nodes inside them print.
_CONTAINERS = (defaulttags.IfNode, defaulttags.ForNode, defaulttags.WithNode)


class _Charged(Node):
    """Mixed into every node of a template being rendered: each render is a step, and what a
    printing node returns is charged to the part's output (so a part stops as soon as it
    passes the limit, long before the whole text would have been built)."""

    def render_annotated(self, context: Context) -> str:
        budget = _BUDGET.get()
        if budget is not None:
            budget.step()
        text = str(super().render_annotated(context))
        if budget is not None and not isinstance(self, _CONTAINERS):
            budget.printed(len(text))
        return text


class _LoopTurn(_Charged):
    """Put first in every loop body: one step per turn, even of a loop that prints nothing."""

    def render(self, context: Context) -> str:
        return ""


_charged_classes: dict[type[Node], type[Node]] = {}


def _charged_class(cls: type[Node]) -> type[Node]:
    if cls not in _charged_classes:
        _charged_classes[cls] = type(cls.__name__, (_Charged, cls), {})
    return _charged_classes[cls]


def _compile(text: str) -> Template:
    """The template, with every node charging the budget when it renders."""
    template = ENGINE.from_string(text)
    for node in template.nodelist.get_nodes_by_type(Node):
        node.__class__ = _charged_class(type(node))
        if isinstance(node, defaulttags.ForNode):
            cast(list[Node], node.nodelist_loop).insert(0, _LoopTurn())
    return template


ENGINE = _engine()
PARTS = ("heading", "title", "body", "signature")
# What a template may name, with an example; the admin shows this list to the lawyer.
FACTS: dict[str, dict[str, str]] = {
    "office": {
        "name": "Военная прокуратура 000 гарнизона",
        "addressee": "Военному прокурору 000 гарнизона",
        "address": "г. Город, ул. Улица, 1",
    },
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
    # The dated facts a caseworker marked for documents, one line each, in date order.
    "case": {
        "reference": "K7M4-QX2P",
        "chronology": "12.03.2025 — госпитализация: военный госпиталь\n"
        "около 20.03.2025 — перемещение: в/ч 00000",
    },
    # life_or_health_at_risk: "да" when the filing says so, else nothing (false in {% if %}).
    "filing": {"reference": "F-0000-0000", "kind": "жалоба", "life_or_health_at_risk": "да"},
    # The medical board's result the filing answers (the one it escalates, else the case's
    # latest); category_code is the value to test ({% if board.category_code == "В" %}).
    "board": {
        "date": "01.02.2025",
        "category": "В — ограниченно годен",
        "category_code": "В",
    },
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
    # A collective complaint (services/collective.py): the selection and its anonymised summary;
    # `signatures` holds one line per family member who agreed to be named, at the moment of use.
    "collective": {
        "subject": "военнослужащих в/ч 00000",
        "cases": "12",
        "men": "11",
        "period": "01.2025 – 05.2025",
        "facts": "ранены: 7; в плену: 5",
        "signatures": "1. Фамилия Имя Отчество ________________",
    },
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
            with _rendering():
                text = _compile(parts[part]).render(Context(dict(facts)))
        except RenderBudgetExceeded:
            # No cause: the worker records "too_long" for this part, as for a long text.
            raise TemplateTextError(f"{part}: {_too_long()}") from None
        except Exception as exc:  # noqa: BLE001  (a lawyer's text: any failure is its problem)
            raise TemplateTextError(f"{part}: {exc}") from exc
        if len(text) > MAX_PART_CHARS:
            raise TemplateTextError(f"{part}: {_too_long()}")
        rendered[part] = _UNPRINTABLE.sub("", text)  # a .docx cannot hold them
    return Draft(**rendered)


def _too_long() -> str:
    return _(
        "it makes a text longer than %(limit)d characters, or takes far more steps than a "
        "document needs (a loop inside a loop?)"
    ) % {"limit": MAX_PART_CHARS}


def template_check(parts: Mapping[str, str]) -> dict[str, str]:
    """Problems per part (empty when the template compiles, names only facts, and renders over
    the example facts). A misspelt name is found wherever it stands, in an `{% if %}` too,
    where it would otherwise just be false and silently leave a paragraph out."""
    known = set(FACTS) | {f"{group}.{name}" for group, names in FACTS.items() for name in names}
    problems = {}
    for part in PARTS:
        text = {name: parts.get(name) or "" for name in PARTS}
        try:
            compiled = ENGINE.from_string(text[part])
            unknown = sorted(_names_used(compiled) - known)
            loop_problem = _loop_problem(compiled)
            if loop_problem:
                problems[part] = _("This part cannot be used: %(error)s") % {"error": loop_problem}
                continue  # not rendered: that is what could take minutes
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


def _loop_problem(template: Template) -> str:
    """Why the loops of a template are refused ("" when they are fine): a loop over text written
    in the template itself (a literal, a {% with %} name given a literal, a filter that can
    return its literal argument), or loops nested deeper than MAX_LOOP_DEPTH."""
    nodes = template.nodelist.get_nodes_by_type(Node)
    literal_names = {
        name
        for node in nodes
        if isinstance(node, defaulttags.WithNode)
        for name, expression in node.extra_context.items()
        if _may_be_literal(expression)
    }
    for node in nodes:
        if not isinstance(node, defaulttags.ForNode):
            continue
        sequence = node.sequence
        if not isinstance(sequence, FilterExpression):
            continue  # always one, once compiled (the stubs also allow the source text)
        variable = sequence.var
        if _may_be_literal(sequence) or (
            isinstance(variable, Variable)
            and variable.lookups
            and variable.lookups[0] in literal_names
        ):
            return _("it loops over text written here; a {% for %} may only go over a name")
    if _loop_depth(template.nodelist) > MAX_LOOP_DEPTH:
        return _("it has more than two loops inside each other; a document never needs that")
    return ""


# Filters that can return their (literal) argument, or text made of it, instead of the value.
_RETURNS_ARGUMENT = (defaultfilters.default, defaultfilters.yesno, _bounded_join)


def _may_be_literal(expression: FilterExpression) -> bool:
    variable = expression.var
    if not isinstance(variable, Variable) or not variable.lookups:
        return True  # "text" or 12345 written in the template
    return any(
        getattr(function, "__wrapped__", function) in _RETURNS_ARGUMENT
        for function, arguments in expression.filters
        if any(not is_variable for is_variable, _argument in arguments)
    )


def _loop_depth(nodelist: Any) -> int:
    deepest = 0
    for node in nodelist:
        inner = max(
            (_loop_depth(getattr(node, name, None) or ()) for name in node.child_nodelists),
            default=0,
        )
        deepest = max(deepest, inner + isinstance(node, defaulttags.ForNode))
    return deepest


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
    top right, centred title, justified paragraphs), with every document property empty but a
    random identifier: the file must not carry our organisation's or anyone's name besides what
    the text says.

    Only the body and the identifier differ from one draft to the next: the rest of the package
    is made once per process (`_starting_package`) and the body is written with python-docx on
    a copy of its empty document. Opening, saving and cleaning a whole package for every draft
    cost three quarters of a draft's time (docs/benchmarks.md, "Document drafts")."""
    start = _starting_package()
    document = DocxDocument(parse_xml(start.document_xml), start.part)
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
    # A random id makes every file unique: the same template over the same facts would
    # otherwise give the same bytes, so a guessed draft could be matched against a stored one.
    core = start.core_xml.replace(_IDENTIFIER, f"urn:uuid:{uuid.uuid4()}".encode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in start.members:
            if name == _DOCUMENT_PART:
                content = serialize_part_xml(document.element)
            elif name == _CORE_PART:
                content = core
            entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            target.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_DOCUMENT_PART, _CORE_PART = "word/document.xml", "docProps/core.xml"
_IDENTIFIER = b"urn:uuid:00000000-0000-0000-0000-000000000000"  # replaced in every draft


@dataclass(frozen=True)
class _Start:
    part: Any  # python-docx's DocumentPart, read only: the body is written on a copy
    document_xml: bytes  # the empty document: page, margins, no paragraph
    core_xml: bytes  # empty properties, fixed dates, the identifier to replace
    members: tuple[tuple[str, bytes], ...]  # every part of the package, in order


@functools.cache
def _starting_package() -> _Start:
    """python-docx's starting document in our layout, its properties emptied, saved once and
    cleaned (`_scrubbed`). Read only once made, so threads may share it."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(14)
    style.paragraph_format.space_after = Pt(0)
    properties = document.core_properties
    for name in ("author", "category", "comments", "content_status", "identifier", "keywords"):
        setattr(properties, name, "")
    for name in ("language", "last_modified_by", "subject", "title", "version"):
        setattr(properties, name, "")
    properties.revision = 1
    properties.identifier = _IDENTIFIER.decode()
    # One fixed moment: the file's dates say nothing about who worked on it or when.
    properties.created = properties.modified = datetime(2000, 1, 1, tzinfo=UTC)
    properties.last_printed = datetime(2000, 1, 1, tzinfo=UTC)
    saved = io.BytesIO()
    document.save(saved)
    with zipfile.ZipFile(io.BytesIO(_scrubbed(saved.getvalue()))) as package:
        members = tuple((name, package.read(name)) for name in package.namelist())
    contents = dict(members)
    return _Start(
        part=document.part,
        document_xml=contents[_DOCUMENT_PART],
        core_xml=contents[_CORE_PART],
        members=members,
    )


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
