"""/healthz answers ok (200), degraded (503: no broker, a late sweep) or unavailable (503: no
database), with no detail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthy_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def health_in_subprocess(**env_overrides: str) -> tuple[int, str]:
    code = (
        "import django; django.setup(); from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code); print(r.content.decode())"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", **env_overrides)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    status, body = done.stdout.split("\n", 1)
    return int(status), body


def test_unavailable_when_database_is_down():
    status, body = health_in_subprocess(DATABASE_URL="postgres://postgres@127.0.0.1:1/casework")
    assert status == 503
    assert body.strip() == "unavailable"  # which part failed is not told to the visitor


def test_degraded_when_broker_is_down():
    # Pages still work without Redis (the work waits in the database), but it is not OK.
    status, body = health_in_subprocess(REDIS_URL="redis://127.0.0.1:1/0")
    assert status == 503
    assert body.strip() == "degraded"
