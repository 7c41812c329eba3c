"""Seed authority offices, response rules, calendars and escalation ladders (missing rows only)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.rules.seed import seed_legal_data

    seed_legal_data(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_filings_portal")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
