"""Benchmark: the deadline sweep at 100,000 cases with 100,000 and then 1,000,000 deadlines.

At each size it times (a) a sweep with nothing to do and (b) 10,000 response clocks running out
at the same moment (filings marked overdue, clocks missed, court limits opened, reminder rows
written), and counts the statements each sends. Targets: (a) <= 0.5 s and <= 20 statements;
(b) <= 5 s, with statements per batch (SWEEP_BATCH clocks), not per clock; both the same at
either size.

    createdb -h 127.0.0.1 -U postgres casework_bench_sweep
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench_sweep \\
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/sweep.py

The database and the Redis db come from the environment (never the test database), so two
benchmarks never wipe each other's data. Seeding is set-based: `seed_demo` makes a few template
rows (teams, staff, offices, rules, one case and filing), then INSERT ... SELECT over
generate_series clones them into 100,000 cases and the deadlines (with a filing for every
response clock), in plausible states: most closed, missed ones already escalated, open ones a
week or more away or already reminded for their stage. A second run reuses what is there.
Keys for the encrypted fields are kept in var/bench/sweep.env.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_keys import bench_keys  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEYS_FILE = ROOT / "var" / "bench" / "sweep.env"
CASE_PREFIX, FILING_PREFIX, RUNOUT_PREFIX = "B", "G", "R"  # references of cloned rows


def bench_env() -> dict[str, str]:
    """The process environment plus this benchmark's own keys (made once, then reused)."""
    env = {**os.environ, **bench_keys(KEYS_FILE)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        CASEWORK_READ_DOTENV="0",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        # Digests are only queued (no worker reads this Redis db); no email leaves.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def check_environment() -> None:
    url = os.environ.get("DATABASE_URL", "")
    name = urllib.parse.urlparse(url).path.lstrip("/")
    if not name or name.startswith("test") or name == "casework":
        sys.exit(f"Refusing to use database {name!r}: give the benchmark a database of its own.")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL to a Redis db of the benchmark's own (e.g. redis://…/13).")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def sql(statement: str, params: list[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


def columns(model: Any, replace: dict[str, str]) -> tuple[str, str]:
    """The column list of `model` (no id) and a SELECT list copying a template row `t`,
    with some columns replaced by expressions."""
    names = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    return ", ".join(f'"{n}"' for n in names), ", ".join(replace.get(n, f't."{n}"') for n in names)


def seed_cases(wanted: int) -> None:
    from casework.models import Case

    have = sql("SELECT count(*) FROM casework_case WHERE reference LIKE %s", [CASE_PREFIX + "%"])
    start = have[0][0]
    if start >= wanted:
        return
    target, select = columns(
        Case,
        {
            "reference": f"'{CASE_PREFIX}' || lpad(g::text, 11, '0')",
            "team_id": "(SELECT array_agg(id ORDER BY id) FROM casework_team "
            "WHERE name LIKE 'Demo:%%')[1 + g %% 3]",
            "assignee_id": "(SELECT array_agg(id ORDER BY id) FROM auth_user "
            "WHERE username LIKE 'demo%%')[1 + g %% 4]",
            "status": "'open'",
            "access_code_hash": "''",
            "next_deadline": "NULL",
        },
    )
    template = Case.objects.order_by("pk").values_list("pk", flat=True).first()
    sql(
        f"INSERT INTO casework_case ({target}) SELECT {select} FROM casework_case t, "  # noqa: S608
        "generate_series(%s, %s) g WHERE t.id = %s",
        [start + 1, wanted, template],
    )


def filing_select(prefix: str, status: str) -> tuple[str, str]:
    from casework.models import Filing

    return columns(
        Filing,
        {
            "reference": f"'{prefix}' || lpad(g::text, {12 - len(prefix)}, '0')",
            "case_id": "(SELECT array_agg(id ORDER BY id) FROM casework_case "
            f"WHERE reference LIKE '{CASE_PREFIX}%%')[1 + g %% %(cases)s]",
            "status": f"'{status}'",
            "submission_token": "NULL",
            "sent_on": "current_date",
            "received_on": "current_date",
        },
    )


def seed_deadlines(wanted: int, cases: int) -> None:
    """Top the background clocks up to `wanted`: one filing for every second clock."""
    from casework.models import Filing

    have = sql("SELECT count(*) FROM casework_deadline WHERE basis = 'bench'")[0][0]
    if have >= wanted:
        return
    first, last = have + 1, wanted
    target, select = filing_select(FILING_PREFIX, "answered")
    template = Filing.objects.order_by("pk").values_list("pk", flat=True).first()
    sql(
        f"INSERT INTO casework_filing ({target}) SELECT {select} FROM casework_filing t, "  # noqa: S608
        "generate_series(%(first)s, %(last)s, 2) g WHERE t.id = %(template)s",
        {"first": first, "last": last, "template": template, "cases": cases},
    )
    # State by g % 100: 55 met, 10 cancelled, 15 missed (reminded and escalated long ago),
    # 15 open 8-120 days away, 3 open within the week (reminded "week"), 2 open within the day
    # (reminded "day"). Open ones keep an hour off each stage's edge, so a run changes none.
    sql(
        """
        WITH ids AS (
            SELECT (SELECT array_agg(id ORDER BY id) FROM casework_case
                    WHERE reference LIKE %(case_prefix)s) AS cases,
                   (SELECT array_agg(id ORDER BY id) FROM auth_user
                    WHERE username LIKE 'demo%%') AS staff,
                   (SELECT array_agg(id ORDER BY id) FROM casework_team
                    WHERE name LIKE 'Demo:%%') AS teams
        ), rows AS (
            SELECT g, g %% 100 AS b FROM generate_series(%(first)s, %(last)s) g
        )
        INSERT INTO casework_deadline (case_id, filing_id, kind, due_at, state, responsible_id,
            backup_team_id, provisional, unverified, basis, created_at, closed_at, reminded_at,
            reminded_stage)
        SELECT ids.cases[1 + g %% %(cases)s],
               CASE WHEN g %% 2 = 1 THEN f.id END,
               CASE WHEN g %% 2 = 1 THEN 'response_due' ELSE 'custom' END,
               CASE WHEN b < 80 THEN now() - ((4 + g %% 400) || ' days')::interval
                    WHEN b < 95 THEN now() + ((8 + g %% 113) || ' days')::interval
                    WHEN b < 98 THEN now() + ((26 + g %% 140) || ' hours')::interval
                    ELSE now() + ((2 + g %% 20) || ' hours')::interval END,
               CASE WHEN b < 55 THEN 'met' WHEN b < 65 THEN 'cancelled'
                    WHEN b < 80 THEN 'missed' ELSE 'open' END,
               ids.staff[1 + g %% 4], ids.teams[1 + g %% 3], false, false, 'bench', now(),
               CASE WHEN b < 80 THEN now() END, NULL,
               CASE WHEN b BETWEEN 65 AND 79 THEN 'done' WHEN b >= 98 THEN 'day'
                    WHEN b >= 95 THEN 'week' ELSE '' END
        FROM rows CROSS JOIN ids
        LEFT JOIN casework_filing f
            ON f.reference = %(filing_prefix)s || lpad(g::text, 11, '0')
        """,
        {
            "first": first,
            "last": last,
            "cases": cases,
            "case_prefix": CASE_PREFIX + "%",
            "filing_prefix": FILING_PREFIX,
        },
    )


def seed_running_out(count: int, cases: int) -> None:
    """`count` sent filings whose response clock ran out a minute ago, reminded "day"."""
    from casework.models import AuthorityOffice, Filing, ResponseRule

    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    rule = ResponseRule.objects.filter(code="ru-59fz-general").order_by("-version").first()
    assert office is not None and rule is not None
    earlier = sql("SELECT count(*) FROM casework_filing WHERE reference LIKE %s", ["R%"])[0][0]
    # A new prefix for every run, reruns included; fixed width, so run 10's references never
    # meet run 1's ("R1" + "0000000001" and "R10" + "000000001" are the same reference).
    prefix = f"{RUNOUT_PREFIX}{earlier // count:04d}"
    target, select = filing_select(prefix, "sent")
    select = select.replace('t."office_id"', str(office.pk)).replace('t."rule_id"', str(rule.pk))
    template = Filing.objects.order_by("pk").values_list("pk", flat=True).first()
    sql(
        f"INSERT INTO casework_filing ({target}) SELECT {select} FROM casework_filing t, "  # noqa: S608
        "generate_series(1, %(count)s) g WHERE t.id = %(template)s",
        {"count": count, "template": template, "cases": cases},
    )
    sql(
        """
        INSERT INTO casework_deadline (case_id, filing_id, kind, due_at, state, responsible_id,
            backup_team_id, rule_id, provisional, unverified, basis, created_at, reminded_stage)
        SELECT f.case_id, f.id, 'response_due', now() - interval '1 minute', 'open',
               c.assignee_id, c.team_id, f.rule_id, false, false, 'bench-runout', now(), 'day'
        FROM casework_filing f JOIN casework_case c ON c.id = f.case_id
        WHERE f.reference LIKE %s
        """,
        [prefix + "%"],
    )


def reminders_settle() -> None:
    """Mark the reminders the sweeps queued as sent, as the worker would (none reads this
    Redis db): otherwise every run leaves thousands more pending, and the next idle sweep's
    read of who is waiting for a digest grows with them."""
    sql(
        "UPDATE casework_notification SET state = 'sent', sent_at = now() "
        "WHERE kind = 'deadline_reminder' AND state = 'pending'"
    )


@contextmanager
def counted() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block."""
    from django.db import connection

    statements: list[str] = []

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield statements


def server_cpu() -> float | None:
    """CPU seconds the database server process of this connection has used so far, when the
    server runs on this machine (/proc of its backend readable); None otherwise."""
    pid = sql("SELECT pg_backend_pid()")[0][0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(run: Callable[[], Any]) -> tuple[float, int, Any]:
    with counted() as statements:
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
    return seconds, len(statements), result


def measure_cpu(run: Callable[[], Any]) -> tuple[float, int, Any, float, float | None, float]:
    """`measure`, plus where the time went: this process's CPU seconds (Python, the driver), the
    database server's for this connection, and the 1-minute load average just before (other
    processes on the machine take their share of the cores)."""
    load = os.getloadavg()[0]
    server_before, client_before = server_cpu(), time.process_time()
    seconds, statements, result = measure(run)
    client = time.process_time() - client_before
    server_after = server_cpu()
    server = None if server_before is None or server_after is None else server_after - server_before
    return seconds, statements, result, client, server, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sizes", default="100000,1000000", help="deadline counts, in order")
    parser.add_argument("--running-out", type=int, default=10_000)
    parser.add_argument("--idle-runs", type=int, default=7)
    args = parser.parse_args()
    check_environment()
    env = bench_env()
    os.environ.update(env)
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo", "--cases", "3", "--filings-per-case", "1", "--jobs", "1")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from casework.services.reminders import deadlines_sweep
    from config.celery import app

    print(f"database {connection.settings_dict['NAME']}, Redis {env['REDIS_URL']}")
    started = time.monotonic()
    seed_cases(args.cases)
    print(f"cases: {args.cases:,} ({time.monotonic() - started:.1f} s)")
    results: list[tuple[Any, ...]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.monotonic()
        seed_deadlines(size, args.cases)
        deadlines_sweep()  # settle anything the seeding left behind its stage
        app.control.purge()
        reminders_settle()
        sql("VACUUM ANALYZE")  # after the settling writes, as autovacuum would be by then
        print(f"deadlines topped up to {size:,} ({time.monotonic() - started:.1f} s)")
        idle = [measure(deadlines_sweep) for _ in range(args.idle_runs)]
        seconds = [run[0] for run in idle]
        statements = max(run[1] for run in idle)
        seed_running_out(args.running_out, args.cases)
        sql("ANALYZE casework_deadline")
        sql("ANALYZE casework_filing")
        burst_seconds, burst_statements, report, client, server, load = measure_cpu(deadlines_sweep)
        total = sql("SELECT count(*) FROM casework_deadline")[0][0]
        results.append(
            (size, total, statistics.median(seconds), max(seconds), statements,
             burst_seconds, burst_statements, report, client, server, load)
        )  # fmt: skip
        app.control.purge()  # the digest tasks it queued: no worker reads this Redis db
        reminders_settle()
    print(f"\nSWEEP_BATCH = {settings.SWEEP_BATCH}")
    header = (
        f"{'deadlines':>10} {'rows now':>10} | {'idle p50 s':>10} {'max s':>7} {'stmts':>6} | "
        f"{'10k out s':>9} {'stmts':>6} {'batches':>7} {'overdue':>8} {'reminders':>9} | "
        f"{'py cpu s':>8} {'db cpu s':>8} {'load':>5}"
    )
    print(header)
    for size, total, p50, worst, statements, burst, burst_statements, report, *cpu in results:
        client, server, load = cpu
        print(
            f"{size:>10,} {total:>10,} | {p50:>10.3f} {worst:>7.3f} {statements:>6} | "
            f"{burst:>9.2f} {burst_statements:>6} {report.batches:>7} "
            f"{report.overdue_filings:>8,} {report.queued:>9,} | "
            f"{client:>8.2f} {'-' if server is None else f'{server:.2f}':>8} {load:>5.1f}"
        )
    print(
        "py cpu: this process (Python and the driver); db cpu: the PostgreSQL backend serving it "
        "(WAL and data-file writes by other server processes not included); load: the 1-minute "
        "load average just before the 10k sweep."
    )


if __name__ == "__main__":
    main()
