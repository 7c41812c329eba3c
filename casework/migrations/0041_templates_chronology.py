"""Drafts print the chronology (the dated facts a caseworker marked for documents) where the
complaint to a prosecutor, the appeal to the command and the Ukrainian appeal recount the
circumstances: a new, unverified version of each one nobody has edited. Nothing existing changes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.rules.document_seed import revise_for_chronology

    revise_for_chronology(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0040_collective_complaint_templates")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
