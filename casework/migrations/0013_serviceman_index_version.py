"""The index marker now covers the given-name table as well as the key: renamed to say so.

Existing values no longer match any version, so the next re-index (the portal sweep, or
`rotate_keys`) recomputes every serviceman's indexes once.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("casework", "0012_caseworkers_hand_over_deadlines")]
    operations = [
        migrations.RenameField(
            model_name="serviceman", old_name="index_key_id", new_name="index_version"
        )
    ]
