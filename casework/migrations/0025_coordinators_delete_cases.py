"""Coordinators may delete a case (a family's deletion request): give their group `delete_case`.

Frozen to this one permission, like 0012, so replaying it never applies a newer matrix.
"""

from django.db import migrations

GROUP, APP, CODENAME = "Coordinator", "casework", "delete_case"


def _permission(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions of models created earlier in the same run do not exist yet in a migration.
    app_config = apps.get_app_config(APP)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    return permission_model.objects.get(content_type__app_label=APP, codename=CODENAME)


def forwards(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(_permission(apps))


def backwards(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(_permission(apps))


class Migration(migrations.Migration):
    dependencies = [("casework", "0024_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
