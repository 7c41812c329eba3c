"""Seed the document templates (missing codes only) and let staff use them.

The permissions are frozen here, not read from casework/roles.py (see 0008 and 0012):
caseworkers read templates (a draft is asked for from a filing they may act on);
coordinators also edit them.
"""

from django.db import migrations

GRANTS = {
    "Caseworker": {"documenttemplate": ["view"]},
    "Coordinator": {"documenttemplate": ["view", "change", "add"]},
}


def _permissions(apps, grants):
    from django.contrib.auth.management import create_permissions

    # Permissions of models created earlier in the same run do not exist yet in a migration.
    app_config = apps.get_app_config("casework")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
    return list(
        permission_model.objects.filter(
            content_type__app_label="casework", codename__in=codenames
        )
    )


def forwards(apps, schema_editor):
    from casework.rules.document_seed import seed_document_templates

    seed_document_templates(apps)
    group_model = apps.get_model("auth", "Group")
    for name, grants in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, grants))


def backwards(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name, grants in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, grants))


class Migration(migrations.Migration):
    dependencies = [("casework", "0015_document_templates")]
    operations = [migrations.RunPython(forwards, backwards)]
