"""Scale-out (README, Scaling): compose can run several web and worker containers against one
PostgreSQL and Redis, and nothing in the code keeps shared state in one process."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.test_deployment import COMPOSE, ROOT
from tests.test_logging import free_port

SCALED = ["web", "worker", "files-worker"]


@pytest.mark.parametrize("name", SCALED)
def test_scaled_services_have_no_fixed_name_port_or_address(name):
    """`docker compose up --scale web=3 --scale worker=3` needs each container to be nameless,
    portless and addressless: compose refuses to scale a service with a container_name, and
    published host ports or fixed addresses would collide."""
    service = COMPOSE["services"][name]
    for fixed in ("container_name", "hostname", "ports", "mac_address", "network_mode"):
        assert fixed not in service, fixed
    assert not isinstance(service.get("networks"), dict)  # no ipv4_address per container
    assert service.get("deploy", {}).get("replicas") is None  # the --scale flag decides
    if name != "web":
        # Each worker's node name is made unique by its container's host name (%h).
        command = service["command"]
        assert command[command.index("-n") + 1].endswith("@%h")


def test_beat_stays_one_and_the_proxy_finds_every_web_container():
    assert "deploy" not in COMPOSE["services"]["beat"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    directives = [line.split("#")[0].strip() for line in caddyfile.splitlines()]
    # Upstreams looked up by name again and again, not one address fixed at start.
    assert directives.count("dynamic a {") == 2 and directives.count("name web") == 2
    assert {"port 8000", "port 8001", "lb_policy least_conn"} <= set(directives)
    assert not [d for d in directives if d.startswith("reverse_proxy web:")]


def test_with_redis_shared_state_lives_in_redis_and_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.RATE_LIMIT_BACKEND == "redis"
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


COUNT_IN_A_PROCESS = """
from casework.services import ratelimit
print(sum(ratelimit.allow("intake", "one-client-everywhere") for _ in range(3)))
"""


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_a_limit_holds_across_processes(backend, test_database_url, settings):
    """Three processes (as three web containers would be) share one client's budget of 4."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url,
        # Without Redis the counters are rows in PostgreSQL (and in SQLite when embedded).
        "REDIS_URL": settings.REDIS_URL if backend == "redis" else "",
        "PATH": "/usr/bin:/bin",
        "INTAKE_RATE_LIMIT": "4",
        "PYTEST_XDIST_WORKER": settings.TEST_PROCESS,  # this test's own Redis keys
    }
    allowed = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", COUNT_IN_A_PROCESS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        allowed.append(int(done.stdout.strip().splitlines()[-1]))
    assert allowed == [3, 1, 0]


# Every piece of process-local state in the code, and why it cannot make two processes disagree
# about anything that matters. A new one fails this test until someone has thought about it and
# added it here; shared state (counters, caches, locks) belongs in PostgreSQL or Redis.
PROCESS_LOCAL = {
    "casework/admin/cases.py:_risk_mark": "rendered markup per flag and language; never changes",
    "casework/admin/dashboard.py:_cache_failed_at": "when this process's cache calls last failed",
    "casework/crypto.py:_fernets": "keys parsed from settings",
    "casework/crypto.py:_hmac_keys": "keys parsed from settings",
    "casework/crypto.py:_token_hash_key": "a key parsed from settings",
    "casework/crypto.py:_digest_keys": "keys parsed from settings",
    "casework/drafting.py:_charged_classes": "template node classes made once per class",
    "casework/drafting.py:_starting_package": "the empty .docx package, the same in every process",
    "casework/portal/views.py:_rendered": "the blank form rendered once per language; same in all",
    "casework/rules/calendar.py:_public_holidays": "the holidays package's tables per year",
    "casework/services/intake.py:_cache": "rarely edited rows for 10 s; staleness bounded",
    "casework/services/notifications.py:_woken_at": "a wake-up per process; extra ones harmless",
    "casework/services/ratelimit.py:_redis_failed_at": "when this process last found Redis down",
    "casework/services/ratelimit.py:_trusted_networks": "parsed networks from settings",
    "casework/services/ratelimit.py:_redis_counters": "this process's Redis client",
}


def _process_local_state(path: Path) -> list[str]:
    """Module-level containers that start empty (filled as the process runs) and functions
    memoised with functools."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            value = node.value
            empty = (isinstance(value, ast.Dict) and not value.keys) or (
                isinstance(value, ast.List | ast.Set) and not value.elts
            )
            call = value if isinstance(value, ast.Call) else None
            function = ast.unparse(call.func) if call else ""
            built = (function in {"dict", "list", "set"} and call and not call.args) or (
                function in {"defaultdict", "collections.defaultdict", "OrderedDict"}
            )
            if empty or built:
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                found += [t.id for t in targets if isinstance(t, ast.Name)]
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(called) in {
                    "cache",
                    "lru_cache",
                    "functools.cache",
                    "functools.lru_cache",
                }:
                    found.append(node.name)
    return found


def test_process_local_state_is_all_reviewed():
    found = {
        f"{path.relative_to(ROOT)}:{name}"
        for folder in ("casework", "config")
        for path in sorted((ROOT / folder).rglob("*.py"))
        # Settings are read once at start and equal in every process.
        if "migrations" not in path.parts and "settings" not in path.parts
        for name in _process_local_state(path)
    }
    assert found == set(PROCESS_LOCAL)


# --- PgBouncer in transaction pooling (README, Scaling) -----------------------------------------

PGBOUNCER_INI = """
[databases]
* = host={host} port={port} user={user}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
server_reset_query =
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""

# What a web process does between requests, over and over while the other process writes:
# counters (one-statement upserts), reads in chunks without a server-side cursor, a locked write.
BUSY_READER = """
import time
from django.db import transaction
from casework.models import Case, Deadline
from casework.services import ratelimit
until, rounds = time.monotonic() + 6, 0
while time.monotonic() < until or rounds < 5:
    assert ratelimit.hit("pgbouncer-probe", str(rounds % 3), window=60) >= 1
    assert sum(1 for _ in Deadline.objects.all().iterator(chunk_size=7)) >= 0
    with transaction.atomic():
        list(Case.objects.select_for_update(skip_locked=True).order_by("pk")[:3])
    rounds += 1
print("rounds", rounds)
"""


@pytest.fixture
def pgbouncer(test_database_url: str) -> Iterator[str]:
    """Debian's PgBouncer in transaction pooling before the test database; yields its URL."""
    binary = shutil.which("pgbouncer")
    assert binary is not None, "Debian's pgbouncer package is needed (.ci/run installs it)"
    server = urllib.parse.urlsplit(test_database_url)
    # PgBouncer will not run as root: it switches to nobody, who must read this folder.
    folder = Path(tempfile.mkdtemp(prefix="casework-pgbouncer-"))
    folder.chmod(0o777)
    listen = free_port()
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        PGBOUNCER_INI.format(
            host=server.hostname,
            port=server.port or 5432,
            user=server.username,
            listen=listen,
            folder=folder,
        )
    )
    ini.chmod(0o644)
    command = [binary, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(ini)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = server._replace(netloc=f"{server.username}@127.0.0.1:{listen}").geturl()
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.integration
def test_the_system_runs_through_pgbouncer_in_transaction_pooling(
    pgbouncer, test_database_url, settings
):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": pgbouncer,
        "REDIS_URL": "",  # counters in the database: more statements through the pool
        "PATH": "/usr/bin:/bin",
        "PYTEST_XDIST_WORKER": settings.TEST_PROCESS,
    }

    def manage(*args: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )

    # Without DATABASE_JIT_OPTION=false PgBouncer refuses the connection outright.
    refused = manage("sweep_deadlines", extra={})
    assert refused.returncode != 0 and "unsupported startup parameter: options" in refused.stderr
    pooled = {"DATABASE_JIT_OPTION": "false", "DISABLE_SERVER_SIDE_CURSORS": "true"}
    # Two processes at once over a pool of two server connections: the seed writes, the other
    # reads and counts in between.
    reader = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", BUSY_READER],
        cwd=ROOT,
        env={**env, **pooled},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seeded = manage(
        "seed_demo", "--cases", "6", "--filings-per-case", "1", "--jobs", "1", extra=pooled
    )
    out, err = reader.communicate(timeout=300)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert reader.returncode == 0 and out.startswith("rounds "), err[-2000:]
    swept = manage("sweep_deadlines", extra=pooled)
    assert swept.returncode == 0, swept.stderr[-2000:]
    with psycopg.connect(test_database_url) as conn:
        counted = conn.execute("SELECT count(*) FROM casework_case").fetchone()
        clocks = conn.execute("SELECT count(*) FROM casework_deadline").fetchone()
    assert counted is not None and counted[0] == 6
    assert clocks is not None and clocks[0] >= 6
