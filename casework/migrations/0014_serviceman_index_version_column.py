"""Give `index_version` its first column name back (`index_key_id`).

Code of the release before 0013 reads that column; keeping its name lets it run beside the new
code during a rolling deploy. Written as a step after 0013 because 0013 has already renamed the
column on databases that applied it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("casework", "0013_serviceman_index_version")]
    operations = [
        migrations.AlterField(
            model_name="serviceman",
            name="index_version",
            field=models.CharField(
                blank=True, db_column="index_key_id", editable=False, max_length=8
            ),
        )
    ]
