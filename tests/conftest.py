"""Shared fixtures. Tests run on real PostgreSQL and Redis; a missing service fails the run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    # Never skip for a missing service: a green run must mean the real services were exercised.
    for name in ("DATABASE_URL", "REDIS_URL"):
        url = os.environ[name]
        if not _reachable(url):
            pytest.exit(f"{name} does not answer; start PostgreSQL and Redis (README).", 1)


@pytest.fixture
def test_database_url(django_db_serialized_rollback: None, transactional_db: None) -> str:
    """DATABASE_URL of pytest's test database, for servers and workers started as processes.

    Their data must be committed, so these tests are transactional; the serialized rollback puts
    back the rows data migrations made (groups, rules), which a flush would otherwise erase.
    Every transactional test needs it: a flush without it re-creates the content types under new
    ids, and the next serialized test's rows (content type 1) then collide with them.
    """
    from django.db import connection

    database = connection.settings_dict
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


class SmtpInbox:
    """Messages received by a real SMTP server (aiosmtpd) on 127.0.0.1."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.port = 0
        self._controller: Any = None

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop answering, as a mail server that went away; `start` brings it back."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpInbox]:
    inbox = SmtpInbox()
    with socket.socket() as probe:  # aiosmtpd's start-up self-check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        inbox.port = probe.getsockname()[1]
    inbox.start()
    try:
        yield inbox
    finally:
        inbox.stop()


@pytest.fixture
def celery_worker(test_database_url: str, smtp_server: SmtpInbox) -> Iterator[str]:
    """A real Celery worker on Redis, on a queue of its own, using the test database.

    Tasks sent without a queue (e.g. from `transaction.on_commit`) go to this queue too, the
    heavy ones to its own files lane (`<queue>-files`, which it also consumes), and the
    worker's email goes to the real SMTP server of `smtp_server`.
    """
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=test_database_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_FILES_QUEUE=f"{queue}-files",
        TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            f"{queue},{queue}-files",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    files_queue = app.conf.files_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    app.conf.files_queue = f"{queue}-files"
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
        app.conf.files_queue = files_queue
        worker.terminate()
        worker.wait(timeout=30)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture(autouse=True)
def reference_data(request: pytest.FixtureRequest) -> None:
    """Rows data migrations create (groups, legal rules, templates, given names), in every test.

    A transactional test ends by flushing every table, which erases them for the tests after it
    (and, with --reuse-db, for the next run); this puts them back when they are missing.
    """
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name="Auditor").exists():
        return
    from casework.models import GivenNameEquivalent
    from casework.roles import sync_role_groups
    from casework.rules.collective_seed import seed_collective_templates
    from casework.rules.document_seed import seed_document_templates
    from casework.rules.seed import seed_legal_data

    # The flush re-creates permissions (post_migrate), so only the rows need putting back.
    names = importlib.import_module("casework.migrations.0003_roles_and_given_names").GIVEN_NAMES
    GivenNameEquivalent.objects.bulk_create(
        GivenNameEquivalent(group=group, spelling=spelling)
        for group, spellings in names.items()
        for spelling in spellings
    )
    sync_role_groups(apps, in_migration=False)
    seed_legal_data(apps)
    seed_document_templates(apps)
    seed_collective_templates(apps)


@pytest.fixture(autouse=True)
def fresh_intake_cache() -> None:
    """The intake keeps rows it reads on every submission for ten seconds per process; a rolled
    back test's intake team must not be the next test's."""
    from casework.services.intake import intake_cache_clear

    intake_cache_clear()


@pytest.fixture(autouse=True)
def fresh_rate_counters(settings: Any) -> None:
    """Rate-limit and lockout counters live in Redis, which no database rollback resets: clear
    them, or a lockout from one test (same factory username) would leak into the next. Only this
    process's own (config/settings/test.py): another pytest-xdist worker's tests are running."""
    from tests.portal_support import rate_counters_clear

    rate_counters_clear()


@pytest.fixture
def media_root(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private MEDIA_ROOT, also for servers and workers started as processes (environment)."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def verified_client(db: None) -> Any:
    """A function signing `user` in through the admin login form with a real TOTP code; it
    returns the client, which asks for pages in `language` (English unless told)."""
    from django.test import Client

    from tests.factories import TOTPDeviceFactory
    from tests.staff_support import login_form, totp_token

    def login(user: Any, *, language: str = "en", **client_options: Any) -> Client:
        device = TOTPDeviceFactory(user=user)
        client = Client(headers={"accept-language": language}, **client_options)
        response = login_form(client, user, device, totp_token(device))
        assert response.status_code == 302, response.content.decode()[:2000]
        return client

    return login


@pytest.fixture
def team(db: None) -> Any:
    from tests.factories import TeamFactory

    return TeamFactory()


@pytest.fixture
def caseworker(team: Any) -> Any:
    """A caseworker of `team`."""
    from casework.roles import Role
    from tests.factories import UserFactory

    return UserFactory(role=Role.CASEWORKER, teams=[team])


@pytest.fixture
def coordinator(db: None) -> Any:
    from casework.roles import Role
    from tests.factories import UserFactory

    return UserFactory(role=Role.COORDINATOR)
