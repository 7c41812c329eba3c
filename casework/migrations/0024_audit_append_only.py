"""Audit events are append-only in the database itself, not only in the admin.

A trigger refuses every UPDATE and DELETE of an audit row. The one exception is the retention
purge (casework/services/audit.py, `audit_events_purge`): on PostgreSQL it sets the
transaction-local `casework.audit_purge` to 'on' for its own DELETE; on SQLite, which has no
session settings, it inserts a row into `casework_audit_purge_permit` inside its transaction
and removes it before committing, so no other connection ever sees one. A staff member with a
history can no longer be deleted (the actor is PROTECTed): accounts are deactivated instead.

On SQLite, a later migration that alters the audit table rebuilds it and drops these triggers:
such a migration must create them again (bin/smoke-embedded checks that they refuse).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION casework_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('casework.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_auditevent_append_only
    BEFORE UPDATE OR DELETE ON casework_auditevent
    FOR EACH ROW EXECUTE FUNCTION casework_audit_append_only();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS casework_auditevent_append_only ON casework_auditevent;
DROP FUNCTION IF EXISTS casework_audit_append_only();
"""
SQLITE_FORWARD = [
    "CREATE TABLE casework_audit_purge_permit (id integer PRIMARY KEY)",
    """CREATE TRIGGER casework_auditevent_no_update BEFORE UPDATE ON casework_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER casework_auditevent_no_delete BEFORE DELETE ON casework_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM casework_audit_purge_permit)
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS casework_auditevent_no_update",
    "DROP TRIGGER IF EXISTS casework_auditevent_no_delete",
    "DROP TABLE IF EXISTS casework_audit_purge_permit",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("casework", "0023_keyed_digests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": [POSTGRESQL_BACKWARD], "sqlite": SQLITE_BACKWARD}),
        ),
    ]
