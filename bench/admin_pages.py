"""Benchmark: the caseworker admin's case list, dashboard, case page and reference search on a
large database.

Seeds (or reuses) a database of 100,000 cases with 300,000 filings, 300,000 deadlines and
1,000,000 timeline entries, starts gunicorn with 2 workers on it, signs a coordinator and a
caseworker in through the real login form with a TOTP code, and times the case list (50 rows,
default filters), the dashboard (the admin index), the case page (the workbench, over 50 of the
user's cases in turn) and a reference search (`?q=` on the case list, the references of those
cases typed as a mother reads them out: some lower case, some without the dash), and for the
coordinator the statistics page, as served (figures kept five minutes) and counted afresh each
time. Targets: p95 <= 80 ms for the list and dashboard, <= 120 ms for the case page, <= 80 ms
for the search, <= 500 ms for the statistics page. The
SQL statements of each case page and search are counted in-process (django.test.Client, signed
in the same way) and printed as min-max over the sample: they must not depend on the size. Beside
them, the median CPU ms of that in-process request (Django and the database client, not the
server), which moves far less with the machine's load than the wall time over HTTP.

    createdb -h 127.0.0.1 -U postgres casework_bench_admin
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench_admin \\
        .venv/bin/python bench/admin_pages.py --requests 200

Never point it at the test database: it writes demo data and resets the demo staff's logins.
Keys for the encrypted fields are generated once into var/bench/admin_pages.env, so a second
run reuses the seeded database (seeding is skipped when it already has the cases).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench_keys import bench_keys  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEYS_FILE = ROOT / "var" / "bench" / "admin_pages.env"
PASSWORD = secrets.token_urlsafe(16)
USERS = {"coordinator": "demo", "caseworker": "demo.north"}  # seed_demo's staff
PAGES = {"case list": "/admin/casework/case/", "dashboard": "/admin/"}
DASHBOARD = "/admin/"
STATISTICS = "/admin/statistics/"


def bench_env() -> dict[str, str]:
    """The process environment plus this benchmark's own keys (made once, then reused)."""
    env = {**os.environ, **bench_keys(KEYS_FILE)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",  # production minus TLS (plain HTTP here)
        CASEWORK_READ_DOTENV="0",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(ROOT / "var" / "bench" / "static"),  # collected as the image build does
    )
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    return env


def check_database(url: str) -> None:
    name = urllib.parse.urlparse(url).path.lstrip("/")
    if not name or name.startswith("test") or name == "casework":
        sys.exit(f"Refusing to use database {name!r}: give the benchmark a database of its own.")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_logins() -> dict[str, tuple[str, int, bytes]]:
    """Give the demo coordinator and a demo caseworker a password and a fresh TOTP device."""
    import django

    django.setup()
    from django.contrib.auth.models import User

    from casework.models import AuthenticatorDevice as TOTPDevice

    logins = {}
    for role, username in USERS.items():
        user = User.objects.get(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        TOTPDevice.objects.filter(user=user, name="bench").delete()
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        logins[role] = (username, device.pk, bytes(device.bin_key))
    return logins


def totp(key: bytes, drift_steps: int = 0) -> str:
    from django_otp.oath import TOTP

    token = TOTP(key, step=30, t0=0, digits=6, drift=drift_steps)
    return f"{token.token():06d}"


class Session:
    """A browser-like session: cookies kept, CSRF token taken from the form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode()

    def login(self, username: str, device_pk: int, key: bytes) -> None:
        _, page = self.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if csrf is None:
            raise SystemExit("No CSRF token on the login page.")
        data = {
            "csrfmiddlewaretoken": csrf.group(1),
            "username": username,
            "password": PASSWORD,
            "otp_device": f"casework.authenticatordevice/{device_pk}",
            "otp_token": totp(key),
            "next": "/admin/",
        }
        status, url, _ = self.post("/admin/login/?next=/admin/", data)
        if urllib.parse.urlparse(url).path != "/admin/":
            raise SystemExit(f"Login of {username} failed (ended at {url}, status {status}).")


def forget_dashboard(username: str) -> Callable[[], None]:
    from django.contrib.auth.models import User

    from casework.admin.dashboard import dashboard_forget

    user = User.objects.get(username=username)

    def forget() -> None:
        dashboard_forget(user)
        dashboard_forget()

    return forget


def forget_statistics() -> None:
    """The statistics page's figures are kept for five minutes in the cache: drop them."""
    from django.core.cache import cache

    from casework.admin.dashboard import _key
    from casework.admin.statistics import STATISTICS_KEY

    cache.delete(_key(*STATISTICS_KEY))


def statistics_statements() -> int:
    """The statements one computation of every figure on the statistics page sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.selectors.statistics import statistics_compute

    with CaptureQueriesContext(connection) as queries:
        statistics_compute()
    return len(queries)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server_env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env=server_env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5):
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s.")


def sample_cases(username: str, count: int = 50) -> list[tuple[int, str]]:
    """(pk, reference) of `count` cases the user sees, spread over the whole table."""
    from django.contrib.auth.models import User

    from casework.selectors import cases_visible_to

    visible = cases_visible_to(User.objects.get(username=username)).filter(merged_into__isnull=True)
    total = visible.count()
    step = max(1, total // count)
    pks = list(visible.order_by("pk").values_list("pk", "reference"))[::step]
    return pks[:count]


def typed_as_read_out(reference: str, index: int) -> str:
    """How a reference arrives in the search box: as printed, lower case, or without the dash."""
    return [reference, reference.lower(), reference.replace("-", "")][index % 3]


def statement_counts(
    username: str, device_pk: int, key: bytes, paths: list[str]
) -> tuple[list[int], list[float]]:
    """SQL statements and CPU ms (this process: Django and the database client, not the
    server) per page, in-process, signed in through the same login form. The CPU time hardly
    changes with the machine's load, unlike the wall time over HTTP."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from casework.models import AuthenticatorDevice as TOTPDevice

    user = User.objects.get(username=username)
    # A device of its own: the HTTP session's login already used this 30 s step's code.
    TOTPDevice.objects.filter(user=user, name="bench-count").delete()
    device = TOTPDevice.objects.create(user=user, name="bench-count", confirmed=True)
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": username,
            "password": PASSWORD,
            "otp_device": f"casework.authenticatordevice/{device.pk}",
            "otp_token": totp(bytes(device.bin_key)),
            "next": "/admin/",
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"In-process login of {username} failed ({response.status_code}).")
    client.get(paths[0])  # warm-up: the process's caches (content types) fill once
    counts, cpu = [], []
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            response = client.get(path)
            cpu.append((time.process_time() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(queries))
    return counts, sorted(cpu)


def percentile(sorted_values: list[float], share: float) -> float:
    index = max(0, min(len(sorted_values) - 1, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(
    session: Session,
    path: str | list[str],
    requests: int,
    before: Callable[[], None] | None = None,
) -> list[float]:
    """Sorted timings in ms of `requests` GETs; a list of paths is taken in turn."""
    paths = [path] if isinstance(path, str) else path
    for index in range(10):  # warm-up: connections, template caches
        session.get(paths[index % len(paths)])
    timings = []
    for index in range(requests):
        if before is not None:
            before()  # outside the timed window
        started = time.perf_counter()
        status, _body = session.get(paths[index % len(paths)])
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return sorted(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--filings-per-case", type=int, default=3)
    parser.add_argument("--timeline", type=int, default=10, help="timeline entries per case")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    check_database(url)
    env = bench_env()
    os.environ.update(env)

    manage(env, "migrate", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    started = time.monotonic()
    manage(
        env,
        "seed_demo",
        "--cases",
        str(args.cases),
        "--filings-per-case",
        str(args.filings_per_case),
        "--timeline",
        str(args.timeline),
    )
    print(f"seed_demo (top-up to {args.cases} cases): {time.monotonic() - started:.1f} s")
    logins = prepare_logins()

    from django.db import connection

    with connection.cursor() as cursor:
        # A bulk-loaded table has no visibility map until vacuumed (autovacuum does it in time).
        cursor.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("case", "filing", "deadline", "timelineentry"):
            cursor.execute(f"SELECT count(*) FROM casework_{table}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))

    port = free_port()
    server = start_gunicorn(env, port)
    try:
        results = []
        for role, (username, device_pk, key) in logins.items():
            session = Session(f"http://127.0.0.1:{port}")
            session.login(username, device_pk, key)
            _, listing = session.get(PAGES["case list"])
            rows = len(re.findall(r'<th class="field-reference"', listing))
            for page, path in PAGES.items():
                timings = measure(session, path, args.requests)
                results.append((role, page, timings, ""))
            # The dashboard's numbers are kept for a minute; also time it counting every time.
            forget = forget_dashboard(username)
            timings = measure(session, DASHBOARD, max(20, args.requests // 4), before=forget)
            results.append((role, "dashboard, counted afresh", timings, ""))
            if role == "coordinator":  # every team's figures: coordinators only
                timings = measure(session, STATISTICS, args.requests)
                results.append((role, "statistics", timings, ""))
                timings = measure(
                    session, STATISTICS, max(20, args.requests // 4), before=forget_statistics
                )
                described = f"{statistics_statements():>11}"
                results.append((role, "statistics, counted afresh", timings, described))
            cases = sample_cases(username)
            case_pages = [f"/admin/casework/case/{pk}/change/" for pk, _ in cases]
            searches = [
                "/admin/casework/case/?q=" + urllib.parse.quote(typed_as_read_out(ref, index))
                for index, (_, ref) in enumerate(cases)
            ]
            for page, paths in (("case page", case_pages), ("reference search", searches)):
                timings = measure(session, paths, args.requests)
                statements, cpu = statement_counts(username, device_pk, key, paths)
                described = f"{min(statements)}-{max(statements)}"
                results.append(
                    (role, page, timings, f"{described:>11} {statistics.median(cpu):>7.1f}")
                )
            _, found = session.get(searches[0])
            hits = len(re.findall(r'<th class="field-reference"', found))
            print(f"{role} ({username}): case list shows {rows} rows; a search finds {hits}")
        print(
            f"\n{'user':<12} {'page':<26} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
            f" {'statements':>11} {'cpu ms':>7}"
        )
        for role, page, timings, statement_range in results:
            print(
                f"{role:<12} {page:<26} {len(timings):>4} {statistics.median(timings):>8.1f} "
                f"{percentile(timings, 0.95):>8.1f} {timings[-1]:>8.1f} {statement_range}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
