"""Encrypted backups and their restore (README, Backups; docs/runbook.md).

An archive is a tar of the database (a `pg_dump -Fc`, or a consistent copy of the SQLite file)
and the encrypted file store (MEDIA_ROOT), encrypted with `age` to public keys only: the
server can write backups but never read one. The identity (private key) that opens them is
kept off the server and handed to `restore` only on the machine that restores.

Nothing is written in plaintext: the dump is held in memory and streamed through `age`. The
archive holds field-encrypted rows and already-encrypted files, so even opened it is unreadable
without FIELD_ENCRYPTION_KEYS, which a backup never contains.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1
NAME = re.compile(r"^casework-(\d{8}T\d{6}Z)\.tar\.age$")
STAMP = "%Y%m%dT%H%M%SZ"
PG_MEMBER = "database.pgdump"
SQLITE_MEMBER = "database.sqlite3"
MEDIA_PREFIX = "media/"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why (no personal data)."""


@dataclass(frozen=True)
class RestoreReport:
    engine: str
    files: int
    created_at: str


def _tool(name: str) -> str:
    """The full path of a Debian tool (age, postgresql-client), or a clear refusal."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian packages age, postgresql-client)")
    return path


def recipients() -> list[str]:
    """The age public keys to encrypt to; a private key here is refused (it must stay away)."""
    configured = [r.strip() for r in settings.BACKUP_AGE_RECIPIENTS if r.strip()]
    if not configured:
        raise BackupError("BACKUP_AGE_RECIPIENTS is empty: no public key to encrypt backups to")
    for recipient in configured:
        if "SECRET-KEY" in recipient.upper():
            raise BackupError("BACKUP_AGE_RECIPIENTS holds a private key: give the public one")
        if not recipient.startswith(("age1", "ssh-")):
            raise BackupError("BACKUP_AGE_RECIPIENTS: not an age or SSH public key")
    return configured


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _pg_args() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore; the password goes in the environment only."""
    db = settings.DATABASES["default"]
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "-d", str(db["NAME"])], env


def _database_bytes() -> tuple[str, bytes]:
    if _engine() == "sqlite":
        # SQLite's online backup: a consistent copy while the site keeps writing (WAL), made
        # in memory and serialised, so no second plaintext file lands on the disk.
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(":memory:")
        try:
            source.backup(copy)
            return SQLITE_MEMBER, copy.serialize()
        finally:
            source.close()
            copy.close()
    args, env = _pg_args()
    done = subprocess.run(  # noqa: S603 (argument list, no shell)
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args],
        capture_output=True,
        env=env,
        timeout=3600,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace')[:500]}")
    return PG_MEMBER, done.stdout


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def backup_create(*, directory: Path | None = None) -> Path:
    """Write one encrypted archive into BACKUP_DIR (or `directory`) and return its path."""
    keys = recipients()
    target_dir = Path(directory or settings.BACKUP_DIR)
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = timezone.now()
    target = target_dir / f"casework-{now.strftime(STAMP)}.tar.age"
    partial = target.with_name(f".{target.name}.partial")
    member, database = _database_bytes()
    media = Path(settings.MEDIA_ROOT)
    command = [_tool("age"), "--encrypt", *(a for key in keys for a in ("-r", key))]
    age = subprocess.Popen(  # noqa: S603 (argument list, no shell)
        [*command, "-o", str(partial)], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert age.stdin is not None and age.stderr is not None
    try:
        with tarfile.open(fileobj=age.stdin, mode="w|") as tar:
            manifest = {"format": FORMAT, "engine": _engine(), "created_at": now.isoformat()}
            _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
            _add_bytes(tar, member, database)
            del database
            for path in sorted(media.rglob("*")) if media.is_dir() else []:
                # Half-written uploads (".partial") are not files yet; everything else is
                # already encrypted under FIELD_ENCRYPTION_KEYS.
                if path.is_file() and not path.name.endswith(".partial"):
                    tar.add(path, arcname=MEDIA_PREFIX + path.relative_to(media).as_posix())
        age.stdin.close()
        if age.wait(timeout=3600) != 0:
            failure = age.stderr.read().decode(errors="replace")[:300]
            raise BackupError(f"age failed: {failure}")
    except BaseException:
        age.kill()
        age.wait()
        partial.unlink(missing_ok=True)
        raise
    partial.chmod(0o600)
    os.replace(partial, target)
    return target


def backups_prune(*, directory: Path | None = None, now: datetime.datetime | None = None) -> int:
    """Delete archives older than RETENTION_MONTHS_AFTER_CLOSE plus BACKUP_MARGIN_MONTHS.

    A case purged after the promised retention must not live on in an old backup for ever;
    the margin keeps a restore possible across the whole retention window.
    """
    months = settings.RETENTION_MONTHS_AFTER_CLOSE + settings.BACKUP_MARGIN_MONTHS
    cutoff = (now or timezone.now()) - datetime.timedelta(days=31 * months)
    removed = 0
    folder = Path(directory or settings.BACKUP_DIR)
    for path in folder.iterdir() if folder.is_dir() else []:
        match = NAME.match(path.name)
        if not match:
            continue
        made = datetime.datetime.strptime(match.group(1), STAMP).replace(tzinfo=datetime.UTC)
        if made < cutoff:
            path.unlink()
            removed += 1
    return removed


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError("the archive names a path outside its own folders")
    return path


def _database_is_empty() -> bool:
    return not [t for t in connection.introspection.table_names() if not t.startswith("sqlite_")]


def backup_restore(*, archive: Path, identity: Path) -> RestoreReport:
    """Decrypt `archive` with the private key file `identity` and restore it into the
    configured database and MEDIA_ROOT, which must both be empty (a fresh server)."""
    if not _database_is_empty():
        raise BackupError("the database is not empty: restore only into a fresh one")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        raise BackupError("MEDIA_ROOT is not empty: restore only into a fresh file store")
    done = subprocess.run(  # noqa: S603 (argument list, no shell)
        [_tool("age"), "--decrypt", "-i", str(identity), str(archive)],
        capture_output=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise BackupError(f"age could not open the archive: {done.stderr.decode()[:300]}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout), mode="r:") as tar:
        members = {m.name: m for m in tar.getmembers()}
        manifest_file = tar.extractfile(members["manifest.json"])
        assert manifest_file is not None
        manifest = json.loads(manifest_file.read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"archive format {manifest.get('format')} is not {FORMAT}")
        if manifest["engine"] != _engine():
            raise BackupError(f"the archive is a {manifest['engine']} backup; this is {_engine()}")
        database_member = tar.extractfile(
            members[SQLITE_MEMBER if _engine() == "sqlite" else PG_MEMBER]
        )
        assert database_member is not None
        _restore_database(database_member.read())
        files = 0
        for name, member in members.items():
            if not name.startswith(MEDIA_PREFIX) or not member.isfile():
                continue
            relative = _safe_member(name[len(MEDIA_PREFIX) :])
            target = media / relative
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                shutil.copyfileobj(source, handle)
            files += 1
    return RestoreReport(engine=manifest["engine"], files=files, created_at=manifest["created_at"])


def _restore_database(data: bytes) -> None:
    if _engine() == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        connection.close()  # our (empty) connection must not outlive the file it opened
        # The archive holds the whole database file (SQLite's serialised image): it replaces
        # the empty file that checking for tables created.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return
    args, env = _pg_args()
    connection.close()
    # pg_restore reads the dump from a pipe, so the plaintext never touches the disk.
    done = subprocess.run(  # noqa: S603 (argument list, no shell)
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", *args],
        input=data,
        capture_output=True,
        env=env,
        timeout=3600,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.decode(errors='replace')[:500]}")
