"""Insert the Military Ombudsman (office with its addressee line, its 10-day and 3-day rules,
its rungs of ladder D), the court's own term (KAS art. 226), the independent expertise office
(ladder B), and the missing RU/UA templates, all unverified. Only missing rows are inserted."""

from django.db import migrations


def forwards(apps, schema_editor):
    from casework.rules.document_seed import seed_document_templates
    from casework.rules.seed import seed_legal_additions

    seed_legal_additions(apps)
    seed_document_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("casework", "0035_vlk_outcomes_ombudsman_court_term")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
