"""Issue 17: statistics for advocacy, small counts suppressed (primary and secondary)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.admin.dashboard import _key
from casework.admin.statistics import STATISTICS_KEY, statistics_charts
from casework.models import AuditEvent, AuthorityOffice, Exchange, Filing, FilingKind, Serviceman
from casework.selectors.statistics import statistics_compute, suppress_table
from tests.factories import CaseFactory, ServicemanFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db


def _forget() -> None:
    cache.delete(_key(*STATISTICS_KEY))


def test_a_single_small_figure_takes_the_next_smallest_with_it():
    table = suppress_table(["a", "b", "c"], ["n"], {("a", "n"): 7, ("b", "n"): 5, ("c", "n"): 4})
    assert [row[0] for row in table.cells] == [7, None, None]
    assert table.row_totals == (7, None, None)
    assert table.total == 16


def test_a_total_equal_to_one_hidden_figure_is_hidden_too():
    # One row: А 6 and Д 2. Д is hidden, so is А (else 8 - 6 = 2); each column's total would
    # repeat its one hidden cell, so those are hidden; the row total 8 stays (6+2 has many splits).
    counts = {("RU", "А"): 6, ("RU", "Д"): 2}
    table = suppress_table(["RU"], ["А", "Д", ""], counts)
    assert table.cells == ((None, None, 0),)
    assert table.column_totals == (None, None, 0)
    assert table.row_totals == (8,)
    assert table.total == 8


def test_zeros_are_shown_and_large_figures_untouched():
    table = suppress_table(["m"], ["x", "y"], {("m", "x"): 12, ("m", "y"): 0})
    assert table.cells == ((12, 0),) and table.total == 12


def _office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()  # type: ignore[return-value]


def _filing(case, office, *, sent: date, due: date, answered: date | None, **extra) -> Filing:  # type: ignore[no-untyped-def]
    due_at = timezone.make_aware(timezone.datetime(due.year, due.month, due.day, 20, 59))
    return Filing.objects.create(
        case=case,
        office=office,
        kind=extra.pop("kind", FilingKind.COMPLAINT),
        signer=Filing.Signer.FAMILY,
        status=Filing.Status.ANSWERED if answered else Filing.Status.OVERDUE,
        sent_on=sent,
        due_at=due_at,
        answered_on=answered,
        **extra,
    )


def seed_known_set() -> dict[str, object]:
    """16 cases: unit 1 seven, unit 2 five, unit 3 three, unit 4 one; known filings."""
    cases = []
    for unit, count in (("в/ч 42038", 7), ("в/ч 51111", 5), ("в/ч 60001", 3), ("в/ч 70002", 1)):
        for _ in range(count):
            cases.append(CaseFactory(serviceman__unit_number=unit))
    prosecutor = _office("ru_prosecutor_garrison")
    sent = date(2025, 1, 10)
    for days in (3, 5, 7, 9, 11, 13):  # on time: due 30 days after sending
        _filing(
            cases[0],
            prosecutor,
            sent=sent,
            due=sent + timedelta(30),
            answered=sent + timedelta(days),
        )
    for days in (31, 40):  # late
        _filing(
            cases[1],
            prosecutor,
            sent=sent,
            due=sent + timedelta(30),
            answered=sent + timedelta(days),
        )
    for _ in range(4):  # never
        _filing(cases[2], prosecutor, sent=sent, due=sent + timedelta(30), answered=None)
    board = _office("ru_vvk")
    for category, count in (("А", 6), ("Д", 2)):
        for _ in range(count):
            _filing(
                cases[3],
                board,
                sent=sent,
                due=sent + timedelta(30),
                answered=sent + timedelta(20),
                kind=FilingKind.VVK_REQUEST,
                fitness_category=category,
            )
    exchange = Exchange.objects.create(happened_on=date(2025, 5, 24), description="=HYPERLINK()")
    for index, man in enumerate(ServicemanFactory.create_batch(6)):
        man.exchange = exchange
        man.status = Serviceman.Status.REDEPLOYED if index < 4 else Serviceman.Status.RELEASED
        man.save(update_fields=["exchange", "status"])
    return {"prosecutor": prosecutor, "exchange": exchange}


def test_figures_on_a_known_set_equal_the_hand_computed_ones():
    seeded = seed_known_set()
    figures = statistics_compute()
    # Units: 7 and 5 named by hash; 3 + 1 pooled as "other" (4: hidden), and 5 hidden with it.
    assert [row[0] for row in figures.by_unit.cells] == [7, None, None]
    assert figures.by_unit.row_keys[2] == "" and figures.by_unit.total == 16
    # Cases over time: all sixteen opened this month, all new, none with an outcome yet.
    month = figures.months.index(timezone.localdate().strftime("%Y-%m"))
    assert figures.by_status.row_totals[month] == 16
    assert figures.by_status.cells[month][0] == 16  # "new"
    assert figures.by_outcome.cells[month][-1] == 16  # no outcome yet
    # Boards: RU А 6, Д 2 -> both hidden, total 8.
    assert figures.boards.row_keys == ("RU",)
    assert figures.boards.cells[0] == (None, 0, 0, 0, None, 0)
    assert figures.boards.total == 8
    # The garrison prosecutor: 6 on time, 2 late, 4 never; median of 3 5 7 9 11 13 31 40 = 10.
    line = next(x for x in figures.by_office if x.key == str(seeded["prosecutor"].pk))  # type: ignore[attr-defined]
    assert (line.answered_on_time, line.answered_late, line.never_answered, line.total) == (
        6,
        None,
        None,
        12,
    )
    assert line.median_days == 10
    # Exchange: 6 men, 4 sent back (hidden), 2 not (hidden); the total stays.
    (exchange,) = figures.by_exchange
    assert (exchange.men, exchange.redeployed, exchange.not_redeployed) == (6, None, None)


def test_coordinators_read_the_page_with_svg_charts_and_each_reading_is_audited(coordinator):
    seed_known_set()
    _forget()
    client = signed_in(coordinator)
    assert 'href="/admin/statistics/"' in client.get("/admin/").content.decode()
    before = AuditEvent.objects.filter(object_type="statistics").count()
    page = client.get("/admin/statistics/").content.decode()
    assert (
        page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 7
        and "<script" not in page.split('id="content-main"')[1]
    )
    assert "в/ч 42038" in page  # decrypted for the reader
    assert "60001" not in page and "70002" not in page  # too few cases to name
    assert "&lt;5" in page
    event = AuditEvent.objects.filter(object_type="statistics").latest("pk")
    assert (event.action, event.actor, event.detail) == ("view", coordinator, {"format": "page"})
    download = client.get("/admin/statistics/csv/")
    body = download.content.decode()
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "в/ч 42038,7,7" in body and "<5" in body
    assert "24.05.2025 =HYPERLINK(),<5,<5,6" in body
    assert AuditEvent.objects.filter(object_type="statistics").count() == before + 2
    assert AuditEvent.objects.filter(object_type="statistics").latest("pk").action == "export"


def test_a_caseworker_is_refused_and_nothing_is_recorded(caseworker):
    seed_known_set()
    client = signed_in(caseworker)
    assert "/admin/statistics/" not in client.get("/admin/").content.decode()
    before = AuditEvent.objects.count()
    assert client.get("/admin/statistics/").status_code == 403
    assert client.get("/admin/statistics/csv/").status_code == 403
    assert AuditEvent.objects.count() == before


def _queries_for_figures() -> int:
    with CaptureQueriesContext(connection) as queries:
        statistics_compute()
    return len(queries)


def test_the_figures_take_the_same_number_of_queries_at_two_sizes():
    seed_known_set()
    small = _queries_for_figures()
    seed_known_set()
    for _ in range(3):
        seed_known_set()
    assert small == _queries_for_figures() == 8


def test_how_soon_men_were_sent_back_after_an_exchange_with_suppression():
    """Twelve men of one exchange with a recorded day: 6 within 30 days, 5 in 31-90, 1 later
    (hidden, and the 5 with it); the median of 3 7 10 14 20 26 40 50 60 70 80 100 is 33. Four
    men of another exchange: every band and the median hidden."""
    exchange = Exchange.objects.create(happened_on=date(2025, 1, 1), description="январь")
    for days in (3, 7, 10, 14, 20, 26, 40, 50, 60, 70, 80, 100):
        ServicemanFactory(
            exchange=exchange,
            status=Serviceman.Status.REDEPLOYED,
            redeployed_on=exchange.happened_on + timedelta(days),
        )
    ServicemanFactory(exchange=exchange, status=Serviceman.Status.RELEASED)  # no day recorded
    ServicemanFactory(  # known only to the month: left out of the days
        exchange=exchange,
        redeployed_on=date(2025, 2, 1),
        redeployed_on_precision="month",
    )
    small = Exchange.objects.create(happened_on=date(2025, 6, 1), description="июнь")
    for days in (5, 9, 40, 200):
        ServicemanFactory(exchange=small, redeployed_on=small.happened_on + timedelta(days))
    six = Exchange.objects.create(happened_on=date(2024, 9, 1), description="сентябрь")
    for days in (5, 9, 12, 20, 40, 200):  # six dates: bands shown or not, no median
        ServicemanFactory(exchange=six, redeployed_on=six.happened_on + timedelta(days))
    figures = statistics_compute()
    lines = {line.exchange_id: line for line in figures.redeployment}
    assert lines[six.pk].median_days is None  # six dates: the median would be one man's gap
    big = lines[exchange.pk]
    assert (big.within_30, big.within_90, big.later, big.total, big.median_days) == (
        6,
        None,
        None,
        12,
        33,
    )
    few = lines[small.pk]
    assert (few.within_30, few.within_90, few.later, few.median_days) == (None, None, None, None)
    assert [line.exchange_id for line in figures.redeployment] == [small.pk, exchange.pk, six.pk]
    rows = dict(next(c for c in statistics_charts(figures) if c.key == "redeployment").rows)
    assert rows["01.01.2025 январь"] == ("6", "<5", "<5", "12", "33")
    assert rows["01.06.2025 июнь"] == ("<5", "<5", "<5", "<5", "–")


def test_beat_counts_the_figures_before_a_coordinator_asks(settings):
    """The page reads what the beat task counted: a case opened since shows only after the next
    refresh, and opening the page sends no counting query."""
    from casework.admin.statistics import _figures
    from casework.tasks import refresh_statistics

    assert settings.CELERY_BEAT_SCHEDULE["refresh-statistics"]["schedule"] < 300  # before expiry
    _forget()
    seed_known_set()
    refresh_statistics.delay()  # eager in tests, as beat's tick would run it in the worker
    CaseFactory()
    with CaptureQueriesContext(connection) as queries:
        figures = _figures()
    assert len(queries) == 0 and figures.by_unit.total == 16
    refresh_statistics.delay()
    assert _figures().by_unit.total == 17
