#!/usr/bin/env python3
"""Load test of the public intake form: anonymous visitors GET the form, then POST it.

Starts gunicorn (production settings, throw-away keys) on PostgreSQL and Redis, runs N client
processes for S seconds (each visitor: a new connection and an empty cookie jar, CSRF on, its own
X-Forwarded-For address behind TRUSTED_PROXY_DEPTH=1), and prints submissions/s and the POST
latency percentiles. The anti-spam minimum time is relaxed with INTAKE_MIN_SECONDS=0; nothing
else differs from production.

    .venv/bin/python bench/intake_load.py                 # 4 clients x 20 s, 2 gunicorn workers
    .venv/bin/python bench/intake_load.py --upload-kb 2048 --seconds 10   # with a photo each

Needs PostgreSQL and Redis on 127.0.0.1 (the test services); uses the database casework_bench
(dropped and created afresh) and Redis database 14 (flushed afterwards); BENCH_DATABASE and
BENCH_REDIS_DB name others, so that two people can measure on one machine.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import multiprocessing
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = os.environ.get("BENCH_DATABASE", "casework_bench")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "14")
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
_CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")
_HIDDEN = re.compile(r'name="(csrfmiddlewaretoken|started)" value="([^"]+)"')

FORM = {
    "name": "Галина",
    "relationship": "mother",
    "channel": "signal",
    "contact": "+7 916 555 0142",
    "may_call": "on",
    "safe_hours": "после 20:00",
    "surname": "Толкачёв",
    "given_name": "Тимофей",
    "patronymic": "Игоревич",
    "birth_date": "2001-04-17",
    "jurisdiction": "RU",
    "unit": "в/ч 40417",
    "rank": "рядовой",
    "service_type": "mobilised",
    "status": "redeployed",
    "captured_on": "2024-02-10",
    "released_on": "2025-05-24",
    "current_location": "Макеевка",
    "injuries": "осколочные ранения",
    "mental_state": "плохо спит",
    "what_happened": "Обменян 24 мая, через неделю отправлен обратно в часть без ВВК и отпуска.",
    "wants": "vvk",
    "consent": "on",
    "website": "",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, data in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def visitor(port: int, address: str, upload: bytes | None) -> tuple[float, float, bool]:
    """One family: GET the form, POST it. Returns (GET seconds, POST seconds, receipt shown)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/ru/intake/", headers={"X-Forwarded-For": address})
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    got = time.perf_counter()
    cookie = _CSRF_COOKIE.search(response.getheader("Set-Cookie") or "")
    hidden = dict(_HIDDEN.findall(page))
    if response.status != 200 or not cookie or len(hidden) != 2:
        return got - started, 0.0, False
    files = [("uploads", "IMG_0001.jpg", upload)] if upload else []
    body, content_type = multipart({**FORM, **hidden}, files)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/ru/intake/",
        body=body,
        headers={
            "Content-Type": content_type,
            "Cookie": f"csrftoken={cookie.group(1)}",
            "X-Forwarded-For": address,
        },
    )
    response = conn.getresponse()
    receipt = response.read().decode()
    conn.close()
    posted = time.perf_counter()
    return got - started, posted - got, response.status == 200 and 'id="access-code"' in receipt


def client_process(port: int, seconds: float, upload: bytes | None, queue) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(os.getpid())
    gets, posts, failures = [], [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        get_s, post_s, ok = visitor(port, address, upload)
        gets.append(get_s)
        if ok:
            posts.append(post_s)
        else:
            failures += 1
    queue.put((gets, posts, failures))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def noise_jpeg(kilobytes: int) -> bytes:
    """A photo-like JPEG of about the given size (random pixels compress badly, like photos)."""
    from PIL import Image

    side = 256
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        output = io.BytesIO()
        image.save(output, "JPEG", quality=90)
        if output.tell() >= kilobytes * 1024:
            return output.getvalue()
        side = int(side * 1.3)


def server_cpu_seconds(gunicorn_pid: int) -> dict[str, float]:
    """CPU time used so far by the gunicorn workers and by this database's PostgreSQL backends.

    Throughput on a shared 2-core VM swings with its neighbours; CPU per submission does much
    less, so both are printed. Linux only (reads /proc); empty elsewhere.
    """
    used = {"gunicorn": 0.0, "postgres": 0.0}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(fields[1]) == gunicorn_pid:  # ppid: a worker of our gunicorn
            used["gunicorn"] += seconds
        elif command.startswith("postgres:") and f" {DB_NAME} " in command:
            used["postgres"] += seconds
    return used


def bench_env(var: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_FILE")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        CASEWORK_READ_DOTENV="0",
        CASEWORK_VAR_DIR=var,
        STATIC_ROOT=str(Path(var) / "static"),
        MEDIA_ROOT=str(Path(var) / "media"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        SECRET_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        BLIND_INDEX_KEYS=secrets.token_urlsafe(32),
        ACCESS_CODE_KEY=secrets.token_urlsafe(32),
        TOKEN_HASH_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        INTAKE_MIN_SECONDS="0",  # benchmark only: visitors post at once
        INTAKE_RATE_LIMIT="1000",
        TRUSTED_PROXY_DEPTH="1",
        CELERY_TASK_DEFAULT_QUEUE="bench",  # no worker: the queued tasks are flushed afterwards
        LOG_LEVEL="WARNING",
    )
    return env


def prepare(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        # Fresh each run: the keys are new each run, so old rows could not be read anyway.
        db.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{DB_NAME}"')
    run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([PY, "manage.py", "migrate", "--noinput"], **run)  # type: ignore[call-overload]
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput"], **run)  # type: ignore[call-overload]
    # An intake team with two coordinators: every submission queues their notices too.
    seed = (
        "from django.contrib.auth.models import Group, User\n"
        "from casework.models import Team\n"
        "team = Team.objects.create(name='Bench intake', receives_intake=True)\n"
        "group = Group.objects.get(name='Coordinator')\n"
        "for n in range(2):\n"
        "    user = User.objects.create(username=f'b{n}', email=f'b{n}@x.example', is_staff=True)\n"
        "    user.groups.add(group)\n"
        "    team.members.add(user)\n"
    )
    subprocess.run([PY, "manage.py", "shell", "-c", seed], **run)  # type: ignore[call-overload]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--upload-kb", type=int, default=0, help="attach a JPEG of this size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="casework-bench-") as var:
        env = bench_env(var)
        prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(args.workers), "config.wsgi"],
            cwd=ROOT,
            env=env,
        )
        upload = noise_jpeg(args.upload_kb) if args.upload_kb else None
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            for _ in range(20):  # warm up both workers (imports, templates, connections)
                visitor(port, "10.255.255.1", upload)
            queue: multiprocessing.Queue = multiprocessing.Queue()
            clients = [
                multiprocessing.Process(
                    target=client_process, args=(port, args.seconds, upload, queue)
                )
                for _ in range(args.processes)
            ]
            cpu_before = server_cpu_seconds(server.pid)
            began = time.perf_counter()
            for client in clients:
                client.start()
            results = [queue.get() for _ in clients]
            elapsed = time.perf_counter() - began
            cpu_after = server_cpu_seconds(server.pid)
            for client in clients:
                client.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
            subprocess.run(
                ["redis-cli", "-n", REDIS_DB, "FLUSHDB"], capture_output=True, check=False
            )

    gets = [g for r in results for g in r[0]]
    posts = [p for r in results for p in r[1]]
    failures = sum(r[2] for r in results)
    size = f", {len(upload) // 1024} KB JPEG each" if upload else ", no files"
    print(
        f"intake: {args.processes} clients x {args.seconds:.0f} s, gunicorn {args.workers} "
        f"sync workers, PostgreSQL + Redis{size}"
    )
    print(f"submissions: {len(posts)} ok, {failures} failed, {len(posts) / elapsed:.1f}/s")
    print(f"POST ms: p50 {percentile(posts, 0.5):.1f}  p95 {percentile(posts, 0.95):.1f}")
    print(f"GET  ms: p50 {percentile(gets, 0.5):.1f}  p95 {percentile(gets, 0.95):.1f}")
    per_visitor = (statistics.mean(gets) + statistics.mean(posts)) * 1000
    print(f"mean GET+POST per visitor: {per_visitor:.1f} ms")
    if posts:
        cpu = {k: (cpu_after[k] - cpu_before[k]) * 1000 / len(posts) for k in cpu_before}
        print(
            f"server CPU per submission (GET+POST): gunicorn {cpu['gunicorn']:.1f} ms, "
            f"PostgreSQL {cpu['postgres']:.1f} ms"
        )
    if upload:
        from casework.uploads import clean  # needs no settings

        began = time.perf_counter()
        clean(upload, "jpeg")
        took = (time.perf_counter() - began) * 1000
        print(f"cleaning one such photo (in the worker, off the request path): {took:.0f} ms")
    return 0 if posts and not failures else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
