"""Moving an embedded installation (SQLite) to PostgreSQL (README, Moving to PostgreSQL).

`manage.py move_to_postgresql --to postgres://…`, run with the embedded settings (DATABASE_URL
unset) while nothing else runs, copies every row of every table into an empty PostgreSQL
database exactly as it is stored: an encrypted field stays the same ciphertext and a blind index
or keyed hash the same value, so the same keys read the new database and nothing is ever
decrypted on the way. Files are not touched: they stay in MEDIA_ROOT, which the installation
keeps using once DATABASE_URL names the new database.

The schema is made by `migrate` in a process of its own whose only database is the target: data
migrations write through the default database, which here would be the SQLite file being moved.
Then, in one transaction on each side (SQLite's is taken for writing, so nothing changes while
it is read), the rows the migrations seeded are emptied out and every table is copied, and each
table's count is compared before anything is committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import environ
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import Cast

from casework.crypto import EncryptedMixin

TARGET = "move_target"
# Tables only the SQLite schema has (the audit purge's permit, migration 0024): nothing to move.
SQLITE_ONLY_TABLES = {"casework_audit_purge_permit"}
BATCH = 500


class MoveError(Exception):
    """A move that cannot go ahead; the message says why (no personal data)."""


@dataclass(frozen=True)
class MoveReport:
    tables: int
    rows: int


def database_move(*, url: str) -> MoveReport:
    """Copy this SQLite database, row for row as stored, into the empty PostgreSQL at `url`."""
    source = connections[DEFAULT_DB_ALIAS]
    if source.vendor != "sqlite":
        raise MoveError("this installation is not on the embedded SQLite database")
    config: dict[str, Any] = dict(environ.Env.db_url_config(url))
    if "postgresql" not in config["ENGINE"]:
        raise MoveError("--to must be a PostgreSQL URL (postgres://user:password@host/name)")
    if MigrationExecutor(source).migration_plan(
        MigrationExecutor(source).loader.graph.leaf_nodes()
    ):
        raise MoveError("this database has unapplied migrations: run `manage.py migrate` first")
    connections.settings[TARGET] = connections.configure_settings(
        {DEFAULT_DB_ALIAS: dict(settings.DATABASES[DEFAULT_DB_ALIAS]), TARGET: config}
    )[TARGET]
    target = connections[TARGET]
    try:
        if target.introspection.table_names():
            raise MoveError("the PostgreSQL database is not empty: move only into a fresh one")
        _migrate(url)
        return _copy(source, target)
    finally:
        target.close()
        del connections[TARGET]
        del connections.settings[TARGET]


def _migrate(url: str) -> None:
    done = subprocess.run(  # noqa: S603 (argument list, no shell)
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "migrate", "--noinput"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise MoveError(f"migrate on the PostgreSQL database failed: {done.stderr[-1000:]}")


def _tables() -> list[type[models.Model]]:
    """One model per table: every installed model with a table of its own, M2M tables too."""
    found: dict[str, type[models.Model]] = {}
    every: list[type[models.Model]] = [
        *apps.get_models(include_auto_created=True),
        MigrationRecorder.Migration,
    ]
    for model in every:
        if model._meta.managed and not model._meta.proxy:
            found.setdefault(model._meta.db_table, model)
    return list(found.values())


def _copy(source: Any, target: Any) -> MoveReport:
    tables = _tables()
    names = {model._meta.db_table for model in tables}
    present = {t for t in source.introspection.table_names() if not t.startswith("sqlite_")}
    unknown = sorted(present - names - SQLITE_ONLY_TABLES)
    if unknown:
        # A table no model describes would be left behind without a word: refuse instead.
        raise MoveError(f"tables no installed model describes: {', '.join(unknown)}")
    tables = [model for model in tables if model._meta.db_table in present]
    rows = 0
    with transaction.atomic(using=source.alias), transaction.atomic(using=target.alias):
        quote = target.ops.quote_name
        with target.cursor() as cursor:
            # The rows migrate seeded (rules, groups, permissions) are replaced by this
            # installation's own, ids included. TRUNCATE fires no row trigger (audit, 0024).
            everything = ", ".join(quote(name) for name in target.introspection.table_names())
            cursor.execute(f"TRUNCATE {everything} RESTART IDENTITY CASCADE")
            for model in tables:
                copied = _copy_table(model, source, target, cursor)
                cursor.execute(f"SELECT count(*) FROM {quote(model._meta.db_table)}")  # noqa: S608
                if cursor.fetchone()[0] != copied:
                    raise MoveError(f"{model._meta.db_table}: the copy has a different count")
                rows += copied
            for statement in target.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(statement)
    return MoveReport(tables=len(tables), rows=rows)


def _copy_table(model: type[models.Model], source: Any, target: Any, cursor: Any) -> int:
    fields = list(model._meta.local_concrete_fields)
    # An encrypted field is read as the text it is stored as (no decryption) and written as it
    # came; every other field goes through Django's conversion from SQLite's storage to Python
    # and on to PostgreSQL's (booleans, datetimes, JSON, UUIDs).
    selected = [
        Cast(field.attname, output_field=models.TextField())
        if isinstance(field, EncryptedMixin)
        else field.attname
        for field in fields
    ]
    quote = target.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    query = model._base_manager.using(source.alias).order_by("pk").values_list(*selected)
    batch: list[list[Any]] = []
    copied = 0
    for row in query.iterator(chunk_size=BATCH):
        batch.append(
            [
                value
                if isinstance(field, EncryptedMixin)
                else field.get_db_prep_save(value, connection=target)
                for field, value in zip(fields, row, strict=True)
            ]
        )
        if len(batch) >= BATCH:
            cursor.executemany(insert, batch)
            copied += len(batch)
            batch = []
    if batch:
        cursor.executemany(insert, batch)
        copied += len(batch)
    return copied
