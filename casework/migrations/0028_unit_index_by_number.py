"""Recompute every serviceman's unit hash from the unit's number (crypto.unit_skeleton): the
letters-only skeleton used before gave "в/ч 42038" and "в/ч 51111" one and the same hash."""

from django.db import migrations


def reindex_units(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casework.crypto import keyed_hash, unit_skeleton

    serviceman_model = apps.get_model("casework", "Serviceman")
    batch = []
    for man in serviceman_model.objects.only("pk", "unit_number").iterator(chunk_size=2000):
        unit = unit_skeleton(man.unit_number) or man.unit_number.strip()
        man.unit_index = keyed_hash("unit", unit) if unit else ""
        batch.append(man)
        if len(batch) >= 2000:
            serviceman_model.objects.bulk_update(batch, ["unit_index"])
            batch = []
    serviceman_model.objects.bulk_update(batch, ["unit_index"])


class Migration(migrations.Migration):
    dependencies = [("casework", "0027_notification_retry_by_time")]
    operations = [migrations.RunPython(reindex_units, migrations.RunPython.noop)]
