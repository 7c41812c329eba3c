"""A clock remembers the last reminder stage queued; a person may be away until a day.

Clocks already missed were reminded by the old sweep: the recent ones wait for their escalation,
older ones are done (escalating months-old history to coordinators on upgrade would be noise).
Open clocks start at "not yet": the sweep queues their stage again under the same keys, which
the reminder rows already written make a no-op.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def planner_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    # PostgreSQL multiplies the selectivities of `state` and `reminded_stage` as if independent;
    # they are not (missed clocks are mostly done). Their combined statistics let it see that
    # the sweep's candidate ranges are nearly empty and read them through the partial index.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS casework_deadline_state_stage (mcv, dependencies) "
            "ON state, reminded_stage FROM casework_deadline"
        )


def planner_statistics_drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS casework_deadline_state_stage")


def stages_from_history(apps, schema_editor):  # type: ignore[no-untyped-def]
    Deadline = apps.get_model("casework", "Deadline")
    recent = timezone.now() - timedelta(days=settings.ESCALATE_MISSED_DAYS)
    missed = Deadline.objects.filter(state="missed")
    missed.filter(due_at__gte=recent).update(reminded_stage="missed")
    missed.filter(due_at__lt=recent).update(reminded_stage="done")


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0021_dump_holds_no_credential'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='deadline',
            name='reminded_stage',
            field=models.CharField(blank=True, choices=[('', 'not yet'), ('week', 'a week before'), ('day', 'a day before'), ('missed', 'missed'), ('done', 'done')], default='', max_length=8, verbose_name='reminded'),
        ),
        migrations.AddField(
            model_name='staffprofile',
            name='away_until',
            field=models.DateField(blank=True, null=True, verbose_name='away until'),
        ),
        migrations.RunPython(stages_from_history, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(models.Case(models.When(state='open', then=models.F('due_at')), output_field=models.DateTimeField()), name='deadline_open_due'),
        ),
        migrations.RunPython(planner_statistics, planner_statistics_drop),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('state__in', ['open', 'missed']), models.Q(('reminded_stage', 'done'), _negated=True)), fields=['state', 'reminded_stage', 'due_at'], name='deadline_reminder_work'),
        ),
    ]
