"""Create the four staff roles' groups with exactly the permissions in casework/roles.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_staff"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
