"""Re-sync the role groups: caseworkers may now hand a deadline to a colleague."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0011_review_tokens")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
