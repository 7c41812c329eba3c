"""`make backup` / `make restore` (README, Backups): a round trip through an age-encrypted archive.

Everything runs as `manage.py` in subprocesses, as an operator runs it, against databases of
the test's own (PostgreSQL: two fresh databases named after DATABASE_URL's; SQLite: two fresh
var folders), with one set of keys: the restored copy is read with the same field keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework")

EDIT = """
from django.db import transaction
from casework.models import Case, Deadline, Serviceman
from casework.services.attachments import Upload, attachments_record, uploads_store
from casework.services.people import serviceman_save
man = Serviceman.objects.order_by("pk").first()
man.surname, man.health_summary = "Резервова", "осколочное ранение бедра"
serviceman_save(serviceman=man, actor=None, changed=["surname", "health_summary"])
case = Case.objects.order_by("pk").first()
stored = uploads_store([Upload(data=b"%PDF-1.4 backup-probe " + bytes(range(256)) * 40,
                               kind="pdf", filename="справка-резервова.pdf")])
with transaction.atomic():
    attachments_record(case=case, entry=None, stored=stored, source="staff")
assert Deadline.objects.exists()
"""

# Every row of every casework model, personal fields decrypted, plus every stored file
# decrypted: equal before and after means every case, file and clock came back intact.
FINGERPRINT = """
import hashlib, json
from django.apps import apps
from casework.models import Attachment
from casework.services.attachments import attachment_read
rows = {}
for model in apps.get_app_config("casework").get_models():
    rows[model.__name__] = sorted(
        [str(getattr(obj, f.attname)) for f in model._meta.concrete_fields]
        for obj in model.objects.all()
    )
files = sorted(
    [str(a.public_id), hashlib.sha256(attachment_read(a, "original")).hexdigest()]
    for a in Attachment.objects.all()
)
print(json.dumps({"rows": rows, "files": files}, ensure_ascii=False))
"""


def keys() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "BLIND_INDEX_KEYS": secrets.token_urlsafe(32),
        "ACCESS_CODE_KEY": secrets.token_urlsafe(32),
        "TOKEN_HASH_KEY": secrets.token_urlsafe(32),
    }


def age_identity(folder: Path) -> tuple[Path, str]:
    identity = folder / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    public = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return identity, public


class Site:
    """One installation: its environment (database, var folder), run like an operator would."""

    def __init__(self, var: Path, secrets_env: dict[str, str], database_url: str | None):
        var.mkdir(parents=True, exist_ok=True)
        self.var = var
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(
            secrets_env,
            DJANGO_SETTINGS_MODULE="config.settings.base",
            CASEWORK_READ_DOTENV="0",
            CASEWORK_VAR_DIR=str(var),
            DEBUG="false",
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def fingerprint(self) -> dict[str, object]:
        out = self.manage("shell", "--no-imports", "-c", FINGERPRINT).stdout
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def postgres_urls() -> Iterator[tuple[str, str]]:
    parts = urllib.parse.urlsplit(BASE_URL)
    stem = f"{parts.path.lstrip('/')}_bk_{uuid.uuid4().hex[:8]}"
    names = [f"{stem}_src", f"{stem}_dst"]
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(parts._replace(path=f"/{name}").geturl() for name in names)  # type: ignore[misc]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def round_trip(tmp_path: Path, source_url: str | None, target_url: str | None) -> None:
    identity, public = age_identity(tmp_path)
    shared = keys()
    source = Site(tmp_path / "source", {**shared, "BACKUP_AGE_RECIPIENTS": public}, source_url)
    source.manage("migrate", "--noinput")
    source.manage("seed_demo", "--cases", "12", "--filings-per-case", "2", "--jobs", "1")
    source.manage("sweep_deadlines")  # clocks marked missed and reminded: state worth keeping
    source.manage("shell", "--no-imports", "-c", EDIT)
    before = source.fingerprint()
    assert len(before["rows"]["Case"]) == 12 and len(before["files"]) == 1  # type: ignore[index]
    assert len(before["rows"]["Deadline"]) > 12  # type: ignore[index]

    written = source.manage("backup").stdout
    archives = list((source.var / "backups").glob("casework-*.tar.age"))
    assert len(archives) == 1 and archives[0].name in written
    archive = archives[0]
    assert archive.stat().st_mode & 0o077 == 0

    # Encrypted: no personal string anywhere in it, and another key cannot open it.
    data = archive.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    for text in ("Резервова", "осколочное ранение", "справка-резервова", "backup-probe"):
        assert text.encode() not in data
    (tmp_path / "stranger").mkdir()
    stranger, _ = age_identity(tmp_path / "stranger")
    refused = subprocess.run(
        ["age", "--decrypt", "-i", str(stranger), str(archive)], capture_output=True
    )
    assert refused.returncode != 0 and refused.stdout == b""
    # Opened with the right key it still holds no plaintext personal data: fields and files
    # stay encrypted under FIELD_ENCRYPTION_KEYS, which a backup never contains.
    opened = subprocess.run(
        ["age", "--decrypt", "-i", str(identity), str(archive)], capture_output=True, check=True
    ).stdout
    for text in ("Резервова", "осколочное ранение", "справка-резервова", "backup-probe"):
        assert text.encode() not in opened
    assert shared["FIELD_ENCRYPTION_KEYS"].encode() not in opened

    # A fresh server: the same keys, an empty database and file store, the private key brought.
    target = Site(tmp_path / "target", shared, target_url)
    assert target.manage("restore", str(archive), "--identity", str(identity)).returncode == 0
    assert target.fingerprint() == before
    target.manage("migrate", "--check")  # the restored schema is the current one

    # A second restore into the now full database is refused and changes nothing.
    again = target.manage("restore", str(archive), "--identity", str(identity), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
    assert target.fingerprint() == before


@pytest.mark.integration
def test_postgresql_backup_restores_every_case_file_and_clock(tmp_path, postgres_urls):
    round_trip(tmp_path, *postgres_urls)


@pytest.mark.integration
def test_sqlite_backup_restores_every_case_file_and_clock(tmp_path):
    round_trip(tmp_path, None, None)


def test_backups_past_retention_plus_margin_are_deleted_and_others_kept(tmp_path, settings):
    import datetime

    from casework.backups import backups_prune

    settings.RETENTION_MONTHS_AFTER_CLOSE, settings.BACKUP_MARGIN_MONTHS = 12, 1
    now = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC)
    old = tmp_path / "casework-20251001T000000Z.tar.age"  # 431 days: past 13 x 31 = 403
    kept = tmp_path / "casework-20251201T000000Z.tar.age"  # inside the window
    other = tmp_path / "notes.txt"  # not ours: never touched
    for path in (old, kept, other):
        path.write_bytes(b"x")
    assert backups_prune(directory=tmp_path, now=now) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name, other.name]


@pytest.mark.parametrize(
    "configured", [[], ["AGE-SECRET-KEY-1QQQQ"], ["not-a-key"]], ids=["none", "private", "junk"]
)
def test_backup_refuses_without_a_public_key_and_writes_nothing(tmp_path, settings, configured):
    from casework.backups import BackupError, backup_create

    settings.BACKUP_AGE_RECIPIENTS = configured
    with pytest.raises(BackupError):
        backup_create(directory=tmp_path / "backups")
    assert not (tmp_path / "backups").exists()
