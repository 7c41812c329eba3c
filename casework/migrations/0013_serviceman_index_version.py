"""The index marker now covers the given-name table as well as the key: renamed to say so.

Only the model's name changes; the column keeps its name, so code still running the previous
release keeps working during a rolling deploy. Existing values match no new version, so the
portal sweep (or `rotate_keys`) re-indexes every serviceman once, in batches.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("casework", "0012_caseworkers_hand_over_deadlines")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="serviceman", old_name="index_key_id", new_name="index_version"
                ),
                migrations.AlterField(
                    model_name="serviceman",
                    name="index_version",
                    field=models.CharField(
                        blank=True, db_column="index_key_id", editable=False, max_length=8
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
