"""Caseworkers and coordinators upload proof (`add_attachment`), add follow-ups
(`add_deadline`) and keep dated facts (`view/add/change_casefact`).

Frozen to these permissions, like 0025, so replaying it never applies a newer matrix.
"""

from django.db import migrations

GROUPS = ("Caseworker", "Coordinator")
APP = "casework"
CODENAMES = ("add_attachment", "add_deadline", "view_casefact", "add_casefact", "change_casefact")


def _permissions(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions of models created earlier in the same run do not exist yet in a migration.
    app_config = apps.get_app_config(APP)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    return list(
        permission_model.objects.filter(content_type__app_label=APP, codename__in=CODENAMES)
    )


def forwards(apps, schema_editor):
    permissions = _permissions(apps)
    for name in GROUPS:
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def backwards(apps, schema_editor):
    permissions = _permissions(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("casework", "0037_proof_facts_follow_ups")]
    operations = [migrations.RunPython(forwards, backwards)]
