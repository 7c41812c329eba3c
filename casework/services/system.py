"""Writes for operational records."""

from django.utils import timezone

from casework.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    """Record that periodic work `name` ran now; repeating it only moves the time."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
    return heartbeat
