"""Rate-limit counters: one interface over Redis and the database, keyed by hashes only."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from casework.models import RateCounter
from casework.services import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["redis", "database"])
def backend(request, settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMIT_BACKEND = request.param
    return request.param


def test_hits_count_up_within_a_window_and_reset_clears(backend):
    assert [ratelimit.hit("scope", "a", window=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.count("scope", "a") == 3
    assert ratelimit.count("scope", "b") == 0
    ratelimit.reset("scope", "a")
    assert ratelimit.count("scope", "a") == 0


def test_allow_refuses_once_over_the_limit(backend, settings):
    settings.RATE_LIMITS = {"intake": (2, 60)}
    assert [ratelimit.allow("intake", "client") for _ in range(3)] == [True, True, False]


def test_a_window_ends(backend):
    if backend == "redis":
        ratelimit.hit("scope", "a", window=1)
        time.sleep(1.1)
    else:
        ratelimit.hit("scope", "a", window=60)
        RateCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ratelimit.count("scope", "a") == 0
    assert ratelimit.hit("scope", "a", window=60) == 1  # a new window starts


def test_expired_database_counters_are_purged(settings):
    settings.RATE_LIMIT_BACKEND = "database"
    ratelimit.hit("scope", "old", window=60)
    ratelimit.hit("scope", "new", window=60)
    RateCounter.objects.filter(key=ratelimit.counter_key("scope", "old")).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert ratelimit.purge_expired() == 1
    assert RateCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hits_lose_no_event(backend):
    def hammer() -> None:
        for _ in range(25):
            ratelimit.hit("scope", "shared", window=60)
        connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ratelimit.count("scope", "shared") == 100


def test_keys_hold_no_address_or_reference(settings):
    settings.RATE_LIMIT_BACKEND = "database"
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    client = ratelimit.client_hash(request)
    ratelimit.hit("status_fail_pair", "K7M4-QX2P", client, window=60)
    key = RateCounter.objects.get().key
    assert "203.0.113.9" not in key and "K7M4" not in key and client not in key
    assert "203.0.113.9" not in client


def test_the_client_hash_changes_every_day(monkeypatch):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    today = ratelimit.client_hash(request)
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert ratelimit.client_hash(request) != today


def _hash_of(address: str) -> str:
    return ratelimit.client_hash(RequestFactory().get("/", REMOTE_ADDR=address))


def test_ipv6_clients_are_counted_by_their_64_prefix():
    # One subscriber can take any address in its /64: rotating inside it gains nothing.
    assert _hash_of("2001:db8:7:1::1") == _hash_of("2001:db8:7:1:9a3c:ff01:2b:77")
    assert _hash_of("2001:db8:7:1::1") == _hash_of("2001:DB8:7:1:0:0:0:1")
    assert _hash_of("2001:db8:7:1::1") != _hash_of("2001:db8:7:2::1")


def test_ipv4_clients_are_still_counted_by_their_own_address():
    assert _hash_of("203.0.113.9") != _hash_of("203.0.113.10")
    assert _hash_of("::ffff:203.0.113.9") == _hash_of("203.0.113.9")
    assert ratelimit.client_network("203.0.113.9") == "203.0.113.9"
    assert ratelimit.client_network("2001:db8:7:1:9a3c::77") == "2001:db8:7:1::/64"


def test_only_trusted_proxy_hops_are_believed(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="172.29.213.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4"
    )
    settings.TRUSTED_PROXY_DEPTH = 0
    assert ratelimit.client_address(request) == "172.29.213.2"
    settings.TRUSTED_PROXY_DEPTH = 1
    assert ratelimit.client_address(request) == "1.2.3.4"


def test_an_unreachable_redis_counts_in_the_database_so_limits_still_hold(settings):
    settings.RATE_LIMIT_BACKEND = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.RATE_LIMITS = {"intake": (2, 60)}
    assert [ratelimit.allow("intake", "client") for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("scope", "a", window=60) == 1
    assert ratelimit.count("scope", "a") == 1
    assert ratelimit.turn("turn", "a", seconds=30) == 0.0
    assert ratelimit.turn("turn", "a", seconds=30) > 29
    ratelimit.reset("scope", "a")
    assert ratelimit.count("scope", "a") == 0
    assert RateCounter.objects.count() == 2  # keyed hashes, as ever: the intake count, the turn
    # Expired ones are purged from the database even with Redis configured.
    RateCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ratelimit.purge_expired() == 2


def test_redis_keys_always_expire(settings):
    settings.RATE_LIMIT_BACKEND = "redis"
    ratelimit.hit("scope", "a", window=60)
    client = redis.Redis.from_url(settings.REDIS_URL)
    ttl = client.ttl(settings.RATE_LIMIT_KEY_PREFIX + ratelimit.counter_key("scope", "a"))
    assert 0 < ttl <= 60
