"""Counters for rate limits and lockouts: in Redis when present, in the database otherwise.

One interface (`hit`, `count`, `reset`, `allow`, `turn`, `purge_expired`) over both backends.
When Redis does not answer, the counters are kept in the database instead (and Redis is not
asked again for REDIS_PAUSE_SECONDS), so limits and lockouts still hold during an outage; each
store counts its own window, so an outage can at most restart a count.
A counter's key is a keyed hash of what it counts (a client, a reference), and a client is
itself a keyed, daily-salted hash of its address (of its /64 for IPv6; on the onion listener, of
the form or case it names): no counter, log or dump ever holds an address or a reference.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Protocol, TypeVar

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from casework.models import RateCounter
from casework.onion import arrived_by_onion

logger = logging.getLogger(__name__)

# After Redis failed once, this process counts in the database for this long: an unreachable
# Redis then costs one failed call per pause, not a timeout per request.
REDIS_PAUSE_SECONDS = 15.0
T = TypeVar("T")
# Starts every onion client's key (client_hash); an address's key is hex only.
ONION_CLIENT = "onion:"
# When Redis last failed, per URL (so a test pointing at a dead Redis pauses only that one).
_redis_failed_at: dict[str, float] = {}


def client_address(request: HttpRequest) -> str:
    """The client's address; only ever hashed.

    The peer, unless the peer is a trusted proxy (TRUSTED_PROXY_NETWORKS): then the
    X-Forwarded-For hop TRUSTED_PROXY_DEPTH from the right. A header from anyone else is
    ignored, or a client reaching gunicorn directly could be a new client on every request.
    """
    peer = str(request.META.get("REMOTE_ADDR", ""))
    depth: int = settings.TRUSTED_PROXY_DEPTH
    if depth > 0 and _is_trusted_proxy(peer, tuple(settings.TRUSTED_PROXY_NETWORKS)):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Our proxy appends the address it saw; anything further left was written by the client.
        if len(hops) >= depth:
            return hops[-depth]
    return peer


@cache
def _trusted_networks(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _is_trusted_proxy(peer: str, networks: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False  # not an address (a unix socket): nothing to trust
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _trusted_networks(networks))


def client_network(address: str) -> str:
    """What a client is counted as: an IPv4 address itself, an IPv6 address by its /64.

    One IPv6 subscriber usually holds a whole /64 and can pick a fresh address in it for every
    request, so counting single IPv6 addresses would let it slip every limit.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a misconfigured proxy): counted as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return address


def client_hash(request: HttpRequest, *, form_token: str = "", reference: str = "") -> str:
    """Who a request is counted as: a keyed hash, salted with today's date (UTC), of the client's
    network (client_network) — or, on the onion listener, of what the request names.

    Every onion client arrives from tor's address, so there an address would make all of them
    one client, and one person could use up everyone's limits. There the client is the form
    being sent (`form_token`, its submission token) or the case being opened or added to
    (`reference`); without either, the whole listener is one client. Those keys start with
    ONION_CLIENT so that `allow` also counts them against the listener's own ceilings.
    """
    day = timezone.now().date().isoformat()
    if arrived_by_onion(request):
        named = f"form\x00{form_token}" if form_token else f"case\x00{reference}"
        digest = salted_hmac(f"casework.onion-client.{day}", named).hexdigest()[:32]
        return ONION_CLIENT + digest
    network = client_network(client_address(request))
    return salted_hmac(f"casework.client.{day}", network).hexdigest()[:32]


def counter_key(scope: str, *parts: str) -> str:
    """The stored key of a counter: the scope in clear, what it counts only as a keyed hash."""
    digest = salted_hmac("casework.ratelimit", "\x00".join((scope, *parts))).hexdigest()[:40]
    return f"{scope[:30]}:{digest}"


class Counters(Protocol):
    def hit(self, key: str, window: int, amount: int = 1) -> int: ...
    def count(self, key: str) -> int: ...
    def reset(self, key: str) -> None: ...
    def turn(self, key: str, seconds: float) -> float: ...
    def purge_expired(self) -> int: ...


class RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix  # settings.RATE_LIMIT_KEY_PREFIX

    def hit(self, key: str, window: int, amount: int = 1) -> int:
        # SET NX EX then INCRBY in one MULTI: the window starts with the first event and the key
        # can never be left without an expiry (INCR alone on a just-expired key would do that).
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.prefix + key, 0, ex=window, nx=True)
        pipe.incrby(self.prefix + key, amount)
        _created, count = pipe.execute()
        return int(count)

    def count(self, key: str) -> int:
        value = self.client.get(self.prefix + key)
        return int(value) if value is not None else 0  # type: ignore[arg-type]

    def reset(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def turn(self, key: str, seconds: float) -> float:
        # SET NX PX takes the turn only if nobody holds it; the key's own expiry is "the next
        # turn is allowed at T", so PTTL is how long until then. One MULTI: no gap between.
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.prefix + key, 1, px=max(1, round(seconds * 1000)), nx=True)
        pipe.pttl(self.prefix + key)
        taken, left_ms = pipe.execute()
        return 0.0 if taken else max(int(left_ms), 1) / 1000

    def purge_expired(self) -> int:
        return 0  # Redis expires keys itself


# One statement, so two processes counting at once cannot lose an event; an expired row starts a
# new window in the same statement. PostgreSQL and SQLite both speak this (quoted identifiers).
_UPSERT = """
INSERT INTO "casework_ratecounter" ("key", "count", "expires_at") VALUES (%s, %s, %s)
ON CONFLICT ("key") DO UPDATE SET
  "count" = CASE WHEN "casework_ratecounter"."expires_at" <= %s
    THEN excluded."count" ELSE "casework_ratecounter"."count" + excluded."count" END,
  "expires_at" = CASE WHEN "casework_ratecounter"."expires_at" <= %s
    THEN excluded."expires_at" ELSE "casework_ratecounter"."expires_at" END
RETURNING "count"
"""


# A turn: the row is (re)written only when the previous turn has run out; RETURNING then says
# this caller has it. No row back means someone else holds the turn until its expires_at.
_TURN = """
INSERT INTO "casework_ratecounter" ("key", "count", "expires_at") VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET "count" = 1, "expires_at" = excluded."expires_at"
  WHERE "casework_ratecounter"."expires_at" <= %s
RETURNING "count"
"""


class DatabaseCounters:
    def hit(self, key: str, window: int, amount: int = 1) -> int:
        now = timezone.now()
        at = connection.ops.adapt_datetimefield_value(now)
        until = connection.ops.adapt_datetimefield_value(now + timedelta(seconds=window))
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [key, amount, until, at, at])
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def count(self, key: str) -> int:
        found = (
            RateCounter.objects.filter(key=key, expires_at__gt=timezone.now())
            .values_list("count", flat=True)
            .first()
        )
        return found or 0

    def reset(self, key: str) -> None:
        RateCounter.objects.filter(key=key).delete()

    def turn(self, key: str, seconds: float) -> float:
        now = timezone.now()
        at = connection.ops.adapt_datetimefield_value(now)
        until = connection.ops.adapt_datetimefield_value(now + timedelta(seconds=seconds))
        with connection.cursor() as cursor:
            cursor.execute(_TURN, [key, until, at])
            if cursor.fetchone() is not None:
                return 0.0
        held_until = RateCounter.objects.filter(key=key).values_list("expires_at", flat=True)
        left = (held_until.first() or now) - now
        return max(left.total_seconds(), 0.001)

    def purge_expired(self) -> int:
        deleted, _ = RateCounter.objects.filter(expires_at__lte=timezone.now()).delete()
        return deleted


@cache
def _redis_counters(url: str, prefix: str) -> RedisCounters:
    return RedisCounters(url, prefix)


def backend() -> Counters:
    """The configured store (ignoring an outage; see `_counted`)."""
    if settings.RATE_LIMIT_BACKEND == "redis":
        return _redis_counters(settings.REDIS_URL, settings.RATE_LIMIT_KEY_PREFIX)
    return DatabaseCounters()


def _counted(operation: Callable[[Counters], T]) -> T:
    """Run `operation` on the configured store, or on the database while Redis is failing."""
    if settings.RATE_LIMIT_BACKEND == "redis":
        url = settings.REDIS_URL
        failed_at = _redis_failed_at.get(url, -REDIS_PAUSE_SECONDS)
        if time.monotonic() - failed_at >= REDIS_PAUSE_SECONDS:
            try:
                return operation(_redis_counters(url, settings.RATE_LIMIT_KEY_PREFIX))
            except redis.RedisError:
                _redis_failed_at[url] = time.monotonic()
                logger.warning("rate-limit store unavailable; counting in the database")
    return operation(DatabaseCounters())


def hit(scope: str, *parts: str, window: int, amount: int = 1) -> int:
    """Count `amount` events; returns the number in the current window (these included).

    Counted in the database while Redis does not answer: a family is never turned away because
    Redis is down, and a lockout still holds.
    """
    key = counter_key(scope, *parts)
    return _counted(lambda counters: counters.hit(key, window, amount))


def count(scope: str, *parts: str) -> int:
    """Events in the current window, without counting one."""
    key = counter_key(scope, *parts)
    return _counted(lambda counters: counters.count(key))


def reset(scope: str, *parts: str) -> None:
    key = counter_key(scope, *parts)
    _counted(lambda counters: counters.reset(key))


def turn(scope: str, *parts: str, seconds: float) -> float:
    """Take the turn of what `parts` name for `seconds`: 0.0 when this caller has it, else the
    seconds until the next turn ("next attempt allowed at T"). Nobody waits in a worker: the
    caller answers at once with the time left.
    """
    key = counter_key(scope, *parts)
    return _counted(lambda counters: counters.turn(key, seconds))


def allow(scope: str, client: str, *, amount: int = 1) -> bool:
    """Count `amount` events (one request, or the files it brings) of `client` under
    settings.RATE_LIMITS[scope]; False once over. Nothing to count is always allowed."""
    if amount < 1:
        return True
    limit, window = settings.RATE_LIMITS[scope]
    if hit(scope, client, window=window, amount=amount) > limit:
        return False
    ceiling = settings.ONION_LISTENER_LIMITS.get(scope)
    if client.startswith(ONION_CLIENT) and ceiling is not None:
        # All onion clients together (client_hash): a fresh form per request is a new client.
        return hit(f"onion_{scope}", ONION_CLIENT, window=ceiling[1], amount=amount) <= ceiling[0]
    return True


def purge_expired() -> int:
    """Delete expired database counters (Redis expires its own; the database also holds the
    counters kept during a Redis outage)."""
    return DatabaseCounters().purge_expired()
