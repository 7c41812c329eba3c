"""A real gunicorn for the security tests: started on a free port, its log kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.test_logging import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class LiveServer:
    base: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def gunicorn(
    database_url: str,
    log_path: Path,
    *,
    config: str = "config/gunicorn.py",
    app: str = "config.wsgi",
    workers: int = 1,
    env: dict[str, str] | None = None,
    bind: bool = True,
) -> Iterator[LiveServer]:
    """gunicorn with `config` serving `app` against the test database; stdout and stderr go
    to `log_path`, read once the server has stopped (so every line is flushed). With
    `bind=False` the config's own binds are used (GUNICORN_BIND, ONION_PORT in `env`)."""
    port = free_port() if bind else int((env or {})["GUNICORN_BIND"].rsplit(":", 1)[1])
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        PYTHONUNBUFFERED="1",
        **(env or {}),
    )
    command = [sys.executable, "-m", "gunicorn", "-c", config]
    if bind:
        command += ["--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), app]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # answering, whatever it says
            except OSError:
                time.sleep(0.1)
        yield LiveServer(base=base, log_path=log_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


def send(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request with urllib: (status, headers, body), an HTTP error status included."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), dict(exc.headers), exc.read()
