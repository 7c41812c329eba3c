"""Collective complaint templates (RU, UA), unverified (casework/rules/collective_seed.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.rules.collective_seed import seed_collective_templates

    seed_collective_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0039_case_imports")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
