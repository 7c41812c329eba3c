"""Fault tests: a real worker, a real SMTP server, real Redis and PostgreSQL, each made to fail
while families write in and staff work, and nothing is lost (README, Architecture).

The outages are shortened (FAULT_OUTAGE_SECONDS, and the retry pauses set in the worker's
environment) so each test runs well under a minute; their shape is the production one: down,
traffic, up, everything delivered once (or within the documented window).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from casework.models import Case, Notification
from casework.roles import Role
from tests.conftest import ROOT, SmtpInbox, wait_for
from tests.factories import TeamFactory, UserFactory
from tests.portal_support import aged_stamp, intake_post, reference_from
from tests.security.gunicorn_support import gunicorn, send
from tests.security.staff_support import signed_in
from tests.test_logging import free_port

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "8"))
# What the worker (and the web) run with: retry pauses of 1 to 2 s instead of 1 minute to an
# hour, and the sweep's thresholds in seconds, so the shape fits in a test.
FAST = {
    "NOTICE_RETRY_FIRST_SECONDS": "1",
    "NOTICE_RETRY_MAX_SECONDS": "2",
    "NOTICE_REQUEUE_AFTER_SECONDS": "1",
    "NOTICE_CLAIM_TIMEOUT_SECONDS": "3",
    "INTAKE_MIN_SECONDS": "0",
    "INTAKE_RATE_LIMIT": "10000",
}


class PrivateRedis:
    """A redis-server of the test's own on a free port, stopped and started at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash: whatever it held in memory is gone
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class SlowInbox(SmtpInbox):
    """An SMTP server that keeps each message, then takes `delay` seconds to say 250 OK."""

    delay = 0.0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        await asyncio.sleep(self.delay)
        return "250 OK"


class Worker:
    """A real Celery worker process (prefork, as in production) on the given broker."""

    def __init__(self, *, database_url: str, broker_url: str, smtp_port: int, queue: str) -> None:
        self.queue = queue
        self.env = dict(
            os.environ,
            **FAST,
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url,
            REDIS_URL=broker_url,
            CELERY_TASK_ALWAYS_EAGER="false",
            CELERY_TASK_DEFAULT_QUEUE=queue,
            CELERY_FILES_QUEUE=f"{queue}-files",
            TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork"]
        command += ["--concurrency=1", "-Q", f"{self.queue},{self.queue}-files"]
        command += ["--loglevel=WARNING", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "-n", f"{uuid.uuid4().hex[:8]}@%h"]
        # Its own process group, so a SIGKILL reaches the pool's child too, as when a
        # container is killed.
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@contextmanager
def publishing_to(broker_url: str, queue: str) -> Iterator[None]:
    """Tasks this test process sends (on_commit wake-ups, a sweep) go to `queue` on `broker_url`."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.files_queue)
    saved_url = app.conf.broker_url
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    app.conf.files_queue = f"{queue}-files"
    app.conf.broker_url = broker_url
    app._after_fork()  # forget the connections to the other broker, as a forked child does
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue, app.conf.files_queue = saved
        app.conf.broker_url = saved_url
        app._after_fork()


@pytest.fixture
def coordinator_team():  # type: ignore[no-untyped-def]
    """The intake team with one coordinator who has an address: one notice per intake."""
    team = TeamFactory(receives_intake=True)
    user = UserFactory(email="duty@org.example", role=Role.COORDINATOR)
    team.members.add(user)
    assert Group.objects.get(name=Role.COORDINATOR.value).user_set.count() == 1
    return team


def reference_list(inbox: SmtpInbox) -> list[str]:
    """The case reference in each received email's subject, in order of arrival."""
    found = []
    for raw in inbox.messages:
        subject = str(email.message_from_bytes(raw, policy=email.policy.default)["subject"])
        match = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", subject)
        assert match, subject
        found.append(match.group(0))
    return found


def intake_in_process(client: Client) -> str:
    response = client.post("/ru/intake/", intake_post(started=aged_stamp()))
    assert response.status_code == 200
    return reference_from(response.content.decode())


def intake_over_http(base: str) -> tuple[int, str]:
    """A family's intake through the real web server (CSRF cookie and token as a browser)."""
    status, headers, body = send(f"{base}/ru/intake/")
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    assert token and cookie.startswith("csrftoken=")
    data = {**intake_post(started=aged_stamp()), "csrfmiddlewaretoken": token.group(1).decode()}
    status, _headers, body = send(
        f"{base}/ru/intake/",
        method="POST",
        body=urllib.parse.urlencode(data, doseq=True).encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    reference = ""
    if status == 200:
        reference = reference_from(body.decode())
    return status, reference


def all_sent(count: int) -> bool:
    states = list(Notification.objects.values_list("state", flat=True))
    return len(states) == count and set(states) == {"sent"}


# --- The mail server is down while 100 families write in ---------------------------------------


def test_smtp_down_during_100_intakes_every_notice_is_delivered_once_when_it_returns(
    test_database_url, smtp_server, coordinator_team, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (10_000, 3600)}
    redis_url = os.environ["REDIS_URL"]
    worker = Worker(
        database_url=test_database_url,
        broker_url=redis_url,
        smtp_port=smtp_server.port,
        queue=f"fault-{uuid.uuid4().hex[:8]}",
    )
    worker.start()
    started = time.monotonic()
    try:
        with publishing_to(redis_url, worker.queue):
            smtp_server.stop()
            client = Client()
            references = [intake_in_process(client) for _ in range(100)]
            # The worker keeps trying: every notice is refused at least once, none given up.
            assert wait_for(
                lambda: not Notification.objects.filter(attempts=0).exists(), timeout=30
            )
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
            assert Notification.objects.filter(state="failed").count() == 0
            smtp_server.start()
            assert wait_for(lambda: all_sent(100), timeout=30)
            # Nothing more comes: a retry that finds its notice sent sends nothing.
            time.sleep(4)
    finally:
        worker.stop()
    delivered = reference_list(smtp_server)
    assert sorted(delivered) == sorted(references)  # every notice, exactly once
    assert Notification.objects.filter(attempts__gt=1).exists()
    assert time.monotonic() - started < 60


# --- The worker is killed in the middle of sending ---------------------------------------------


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_at_most_the_email_in_flight(
    test_database_url, coordinator_team, settings
):
    from casework.tasks import sweep_portal

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (10_000, 3600)}
    inbox = SlowInbox()
    inbox.port = free_port()
    inbox.delay = 0.4  # each send is in flight for a while: the kill lands inside one
    inbox.start()
    redis_url = os.environ["REDIS_URL"]
    queue = f"fault-{uuid.uuid4().hex[:8]}"
    first = Worker(
        database_url=test_database_url, broker_url=redis_url, smtp_port=inbox.port, queue=queue
    )
    second = Worker(
        database_url=test_database_url, broker_url=redis_url, smtp_port=inbox.port, queue=queue
    )
    try:
        with publishing_to(redis_url, queue):
            client = Client()
            first.start()
            references = [intake_in_process(client) for _ in range(20)]
            assert wait_for(lambda: len(inbox.messages) >= 5, timeout=30)
            time.sleep(0.2)  # inside the next message's DATA: accepted, not yet answered
            first.kill()
            killed_at = len(inbox.messages)
            assert not all_sent(20)
            second.start()
            # The dead worker's messages are not acknowledged and its claim is taken over once
            # it lapses; the sweep (what beat runs every 5 minutes) re-queues what is left.
            deadline = time.monotonic() + 40
            while not all_sent(20) and time.monotonic() < deadline:
                sweep_portal.delay()
                time.sleep(2)
            assert all_sent(20)
            time.sleep(2)
    finally:
        first.stop()
        second.stop()
        inbox.stop()
    delivered = reference_list(inbox)
    assert set(delivered) == set(references)  # nothing lost
    repeated = [reference for reference in set(delivered) if delivered.count(reference) > 1]
    # Only the email in flight at the kill (accepted, never marked sent) may go twice.
    assert len(delivered) - len(references) == len(repeated) <= 1
    assert killed_at >= 5


# --- Redis stops while families write in and staff work ----------------------------------------


def test_redis_down_during_intakes_and_staff_pages_no_500_and_everything_catches_up(
    test_database_url, smtp_server, coordinator_team, private_redis, settings, tmp_path
):
    from casework.tasks import sweep_portal

    queue = f"fault-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        database_url=test_database_url,
        broker_url=private_redis.url,
        smtp_port=smtp_server.port,
        queue=queue,
    )
    # Staff pages in this process use the same Redis for their cache and counters.
    settings.REDIS_URL = private_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    staff = signed_in(UserFactory(role=Role.COORDINATOR))
    web_env = {
        **FAST,
        "REDIS_URL": private_redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    started = time.monotonic()
    statuses: list[int] = []
    references: list[str] = []
    worker.start()
    try:
        with gunicorn(test_database_url, tmp_path / "web.log", workers=2, env=web_env) as web:
            for _ in range(3):
                status, reference = intake_over_http(web.base)
                statuses.append(status)
                references.append(reference)
            assert wait_for(lambda: len(smtp_server.messages) == 3, timeout=20)
            private_redis.stop()
            outage_ends = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < outage_ends or len(references) < 10:
                status, reference = intake_over_http(web.base)
                statuses.append(status)
                references.append(reference)
                for page in (reverse("admin:index"), reverse("admin:casework_case_changelist")):
                    statuses.append(staff.get(page).status_code)
            assert worker.alive()  # waited the outage out instead of exiting
            private_redis.start()
            # The wake-ups sent during the outage were lost with Redis; the sweep (beat's
            # every 5 minutes) finds the pending rows in the database.
            with publishing_to(private_redis.url, queue):
                deadline = time.monotonic() + 30
                count = len(references)
                while not all_sent(count) and time.monotonic() < deadline:
                    sweep_portal.delay()
                    time.sleep(2)
            for page in (reverse("admin:index"), reverse("admin:casework_case_changelist")):
                statuses.append(staff.get(page).status_code)
    finally:
        worker.stop()
    assert set(statuses) == {200}  # no 500, no refusal, for families or staff
    assert Case.objects.count() == len(references)
    assert all_sent(len(references))
    assert sorted(reference_list(smtp_server)) == sorted(references)  # each once
    assert worker.process is not None
    assert time.monotonic() - started < 60


# --- PostgreSQL drops every connection mid-traffic ---------------------------------------------


def test_database_connections_terminated_mid_traffic_recover_without_a_restart(
    test_database_url, smtp_server, coordinator_team, tmp_path
):
    from django.db import connection

    redis_url = os.environ["REDIS_URL"]
    queue = f"fault-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        database_url=test_database_url,
        broker_url=redis_url,
        smtp_port=smtp_server.port,
        queue=queue,
    )
    web_env = {
        **FAST,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    database = connection.settings_dict["NAME"]
    statuses: list[int] = []
    references: list[str] = []
    terminated = 0
    started = time.monotonic()
    worker.start()
    try:
        with gunicorn(test_database_url, tmp_path / "web.log", workers=2, env=web_env) as web:
            for round_number in range(3):
                for _ in range(4):
                    status, reference = intake_over_http(web.base)
                    statuses.append(status)
                    references.append(reference)
                # Every connection to the test database but this test's own: the web
                # server's persistent ones and the worker's.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = %s AND pid <> pg_backend_pid()",
                        [database],
                    )
                    terminated += cursor.fetchone()[0]
            for _ in range(4):
                status, reference = intake_over_http(web.base)
                statuses.append(status)
                references.append(reference)
            assert wait_for(lambda: all_sent(len(references)), timeout=30)
    finally:
        worker.stop()
    assert terminated >= 3  # connections were really cut, every round
    assert set(statuses) == {200}
    assert sorted(reference_list(smtp_server)) == sorted(references)
    assert time.monotonic() - started < 60
