"""Seed crisis lines (marked unverified until an organisation has called them) and let staff
read them; coordinators edit them.

The permissions are frozen here, not read from casework/roles.py (see 0008 and 0016). Only
numbers that are national emergency or well-known lines are seeded; every one stays
"unverified" on every page until somebody has checked it.
"""

from django.db import migrations

GRANTS = {
    "Caseworker": {"crisisline": ["view"]},
    "Coordinator": {"crisisline": ["view", "change", "add", "delete"]},
}
LINES = [
    ("RU", "Единый номер экстренных служб", "112", "24/7"),
    ("UA", "Єдиний номер екстрених служб", "112", "24/7"),
    ("UA", "Lifeline Ukraine (лінія запобігання самогубствам)", "7333", "24/7"),
]


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
    line_model = apps.get_model("casework", "CrisisLine")
    for jurisdiction, name, phone, hours in LINES:
        line_model.objects.get_or_create(
            jurisdiction=jurisdiction, name=name, defaults={"phone": phone, "hours": hours}
        )
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
    dependencies = [("casework", "0032_suicide_risk_protocol")]
    operations = [migrations.RunPython(forwards, backwards)]
