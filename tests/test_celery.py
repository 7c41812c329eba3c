"""Celery runs through the real Redis broker with a real worker, with safe defaults."""

from __future__ import annotations

import pytest

from casework.models import Heartbeat
from casework.tasks import heartbeat
from config.celery import app
from tests.conftest import wait_for


def test_celery_configuration_is_safe():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.result_backend is None
    assert app.conf.task_ignore_result is True
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert app.conf.broker_url.startswith("redis://")


@pytest.mark.integration
def test_task_runs_through_redis_on_a_real_worker(celery_worker):
    heartbeat.apply_async(kwargs={"name": "integration"}, queue=celery_worker)
    assert wait_for(lambda: Heartbeat.objects.filter(name="integration").exists(), timeout=60)


@pytest.mark.django_db
def test_repeating_the_heartbeat_keeps_one_row():
    heartbeat.delay(name="beat")
    first = Heartbeat.objects.get(name="beat").at
    heartbeat.delay(name="beat")
    assert Heartbeat.objects.filter(name="beat").count() == 1
    assert Heartbeat.objects.get(name="beat").at >= first
