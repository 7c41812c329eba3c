"""The starting templates corrected per LEGAL.md §5 (addressee in the dative, legal name,
citations, requests per addressee): a new, unverified version of each one still carrying the
seeded text, and the missing templates inserted. Nothing existing is changed."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.rules.document_seed import revise_seeded_templates

    revise_seeded_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0030_office_addressees")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
