"""The seeded unit-commander offices no longer ask staff to type a unit number into their
(plaintext) name: drafts take the unit from the serviceman's encrypted record.

Only rows still carrying the exact seeded name are renamed; a row staff renamed is left alone.
"""

from django.db import migrations, models

RENAMED = {
    ("ru_unit_commander", "RU", "Командир войсковой части (указать номер)"): (
        "Командир войсковой части"
    ),
    ("ua_commander", "UA", "Командир військової частини (вказати)"): (
        "Командир військової частини"
    ),
}


def forwards(apps, schema_editor):
    office = apps.get_model("casework", "AuthorityOffice")
    for (kind, jurisdiction, old), new in RENAMED.items():
        office.objects.filter(kind=kind, jurisdiction=jurisdiction, name=old).update(name=new)


def backwards(apps, schema_editor):
    office = apps.get_model("casework", "AuthorityOffice")
    for (kind, jurisdiction, old), new in RENAMED.items():
        office.objects.filter(kind=kind, jurisdiction=jurisdiction, name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [("casework", "0025_coordinators_delete_cases")]

    operations = [
        migrations.AlterField(
            model_name="authorityoffice",
            name="name",
            field=models.CharField(
                help_text=(
                    "An institution, never a person's unit: for a unit commander leave the unit "
                    "number out, drafts take it from the serviceman's record."
                ),
                max_length=300,
                verbose_name="name",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
