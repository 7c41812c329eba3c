"""Liveness checks behind /healthz: the database and the broker answer, the sweep is not late.

Three answers (README, Architecture): "ok"; "degraded" when the site serves every page but work
is late or slower (the broker does not answer, or the deadline sweep last ran more than
SWEEP_STALE_AFTER_SECONDS ago: nothing is lost, as pending work is in the database, but no
clock is being marked and no reminder sent); "unavailable" when the database does not answer.
"""

from __future__ import annotations

import logging
import os

import redis
from django.conf import settings
from django.db import connection

from casework.selectors import last_sweep_at, sweep_is_late

logger = logging.getLogger(__name__)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not healthy"; the reason is not shown
        return False


def sweep_is_recent() -> bool:
    """True unless a deadline sweep has run before and the last one is too old (a fresh install
    has no sweep yet and is healthy until beat's first run is due)."""
    try:
        return not sweep_is_late(last_sweep_at())
    except Exception:  # noqa: BLE001 - the database check reports this failure
        return False


def broker_answers() -> bool:
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            )
            return bool(client.ping())
        except redis.RedisError:
            return False
    folder = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return os.path.isdir(folder) and os.access(folder, os.W_OK)


OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"


def health_state() -> str:
    """OK, DEGRADED or UNAVAILABLE (see the module docstring); the failing part is logged."""
    if not database_answers():
        logger.warning("health: the database does not answer")
        return UNAVAILABLE
    broker, sweep = broker_answers(), sweep_is_recent()
    if not broker:
        logger.warning("health: the broker does not answer")
    if not sweep:
        logger.warning("health: the deadline sweep is late (check beat and the worker)")
    return OK if broker and sweep else DEGRADED
