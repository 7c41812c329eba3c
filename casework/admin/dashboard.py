"""The admin index's dashboard: the user's own numbers and, for coordinators, every team's.

They are aggregates over the whole case load, so they are kept for a minute in the shared cache
(Redis in production) and the page says when they were counted. A user's own numbers are dropped
from the cache when they change a filing through the admin, so their own work shows at once.
The cache only saves work: when Redis does not answer, the numbers are counted afresh (and the
cache is not asked again for CACHE_PAUSE_SECONDS), so the page never fails because of it.
Coordinators also see the staff emails that were given up (services/notifications.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from casework.roles import AnyUser, Role, has_role, is_coordinator
from casework.selectors import (
    TeamDashboardRow,
    dashboard_counts_for_user,
    dashboard_team_rows,
    last_sweep_at,
    notifications_given_up,
    reminders_of,
    staff_away_until,
)

DASHBOARD_SECONDS = 60
# After the cache failed once, this process counts without it for this long: a Redis that is
# down or unreachable costs one refused (or timed-out) call per pause, not one per page.
CACHE_PAUSE_SECONDS = 15.0
T = TypeVar("T")
logger = logging.getLogger(__name__)
# When the cache last failed, per cache location (a test's dead Redis pauses only that one).
_cache_failed_at: dict[str, float] = {}


def _key(*parts: object) -> str:
    # One Redis may serve several databases (test runs side by side): the name keeps them apart.
    database = connection.settings_dict["NAME"]
    return ":".join(["casework", "dashboard", "v1", str(database), *map(str, parts)])


def _cache_call(operation: Callable[[], T], default: T) -> T:
    """Ask the cache, or answer `default` while it is failing (see CACHE_PAUSE_SECONDS)."""
    where = str(settings.CACHES["default"].get("LOCATION", ""))
    if time.monotonic() - _cache_failed_at.get(where, -CACHE_PAUSE_SECONDS) < CACHE_PAUSE_SECONDS:
        return default
    try:
        return operation()
    except Exception:  # noqa: BLE001 - any cache failure (connection, timeout, protocol)
        _cache_failed_at[where] = time.monotonic()
        logger.warning("dashboard cache unavailable; counting without it")
        return default


def _cached(
    key: str, compute: Callable[[], T], seconds: int = DASHBOARD_SECONDS
) -> tuple[datetime, T]:
    hit = _cache_call(lambda: cache.get(key), None)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = (timezone.now(), compute())
    _cache_call(lambda: cache.set(key, value, seconds), None)
    return value


def dashboard_context(user: AnyUser) -> dict[str, Any]:
    """What the index template shows; nothing for staff without a case role."""
    if not (is_coordinator(user) or has_role(user, Role.CASEWORKER)):
        return {}
    teams: tuple[TeamDashboardRow, ...] = ()
    everyone: int | None = None
    counted_at = timezone.now()
    if is_coordinator(user):
        counted_at, teams = _cached(_key("teams"), lambda: dashboard_team_rows())
        # A coordinator sees every case, and every case has a team: the teams' sum is theirs.
        everyone = sum(row.counts.new_intakes for row in teams)
    mine_counted_at, mine = _cached(
        _key("user", user.pk), lambda: dashboard_counts_for_user(user=user, new_intakes=everyone)
    )
    counted_at = min(counted_at, mine_counted_at)
    swept = last_sweep_at()
    stale_after = timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)
    # Where the person's reminders go (never cached: it changes when they set an absence).
    away_until = staff_away_until(user)
    away = away_until is not None and away_until >= timezone.localdate()
    context: dict[str, Any] = {
        "dashboard": {"mine": mine, "teams": teams, "counted_at": counted_at},
        "reminder_reach": {
            "no_email": not getattr(user, "email", ""),
            "away_until": away_until if away else None,
            # Someone no email reaches reads their reminders here (their team is told too).
            "reminders": reminders_of(user) if not getattr(user, "email", "") else [],
        },
        "last_sweep_at": swept,
        "sweep_stale": swept is None or timezone.now() - swept > stale_after,
    }
    if is_coordinator(user):
        # Not cached: one indexed count, and a coordinator must see a give-up at once.
        given_up_count, given_up = notifications_given_up()
        context["given_up"] = {"count": given_up_count, "rows": given_up}
        context["statistics_link"] = True
    return context


def dashboard_forget(user: AnyUser | None = None) -> None:
    """Count again on the next view: this user's numbers, or (without a user) the teams'."""
    key = _key("user", user.pk) if user is not None else _key("teams")
    _cache_call(lambda: cache.delete(key), False)
