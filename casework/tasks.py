"""Celery tasks: thin, take ids (never personal data), call services, safe to repeat."""

from celery import shared_task


@shared_task(name="casework.tasks.heartbeat")
def heartbeat(*, name: str = "beat") -> None:
    from casework.services.system import heartbeat_record  # local: services may queue tasks

    heartbeat_record(name=name)
