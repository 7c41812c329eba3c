"""`manage.py move_to_postgresql` (README, Moving to PostgreSQL): an embedded installation,
seeded and edited, moved into a fresh PostgreSQL database, read there with the same keys."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.test_backups import BASE_URL, EDIT, Site, keys

NEW_CASE = """
from casework.models import Case
from tests.factories import CaseFactory, TimelineEntryFactory
last = Case.objects.order_by("-pk").first().pk
case = CaseFactory()
TimelineEntryFactory(case=case)
print("new case", case.pk > last)
"""


@pytest.fixture
def fresh_postgresql() -> Iterator[str]:
    parts = urllib.parse.urlsplit(BASE_URL)
    name = f"{parts.path.lstrip('/')}_move_{uuid.uuid4().hex[:8]}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.integration
def test_an_embedded_installation_moves_to_postgresql_with_every_case_file_and_clock(
    tmp_path: Path, fresh_postgresql: str
) -> None:
    shared = keys()
    embedded = Site(tmp_path / "var", shared, None)
    embedded.manage("migrate", "--noinput")
    embedded.manage("seed_demo", "--cases", "12", "--filings-per-case", "2", "--jobs", "1")
    embedded.manage("sweep_deadlines")
    embedded.manage("shell", "--no-imports", "-c", EDIT)
    before = embedded.fingerprint()
    assert len(before["rows"]["Case"]) == 12 and len(before["files"]) == 1  # type: ignore[index,arg-type]
    assert len(before["rows"]["Deadline"]) > 12  # type: ignore[index]

    moved = embedded.manage("move_to_postgresql", "--to", fresh_postgresql).stdout
    assert "moved" in moved and "set DATABASE_URL" in moved

    # The same var folder (files, broker) and keys, now with DATABASE_URL: everything reads
    # back as it was, decrypted with the same field keys, files included.
    on_postgresql = Site(tmp_path / "var", shared, fresh_postgresql)
    assert on_postgresql.fingerprint() == before
    on_postgresql.manage("migrate", "--check")
    # Stored as it was: ciphertext, never the plaintext, in the new database too.
    with psycopg.connect(fresh_postgresql) as conn:
        surnames = [row[0] for row in conn.execute("SELECT surname FROM casework_serviceman")]
        assert surnames and not any("Резервова" in s for s in surnames)
        counted = conn.execute("SELECT count(*) FROM casework_auditevent").fetchone()
    assert counted is not None and counted[0] == len(before["rows"]["AuditEvent"])  # type: ignore[index,arg-type]
    # New rows get fresh ids (the sequences were moved on past the copied rows).
    assert "new case True" in on_postgresql.manage("shell", "--no-imports", "-c", NEW_CASE).stdout
    on_postgresql.manage("sweep_deadlines")
    # The audit stays append-only there (the trigger migrate made survived the copy).
    refused = on_postgresql.manage(
        "shell",
        "--no-imports",
        "-c",
        "from casework.models import AuditEvent; AuditEvent.objects.first().delete()",
        check=False,
    )
    assert refused.returncode != 0 and "append-only" in refused.stderr
    after = on_postgresql.fingerprint()

    # A second move into the now full database is refused and changes nothing.
    again = embedded.manage("move_to_postgresql", "--to", fresh_postgresql, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
    assert on_postgresql.fingerprint() == after
    # And an installation already on PostgreSQL has nothing to move.
    refused = on_postgresql.manage("move_to_postgresql", "--to", fresh_postgresql, check=False)
    assert refused.returncode != 0 and "not on the embedded SQLite" in refused.stderr


def test_only_a_postgresql_url_is_accepted(tmp_path: Path) -> None:
    embedded = Site(tmp_path / "var", keys(), None)
    embedded.manage("migrate", "--noinput")
    refused = embedded.manage(
        "move_to_postgresql", "--to", f"sqlite:///{tmp_path}/other.sqlite3", check=False
    )
    assert refused.returncode != 0 and "must be a PostgreSQL URL" in refused.stderr
    assert not (tmp_path / "other.sqlite3").exists()
