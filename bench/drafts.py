"""Benchmark: document drafts made end to end through Celery by one worker process.

Seeds a few demo cases (their filings have templates), then (a) times `document_generate`
in this process over 200 drafts (p50, p95, and where the time goes: facts, rendering, the
.docx), and (b) starts one real worker on the `files` queue at concurrency 2 (prefork, as
`bin/serve` runs it), queues 1,000 drafts through the broker and waits until every one is
ready: drafts per second from the first publish to the last draft stored. Target: >= 30/s.

    createdb -h 127.0.0.1 -U postgres casework_bench_drafts
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench_drafts \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/drafts.py

The database and the Redis db come from the environment (never the test database), so two
benchmarks never wipe each other's data; the keys of the encrypted fields are kept in
var/bench/drafts.env. Each run adds its drafts; the seeded cases are reused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_keys import bench_keys  # bench/ is the script's own folder on sys.path
from sweep import check_environment, manage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEYS_FILE = ROOT / "var" / "bench" / "drafts.env"


def bench_env() -> dict[str, str]:
    env = {**os.environ, **bench_keys(KEYS_FILE)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        CASEWORK_READ_DOTENV="0",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def pending(count: int) -> list[int]:
    """`count` new pending drafts, spread over the seeded filings that have a template."""
    from casework.models import Filing, GeneratedDocument
    from casework.selectors import template_for

    fitting = [(f, t) for f in Filing.objects.select_related("office") if (t := template_for(f))]
    if not fitting:
        sys.exit("No seeded filing has a template: seed_demo changed?")
    rows = GeneratedDocument.objects.bulk_create(
        GeneratedDocument(filing=filing, template=template)
        for filing, template in (fitting[i % len(fitting)] for i in range(count))
    )
    return [row.pk for row in rows]


def in_process(count: int) -> None:
    from casework.services.documents import document_generate

    seconds = []
    for pk in pending(count):
        started = time.perf_counter()
        document = document_generate(document_id=pk)
        seconds.append(time.perf_counter() - started)
        assert document is not None and document.state == "ready", document
    seconds.sort()
    p95 = seconds[int(len(seconds) * 0.95) - 1]
    print(
        f"in process: {count} drafts, p50 {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, {count / sum(seconds):.1f} drafts/s on one core"
    )


def worker(env: dict[str, str], concurrency: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "celery"),
        *("-A", "config", "worker", "-Q", env.get("CELERY_FILES_QUEUE", "files")),
        *("-c", str(concurrency), "-P", "prefork", "-l", "WARNING"),
        *("--without-gossip", "--without-mingle", "-n", f"bench-drafts-{os.getpid()}@%h"),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_ready(ids: list[int], timeout: float) -> float:
    """Seconds until every draft in `ids` is ready (exits when one failed or time ran out)."""
    from casework.models import GeneratedDocument

    started = time.perf_counter()
    rows = GeneratedDocument.objects.filter(pk__in=ids)
    while True:
        done = rows.exclude(state=GeneratedDocument.State.PENDING).count()
        if done == len(ids):
            if rows.filter(state=GeneratedDocument.State.FAILED).exists():
                sys.exit("Some drafts failed.")
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            sys.exit(f"Only {done} of {len(ids)} drafts were made in {timeout:.0f} s.")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--in-process", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    check_environment()
    env = bench_env()
    os.environ.update(env)
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo", "--cases", "20", "--filings-per-case", "2", "--jobs", "1")

    import django

    django.setup()
    from casework.tasks import generate_document
    from config.celery import app

    app.control.purge()
    in_process(args.in_process)
    process = worker(env, args.concurrency)
    try:
        warm = pending(4 * args.concurrency)  # the children start and connect before the clock
        for pk in warm:
            generate_document.delay(document_id=pk)
        wait_ready(warm, timeout=120)
        ids = pending(args.drafts)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        for pk in ids:
            generate_document.delay(document_id=pk)
        published = time.perf_counter() - started
        seconds = published + wait_ready(ids, timeout=600)
    finally:
        process.terminate()
        process.wait(timeout=60)
    print(
        f"through Celery: {args.drafts} drafts, one worker at concurrency {args.concurrency}: "
        f"{seconds:.2f} s, {args.drafts / seconds:.1f} drafts/s (publishing {published:.2f} s; "
        f"load {load:.1f} on {os.cpu_count()} cores before)"
    )


if __name__ == "__main__":
    main()
