"""The coordinators' statistics page and its CSV download.

The figures come from selectors/statistics.py and are kept for STATISTICS_SECONDS in the shared
cache (the same fallback as the overview's: no cache, count afresh); the cached figures hold unit
hashes, never unit numbers, which are decrypted for each reader. Each chart is an SVG drawn here,
on the server, with presentation attributes only (no script, no style attribute: the CSP stays
as it is), and the same figures stand in a table beside it for screen readers. The download
carries exactly the figures the page shows: suppressed cells are "<5", medians whole days.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from casework.admin.base import acting_user
from casework.admin.dashboard import _cache_call, _cached, _key
from casework.models import Case, Filing, OfficeKind
from casework.models.people import Jurisdiction
from casework.roles import is_coordinator
from casework.selectors.statistics import (
    SUPPRESS_BELOW,
    Cell,
    OfficeLine,
    Statistics,
    Table,
    statistics_compute,
    unit_labels,
)
from casework.services.statistics import statistics_read_record
from casework.spreadsheets import spreadsheet_safe

STATISTICS_SECONDS = 300
# Colour-blind-safe (Okabe-Ito), one per column of a chart; the table carries the same figures.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # label, shown figures (last: total)
    svg: SafeString


def shown(value: Cell) -> str:
    return f"<{SUPPRESS_BELOW}" if value is None else str(value)


def svg_bars(
    title: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[Cell]]]
) -> SafeString:
    """Horizontal stacked bars, one per row; a suppressed figure is left out of its bar."""
    label_width, bar_width, line, legend_line = 220, 420, 22, 18
    largest = max((sum(v or 0 for v in cells) for _label, cells in rows), default=0) or 1
    height = line * len(rows) + legend_line * len(columns) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_width + bar_width + 60}"'
        f' height="{height}" viewBox="0 0 {label_width + bar_width + 60} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, cells) in enumerate(rows):
        y = i * line
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label[:34])}</text>"
        )
        x = float(label_width)
        for j, value in enumerate(cells):
            if not value:
                continue
            width = bar_width * value / largest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{line - 6}"'
                f' fill="{PALETTE[j % len(PALETTE)]}"/>'
            )
            x += width
        total = sum(v or 0 for v in cells)
        if total:
            parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="11">{total}</text>')
    top = line * len(rows) + 6
    for j, column in enumerate(columns):
        y = top + j * legend_line
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="12" height="12"'
            f' fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{label_width + 18}" y="{y + 11}" font-size="12">{escape(column)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _table_chart(key: str, title: str, table: Table, row_label: Any, column_label: Any) -> Chart:
    columns = tuple(column_label(c) for c in table.column_keys)
    rows = tuple(
        (row_label(r), (*table.cells[i], table.row_totals[i])) for i, r in enumerate(table.row_keys)
    )
    svg = svg_bars(title, columns, [(label, cells[:-1]) for label, cells in rows])
    shown_rows = tuple((label, tuple(shown(v) for v in cells)) for label, cells in rows)
    footer = (_("Total"), (*(shown(v) for v in table.column_totals), shown(table.total)))
    return Chart(key, title, (*columns, _("Total")), (*shown_rows, footer), svg)


def _office_chart(key: str, title: str, lines: Sequence[OfficeLine], kinds: bool) -> Chart:
    columns = (_("answered on time"), _("answered late"), _("never answered"))
    label = (lambda line: str(OfficeKind(line.name).label)) if kinds else (lambda line: line.name)
    rows = [
        (label(line), (line.answered_on_time, line.answered_late, line.never_answered))
        for line in lines
    ]
    svg = svg_bars(title, columns, rows)
    table_rows = tuple(
        (
            label(line),
            (
                *(
                    shown(v)
                    for v in (line.answered_on_time, line.answered_late, line.never_answered)
                ),
                shown(line.total),
                "–" if line.median_days is None else str(line.median_days),
            ),
        )
        for line in lines
    )
    return Chart(key, title, (*columns, _("Total"), _("median days to an answer")), table_rows, svg)


def statistics_charts(figures: Statistics) -> list[Chart]:
    """The page's charts, labelled in the reader's language (units decrypted now)."""
    units = unit_labels(figures.by_unit.row_keys)
    exchange_title = _("Men of each exchange sent back to the front")
    exchange_columns = (_("sent back to the front"), _("not sent back"))
    exchange_rows = [
        (
            f"{line.happened_on:%d.%m.%Y} {line.description}".strip(),
            (line.redeployed, line.not_redeployed, line.men),
        )
        for line in figures.by_exchange
    ]
    exchanges = Chart(
        "exchanges",
        exchange_title,
        (*exchange_columns, _("Total")),
        tuple((label, tuple(shown(v) for v in cells)) for label, cells in exchange_rows),
        svg_bars(exchange_title, exchange_columns, [(r[0], r[1][:2]) for r in exchange_rows]),
    )
    redeployment_title = _("How soon after each exchange men were sent back")
    redeployment_columns = (_("within 30 days"), _("31 to 90 days"), _("later"))
    redeployment_rows = [
        (
            f"{line.happened_on:%d.%m.%Y} {line.description}".strip(),
            (line.within_30, line.within_90, line.later),
            line,
        )
        for line in figures.redeployment
    ]
    redeployment = Chart(
        "redeployment",
        redeployment_title,
        (*redeployment_columns, _("Total"), _("median days")),
        tuple(
            (
                label,
                (
                    *(shown(v) for v in cells),
                    shown(line.total),
                    "–" if line.median_days is None else str(line.median_days),
                ),
            )
            for label, cells, line in redeployment_rows
        ),
        svg_bars(
            redeployment_title, redeployment_columns, [(r[0], r[1]) for r in redeployment_rows]
        ),
    )
    return [
        _table_chart(
            "status",
            _("Cases opened each month, by status"),
            figures.by_status,
            str,
            lambda c: str(Case.Status(c).label),
        ),
        _table_chart(
            "outcome",
            _("Cases opened each month, by outcome"),
            figures.by_outcome,
            str,
            lambda c: str(Case.Outcome(c).label) if c else _("no outcome yet"),
        ),
        _table_chart(
            "units",
            _("Cases by military unit"),
            figures.by_unit,
            lambda r: units.get(r, "?") if r else _("other units (fewer than 5 cases each)"),
            lambda c: _("cases"),
        ),
        exchanges,
        redeployment,
        _table_chart(
            "boards",
            _("Medical board conclusions by jurisdiction"),
            figures.boards,
            lambda r: str(Jurisdiction(r).label),
            lambda c: str(Filing.Category(c).label) if c else _("no conclusion yet"),
        ),
        _office_chart("offices", _("Answers by office"), figures.by_office, kinds=False),
        _office_chart(
            "office_kinds", _("Answers by kind of office"), figures.by_office_kind, kinds=True
        ),
    ]


# The cached figures are a pickled Statistics: a release that changes its fields reads under a
# new key, never an older object without them (a 500 for five minutes after each upgrade).
STATISTICS_SHAPE = hashlib.sha256(
    " ".join(f"{f.name}:{f.type}" for f in dataclasses.fields(Statistics)).encode()
).hexdigest()[:12]


STATISTICS_KEY = ("statistics", STATISTICS_SHAPE)


def _figures() -> Statistics:
    counted_at, figures = _cached(_key(*STATISTICS_KEY), statistics_compute, STATISTICS_SECONDS)
    return figures


def statistics_refresh() -> None:
    """Count every figure now and keep it for STATISTICS_SECONDS (beat runs this every 240 s,
    before they expire; config/settings/base.py): a coordinator opening the page finds the
    figures counted, never waits the ~1 s a count takes at 100,000 cases. Without Redis the
    page counts on a miss as before."""
    value = (timezone.now(), statistics_compute())
    _cache_call(lambda: cache.set(_key(*STATISTICS_KEY), value, STATISTICS_SECONDS), None)


def statistics_view(request: HttpRequest) -> HttpResponse:
    """Coordinators only: the figures are about every team's work."""
    if not is_coordinator(request.user):
        raise PermissionDenied
    figures = _figures()
    charts = statistics_charts(figures)
    statistics_read_record(actor=acting_user(request), download=False)
    from casework.admin.site import site

    context = {
        **site.each_context(request),
        "title": _("Statistics"),
        "charts": charts,
        "counted_at": figures.counted_at,
        "threshold": SUPPRESS_BELOW,
        "minutes": STATISTICS_SECONDS // 60,
    }
    return TemplateResponse(request, "admin/casework/statistics.html", context)


def statistics_csv_view(request: HttpRequest) -> HttpResponse:
    """The same figures as the page, one block per chart (audited as an export)."""
    if not is_coordinator(request.user):
        raise PermissionDenied
    charts = statistics_charts(_figures())
    statistics_read_record(actor=acting_user(request), download=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statistics.csv"'
    writer = csv.writer(response)
    for chart in charts:
        writer.writerow([chart.title])
        writer.writerow(["", *chart.columns])
        for label, cells in chart.rows:
            writer.writerow([spreadsheet_safe(label), *cells])
        writer.writerow([])
    return response
