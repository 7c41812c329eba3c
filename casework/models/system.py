"""Operational records: when periodic work last ran (read by /healthz and the dashboard)."""

from django.db import models


class Heartbeat(models.Model):
    SWEEP = "reminder_sweep"  # the deadline sweep's row (services/reminders.py writes it)

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
