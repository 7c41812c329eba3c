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

Uses the database casework_bench (recreated) and Redis database 14 (flushed afterwards).
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


def visitors(count: int, warm_up: int) -> float:
    """Run `count` visitors after `warm_up` ones; returns CPU seconds per visitor."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from casework.services import intake, notifications

    # Nothing that happens every few seconds: under load a process publishes a wake-up every
    # 2 s and re-reads its cached rows every 10 s (once per 300 and 1,500 visitors), but under
    # valgrind's slowdown both would come every few visitors, and the count would follow the
    # clock instead of the code. (Setting an attribute the old code lacks is harmless.)
    notifications._woken_at = float("inf")
    intake._CACHE_SECONDS = 1e9
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
    args = parser.parse_args()
    count = args.visitors if args.visitors is not None else (40 if args.callgrind else 2000)
    if args.run:  # a child process, with the parent's environment
        # Without a worker the publishes pile up in a queue of their own, flushed by the parent.
        per_visitor = visitors(count, warm_up=5 if count < 100 else 50)
        print(f"CPU per visitor (GET + POST, in-process): {per_visitor * 1000:.2f} ms")
        return 0
    with tempfile.TemporaryDirectory(prefix="casework-cpu-") as var:
        return measure(count, var, callgrind=args.callgrind)


def measure(count: int, var: str, *, callgrind: bool) -> int:
    env = intake_load.bench_env(var)
    intake_load.prepare(env)
    try:
        command = [intake_load.PY, __file__, "--run", "--visitors"]
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
        subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], capture_output=True, check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
