#!/usr/bin/env python3
"""CPU per intake visitor (GET the form, POST it), in one process, without HTTP or other clients.

`bench/intake_load.py` measures what a family sees, but on a shared 2-core VM its throughput
moves by a quarter within the hour. This measures the Django side alone: the production WSGI
application called directly, one visitor after another, on PostgreSQL and Redis like the load
test (same settings, database and form). With `--callgrind` it counts machine instructions under
valgrind instead of seconds: the same code gives the same count (±0.1 %) however busy the VM is,
so a change can be judged by one run before and one after.

    .venv/bin/python bench/intake_cpu.py                    # CPU ms per visitor, 2,000 visitors
    .venv/bin/python bench/intake_cpu.py --callgrind        # instructions per visitor (~2 min)

Uses the database casework_bench (recreated) and Redis database 14 (flushed afterwards), or
BENCH_DATABASE and BENCH_REDIS_DB. `--without NAME` (repeatable) turns off one of the speed-ups
that lean on Django internals or keep state per process, to measure what it saves:

    .venv/bin/python bench/intake_cpu.py --callgrind --without multipart
"""

from __future__ import annotations

import argparse
import io
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import intake_load  # noqa: E402  (the load test's settings, database and form)

_COLLECTED = re.compile(r"Collected : (\d+)")


# What `--without` turns off: the speed-ups that lean on Django internals or keep state per
# process (docs/benchmarks.md gives what each saves; tests/test_django_internals.py guards them).
SPEED_UPS = ("multipart", "shared-fields", "page-cache", "intake-cache", "wake-throttle")


def switch_off(names: list[str]) -> None:
    """Put back Django's way (or the per-request way) for each named speed-up."""
    from casework.portal import forms, upload_handlers, views
    from casework.services import intake, notifications

    class NeverKept(dict):  # type: ignore[type-arg]
        def __setitem__(self, key: object, value: object) -> None:
            pass

    for name in names:
        if name == "multipart":  # Django's MultiPartParser reads every form
            upload_handlers.small_form = lambda request: None  # type: ignore[assignment]
        elif name == "shared-fields":  # each form deep-copies its fields, as Django does
            forms.IntakeForm.base_fields = dict(forms.IntakeForm.base_fields)
        elif name == "page-cache":  # the blank form and the receipt rendered per request
            views._rendered = NeverKept()
        elif name == "intake-cache":  # given names, intake team, recipients read per intake
            intake._CACHE_SECONDS = -1.0
        elif name == "wake-throttle":  # one Celery publish per intake
            notifications.WAKE_SECONDS = 0


def visitors(count: int, warm_up: int, without: list[str]) -> float:
    """Run `count` visitors after `warm_up` ones; returns CPU seconds per visitor."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from casework.services import intake, notifications

    # Nothing that happens every few seconds: under load a process publishes a wake-up every
    # 2 s and re-reads its cached rows every 10 s (once per 300 and 1,500 visitors), but under
    # valgrind's slowdown both would come every few visitors, and the count would follow the
    # clock instead of the code. (Setting an attribute the old code lacks is harmless.)
    notifications.WAKE_SECONDS = float("inf")  # type: ignore[assignment]
    intake._CACHE_SECONDS = 1e9
    switch_off(without)
    rng = random.Random(1)

    def call(method: str, body: bytes = b"", **headers: str) -> tuple[str, Any, str]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": "/ru/intake/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **headers,
        }
        answer: dict[str, object] = {}

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            answer.update(status=status, headers=headers)

        chunks = application(environ, start_response)
        page = b"".join(chunks).decode()
        getattr(chunks, "close", lambda: None)()
        return str(answer["status"]), answer["headers"], page

    def visitor() -> None:
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        _status, headers, page = call("GET", HTTP_X_FORWARDED_FOR=address)
        cookies = " ".join(value for name, value in headers if name == "Set-Cookie")
        token = intake_load._CSRF_COOKIE.search(cookies)
        hidden = dict(intake_load._HIDDEN.findall(page))
        assert token and len(hidden) == 2, "the form page lacks its CSRF cookie or hidden values"
        body, content_type = intake_load.multipart({**intake_load.FORM, **hidden}, [])
        status, _headers, page = call(
            "POST",
            body,
            CONTENT_TYPE=content_type,
            HTTP_COOKIE=f"csrftoken={token.group(1)}",
            HTTP_X_FORWARDED_FOR=address,
        )
        assert status.startswith("200") and 'id="access-code"' in page, "no receipt"

    for _ in range(warm_up):
        visitor()
    began = time.process_time()
    for _ in range(count):
        visitor()
    return (time.process_time() - began) / max(count, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, help="default 2000, 40 with callgrind")
    parser.add_argument("--callgrind", action="store_true", help="count instructions (valgrind)")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # one measured run
    parser.add_argument(
        "--without", action="append", default=[], choices=SPEED_UPS, help="turn a speed-up off"
    )
    args = parser.parse_args()
    count = args.visitors if args.visitors is not None else (40 if args.callgrind else 2000)
    if args.run:  # a child process, with the parent's environment
        # Without a worker the publishes pile up in a queue of their own, flushed by the parent.
        per_visitor = visitors(count, warm_up=5 if count < 100 else 50, without=args.without)
        print(f"CPU per visitor (GET + POST, in-process): {per_visitor * 1000:.2f} ms")
        return 0
    with tempfile.TemporaryDirectory(prefix="casework-cpu-") as var:
        return measure(count, var, callgrind=args.callgrind, without=args.without)


def measure(count: int, var: str, *, callgrind: bool, without: list[str]) -> int:
    env = intake_load.bench_env(var)
    intake_load.prepare(env)
    try:
        switches = [f"--without={name}" for name in without]
        command = [intake_load.PY, __file__, "--run", *switches, "--visitors"]
        env["PYTHONHASHSEED"] = "0"  # the same dict layouts, so the same instructions, each run
        if not callgrind:
            subprocess.run([*command, str(count)], env=env, cwd=ROOT, check=True)
            return 0
        # Instructions of `count` visitors minus those of start-up and warm-up (0 visitors).
        totals = []
        for n in (0, count):
            out = Path(var) / f"callgrind.{n}.out"
            run = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command, str(n)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            totals.append(int(_COLLECTED.findall(run.stderr)[-1]))
        per_visitor = (totals[1] - totals[0]) / count
        print(f"instructions per visitor (GET + POST, in-process): {per_visitor / 1e6:.2f} M")
    finally:
        subprocess.run(
            ["redis-cli", "-n", intake_load.REDIS_DB, "FLUSHDB"], capture_output=True, check=False
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
