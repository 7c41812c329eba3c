"""Statistics for advocacy: aggregates over the whole case load, small counts suppressed.

Only counts leave this module, never a row: a figure under SUPPRESS_BELOW is replaced by None
(shown as "<5"), and a second figure is hidden beside it wherever a total would give it away
(`suppress_table`). Units are grouped by their keyed hash (`Serviceman.unit_index`); the plain
unit number is decrypted for the label only when a page or a download is made (`unit_labels`),
so what is cached holds no unit number. Merged duplicates are left out: they count once, in the
case they were merged into. Each figure set is a fixed number of queries, whatever the data.
"""

from __future__ import annotations

import statistics as pystatistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from casework.approximate_dates import DatePrecision
from casework.models import Case, Exchange, Filing, FilingKind, Serviceman

SUPPRESS_BELOW = 5
# How far back "cases over time" reaches, in months (the current one included).
MONTHS = 12

Cell = int | None  # None: suppressed


class Median(Aggregate):
    """PostgreSQL's median (the embedded SQLite default computes it in Python instead)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class Table:
    """Rows x columns of counts with their totals; None where a figure is suppressed."""

    row_keys: tuple[str, ...]
    column_keys: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class OfficeLine:
    key: str  # the office's id, or its kind
    name: str  # organisational, not personal
    answered_on_time: Cell
    answered_late: Cell
    never_answered: Cell
    total: Cell
    median_days: int | None  # None when suppressed or nothing answered


@dataclass(frozen=True)
class ExchangeLine:
    exchange_id: int
    happened_on: date
    description: str
    men: Cell
    redeployed: Cell
    not_redeployed: Cell


@dataclass(frozen=True)
class RedeploymentLine:
    """How soon the men of one exchange with a recorded redeployment day went back."""

    exchange_id: int
    happened_on: date
    description: str
    within_30: Cell
    within_90: Cell
    later: Cell
    total: Cell
    median_days: int | None  # None when fewer than 2 × SUPPRESS_BELOW dates are known


# How soon after the exchange, in days: the columns of the redeployment chart.
REDEPLOYMENT_BANDS = (30, 90)


@dataclass(frozen=True)
class Statistics:
    months: tuple[str, ...]  # "YYYY-MM"
    by_status: Table  # month x case status
    by_outcome: Table  # month x case outcome ("" = none yet)
    by_unit: Table  # unit hash x "cases"; units under the threshold pooled as "" (other)
    by_exchange: tuple[ExchangeLine, ...]
    redeployment: tuple[RedeploymentLine, ...]
    boards: Table  # jurisdiction x fitness category ("" = no conclusion yet)
    by_office: tuple[OfficeLine, ...]
    by_office_kind: tuple[OfficeLine, ...]
    counted_at: datetime = field(default_factory=timezone.now)


# --- Suppression -----------------------------------------------------------------------------


def _primary(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


def _secure_line(values: Sequence[int], hidden: list[bool], total_hidden: bool) -> bool | None:
    """Hide more of one line (a row or a column) until its shown total cannot give a hidden
    figure away: at least two figures hidden, together at least SUPPRESS_BELOW. Returns whether
    anything changed, or None when only hiding the line's total itself will do."""
    if total_hidden or not any(hidden):
        return False
    changed = False
    while True:
        hidden_values = [v for v, h in zip(values, hidden, strict=True) if h]
        if len(hidden_values) >= 2 and sum(hidden_values) >= SUPPRESS_BELOW:
            return changed
        candidates = [i for i, v in enumerate(values) if not hidden[i] and v > 0]
        if not candidates:
            return None
        smallest = min(candidates, key=lambda i: (values[i], i))
        hidden[smallest] = True
        changed = True


def suppress_table(
    row_keys: Sequence[str], column_keys: Sequence[str], counts: dict[tuple[str, str], int]
) -> Table:
    """Counts under SUPPRESS_BELOW hidden (zeros are shown: they reveal nobody), then, row by row
    and column by column until nothing changes, the smallest other figures too wherever the
    line's total would otherwise let a reader subtract their way to a hidden one."""
    grid = [[counts.get((r, c), 0) for c in column_keys] for r in row_keys]
    row_sums = [sum(line) for line in grid]
    column_sums = [sum(grid[i][j] for i in range(len(row_keys))) for j in range(len(column_keys))]
    total = sum(row_sums)
    hidden = [[_primary(v) for v in line] for line in grid]
    row_hidden = [_primary(v) for v in row_sums]
    column_hidden = [_primary(v) for v in column_sums]
    total_hidden = _primary(total)
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(grid):
            result = _secure_line(line, hidden[i], row_hidden[i])
            if result is None:
                row_hidden[i] = changed = True
            changed |= bool(result)
        for j in range(len(column_keys)):
            column = [grid[i][j] for i in range(len(row_keys))]
            marks = [hidden[i][j] for i in range(len(row_keys))]
            result = _secure_line(column, marks, column_hidden[j])
            if result is None:
                column_hidden[j] = changed = True
            elif result:
                changed = True
                for i, mark in enumerate(marks):
                    hidden[i][j] = mark
        # The row totals against the grand total, and the column totals likewise.
        for sums, marks in ((row_sums, row_hidden), (column_sums, column_hidden)):
            result = _secure_line(sums, marks, total_hidden)
            if result is None:
                total_hidden = changed = True
            changed |= bool(result)

    def shown(value: int, is_hidden: bool) -> Cell:
        return None if is_hidden else value

    return Table(
        row_keys=tuple(row_keys),
        column_keys=tuple(column_keys),
        cells=tuple(
            tuple(shown(v, h) for v, h in zip(line, marks, strict=True))
            for line, marks in zip(grid, hidden, strict=True)
        ),
        row_totals=tuple(shown(v, h) for v, h in zip(row_sums, row_hidden, strict=True)),
        column_totals=tuple(shown(v, h) for v, h in zip(column_sums, column_hidden, strict=True)),
        total=shown(total, total_hidden),
    )


def _suppress_lines(lines: Sequence[Sequence[int]]) -> list[list[Cell]]:
    """Lines that each end with their own total (no grand total is shown)."""
    out = []
    for line in lines:
        table = suppress_table(
            ["line"],
            [str(i) for i in range(len(line))],
            {("line", str(i)): v for i, v in enumerate(line)},
        )
        out.append([*table.cells[0], table.total])
    return out


# --- The figures -----------------------------------------------------------------------------


def _cases() -> QuerySet[Case]:
    return Case.objects.filter(merged_into__isnull=True)


def _month_keys(now: datetime) -> tuple[str, ...]:
    today = timezone.localtime(now).date().replace(day=1)
    months = []
    for _ in range(MONTHS):
        months.append(today.strftime("%Y-%m"))
        today = (today - timedelta(days=1)).replace(day=1)
    return tuple(reversed(months))


def _over_time(now: datetime) -> tuple[tuple[str, ...], Table, Table]:
    months = _month_keys(now)
    since = timezone.make_aware(datetime.strptime(months[0] + "-01", "%Y-%m-%d"))
    by_status: dict[tuple[str, str], int] = defaultdict(int)
    by_outcome: dict[tuple[str, str], int] = defaultdict(int)
    rows = (
        _cases()
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "status", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        month = timezone.localtime(row["month"]).strftime("%Y-%m")
        by_status[(month, row["status"])] += row["n"]
        by_outcome[(month, row["outcome"])] += row["n"]
    statuses = [value for value, _label in Case.Status.choices]
    outcomes = [value for value, _label in Case.Outcome.choices] + [""]
    return (
        months,
        suppress_table(months, statuses, by_status),
        suppress_table(months, outcomes, by_outcome),
    )


def _by_unit() -> Table:
    rows = (
        _cases()
        .exclude(serviceman__unit_index="")
        .values("serviceman__unit_index")
        .annotate(n=Count("pk"))
        .order_by("-n", "serviceman__unit_index")
    )
    counts: dict[tuple[str, str], int] = {}
    pooled = 0
    for row in rows:
        if row["n"] < SUPPRESS_BELOW:
            pooled += row["n"]  # a unit with so few cases is not named, even as a hash
        else:
            counts[(row["serviceman__unit_index"], "cases")] = row["n"]
    keys = [key for key, _column in counts]
    if pooled:
        counts[("", "cases")] = pooled
        keys.append("")
    return suppress_table(keys, ["cases"], counts)


def unit_labels(unit_hashes: Iterable[str]) -> dict[str, str]:
    """The plain unit number behind each hash, decrypted now for the reader (one query)."""
    wanted = [key for key in unit_hashes if key]
    if not wanted:
        return {}
    if connection.vendor == "postgresql":
        servicemen = (
            Serviceman.objects.filter(unit_index__in=wanted)
            .order_by("unit_index", "pk")
            .distinct("unit_index")
            .only("unit_index", "unit_number")
        )
    else:  # pragma: no cover - the embedded default has no DISTINCT ON
        servicemen = Serviceman.objects.filter(unit_index__in=wanted).only(
            "unit_index", "unit_number"
        )
    labels: dict[str, str] = {}
    for man in servicemen:
        labels.setdefault(man.unit_index, man.unit_number)
    return labels


def _by_exchange() -> tuple[ExchangeLine, ...]:
    exchanges = Exchange.objects.annotate(
        men=Count("serviceman", distinct=True),
        redeployed=Count(
            "serviceman",
            filter=Q(serviceman__status=Serviceman.Status.REDEPLOYED),
            distinct=True,
        ),
    ).order_by("-happened_on", "-pk")
    lines = []
    for exchange in exchanges:
        redeployed, others = exchange.redeployed, exchange.men - exchange.redeployed
        shown = _suppress_lines([[redeployed, others]])[0]
        lines.append(
            ExchangeLine(
                exchange_id=exchange.pk,
                happened_on=exchange.happened_on,
                description=exchange.description,
                men=shown[2],
                redeployed=shown[0],
                not_redeployed=shown[1],
            )
        )
    return tuple(lines)


def _redeployment() -> tuple[RedeploymentLine, ...]:
    """Days from each exchange to the redeployment of its men, where the day is known: the
    dates are encrypted, so they are read (only for men of an exchange who have one) and
    counted here; bands under SUPPRESS_BELOW are suppressed with their complements, and the
    median is given only from twice SUPPRESS_BELOW dates up."""
    exchanges = {e.pk: e for e in Exchange.objects.order_by("-happened_on", "-pk")}
    days: dict[int, list[int]] = {}
    # Only a day known exactly: a month or a season known roughly would move a man across bands.
    rows = Serviceman.objects.filter(
        exchange__isnull=False,
        redeployed_on__isnull=False,
        redeployed_on_precision=DatePrecision.DAY,
    ).values_list("exchange_id", "redeployed_on")
    for exchange_id, redeployed_on in rows:
        exchange = exchanges.get(exchange_id)
        if exchange is not None and redeployed_on is not None:
            days.setdefault(exchange_id, []).append((redeployed_on - exchange.happened_on).days)
    lines = []
    for exchange_id, exchange in exchanges.items():
        known = sorted(days.get(exchange_id, []))
        if not known:
            continue
        first, second = REDEPLOYMENT_BANDS
        bands = [
            sum(d <= first for d in known),
            sum(first < d <= second for d in known),
            sum(d > second for d in known),
        ]
        within_30, within_90, later, total = _suppress_lines([bands])[0]
        lines.append(
            RedeploymentLine(
                exchange_id=exchange_id,
                happened_on=exchange.happened_on,
                description=exchange.description,
                within_30=within_30,
                within_90=within_90,
                later=later,
                total=total,
                # With few dates the median is one man's own gap: from twice the threshold up.
                median_days=int(pystatistics.median(known))
                if len(known) >= 2 * SUPPRESS_BELOW
                else None,
            )
        )
    return tuple(lines)


def _boards() -> Table:
    rows = (
        Filing.objects.filter(kind=FilingKind.VVK_REQUEST, case__merged_into__isnull=True)
        .values("case__serviceman__jurisdiction", "fitness_category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(r["case__serviceman__jurisdiction"], r["fitness_category"]): r["n"] for r in rows}
    jurisdictions = sorted({key for key, _category in counts})
    # Only the outcomes the boards of the counted jurisdictions give (Ukraine has no А–Д).
    categories = [
        value
        for jurisdiction in jurisdictions
        for value in Filing.CATEGORIES_BY_JURISDICTION.get(jurisdiction, ())
    ] + [""]
    return suppress_table(jurisdictions, categories, counts)


def _office_lines(group: str, now: datetime) -> list[OfficeLine]:
    """Answered by the due day / after it / never (due and still unanswered), per `group`."""
    sent = Filing.objects.filter(
        sent_on__isnull=False, due_at__isnull=False, case__merged_into__isnull=True
    )
    answered = Q(answered_on__isnull=False)
    # A due moment is the end of a day in the office's time zone; all of them are east of UTC
    # by less than a day, so its UTC date is the office's due day.
    on_time = answered & Q(answered_on__lte=Cast("due_at", DateField()))
    # date - date is a whole number of days in PostgreSQL (Django's own subtraction makes it
    # an interval, which has no median).
    days = Func(
        F("answered_on"),
        F("sent_on"),
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=IntegerField(),
    )
    aggregates: dict[str, Aggregate] = {
        "on_time": Count("pk", filter=on_time),
        "late": Count("pk", filter=answered & ~on_time),
        "never": Count("pk", filter=Q(answered_on__isnull=True, due_at__lt=now)),
    }
    if connection.vendor == "postgresql":
        aggregates["median"] = Median(
            Cast(days, output_field=FloatField()),
            filter=answered,  # type: ignore[arg-type]
        )
    names = {"office": "office__name", "kind": "office__kind"}
    key = "office_id" if group == "office" else "office__kind"
    rows = sent.values(key, names[group]).annotate(**aggregates).order_by(names[group], key)
    lines = []
    for row in rows:
        on, late, never = row["on_time"], row["late"], row["never"]
        if on + late + never == 0:
            continue
        shown = _suppress_lines([[on, late, never]])[0]
        median = row.get("median")
        answered_count = on + late
        lines.append(
            OfficeLine(
                key=str(row[key]),
                name=row[names[group]],
                answered_on_time=shown[0],
                answered_late=shown[1],
                never_answered=shown[2],
                total=shown[3],
                # A median over fewer than SUPPRESS_BELOW answers would be one family's days.
                median_days=(
                    round(median)
                    if median is not None and answered_count >= SUPPRESS_BELOW
                    else None
                ),
            )
        )
    return lines


def _medians_in_python(lines: list[OfficeLine], group: str) -> list[OfficeLine]:
    # pragma: no cover - the embedded SQLite default has no PERCENTILE_CONT
    key = "office_id" if group == "office" else "office__kind"
    durations: dict[str, list[int]] = defaultdict(list)
    for row in Filing.objects.filter(
        sent_on__isnull=False, answered_on__isnull=False, case__merged_into__isnull=True
    ).values_list(key, "sent_on", "answered_on"):
        durations[str(row[0])].append((row[2] - row[1]).days)
    out = []
    for line in lines:
        days = durations.get(line.key, [])
        median = round(pystatistics.median(days)) if len(days) >= SUPPRESS_BELOW else None
        out.append(OfficeLine(**{**line.__dict__, "median_days": median}))
    return out


def statistics_compute(*, now: datetime | None = None) -> Statistics:
    """Every figure of the statistics page: eight queries, whatever the number of cases."""
    now = now or timezone.now()
    months, by_status, by_outcome = _over_time(now)
    by_office = _office_lines("office", now)
    by_kind = _office_lines("kind", now)
    if connection.vendor != "postgresql":  # pragma: no cover
        by_office, by_kind = (
            _medians_in_python(by_office, "office"),
            _medians_in_python(by_kind, "kind"),
        )
    return Statistics(
        months=months,
        by_status=by_status,
        by_outcome=by_outcome,
        by_unit=_by_unit(),
        by_exchange=_by_exchange(),
        redeployment=_redeployment(),
        boards=_boards(),
        by_office=tuple(by_office),
        by_office_kind=tuple(by_kind),
        counted_at=now,
    )
