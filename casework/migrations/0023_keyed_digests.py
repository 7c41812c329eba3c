"""Plain SHA-256 checksums go: uploads and drafts keep a keyed checksum (crypto.content_digest).

Rows are migrated in place: the stored SHA-256 is keyed with the newest BLIND_INDEX_KEYS key
(the new checksum is the HMAC of the content's SHA-256, so no file has to be read), then the
plain column is dropped. Audit events of earlier downloads lose the plain checksum they copied;
this runs before the audit table becomes append-only (0021).
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from casework.crypto import content_digest_of_sha256, reset_key_cache

    reset_key_cache()  # the keys of this process's settings, whatever a test set before
    for name in ("Attachment", "GeneratedDocument"):
        model = apps.get_model("casework", name)
        rows = model.objects.exclude(sha256="").only("pk", "sha256")
        for row in rows.iterator(chunk_size=500):
            try:
                digest = content_digest_of_sha256(row.sha256)
            except ValueError:  # not a hex SHA-256: nothing it could prove
                digest = ""
            model.objects.filter(pk=row.pk).update(digest=digest)
    event = apps.get_model("casework", "AuditEvent")
    for row in event.objects.filter(detail__has_key="sha256").iterator(chunk_size=500):
        detail = {key: value for key, value in row.detail.items() if key != "sha256"}
        event.objects.filter(pk=row.pk).update(detail=detail)


class Migration(migrations.Migration):
    dependencies = [("casework", "0022_reminder_stage_away_until")]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="digest",
            field=models.CharField(
                default="",
                editable=False,
                max_length=80,
                verbose_name="keyed checksum of the original",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="generateddocument",
            name="digest",
            field=models.CharField(
                blank=True, editable=False, max_length=80, verbose_name="keyed checksum"
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="attachment", name="sha256"),
        migrations.RemoveField(model_name="generateddocument", name="sha256"),
    ]
