"""Rate limits counted in fixed windows (diagnopet/api/throttling.py), through the API."""

import json
import os
import subprocess
import sys
import time

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
# Its own Redis database: the counters of these tests, and nothing else, are flushed there.
REDIS = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


BACKENDS = {
    # Counted with incr/add (any Django cache).
    "locmem": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    # Counted with one MULTI of SET NX EX and INCR on django-redis's connection, as in production.
    "redis": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS}},
}


@pytest.fixture(
    autouse=True,
    params=[
        "locmem",
        pytest.param("redis", marks=pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS}")),
    ],
)
def backend(request, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"})
    with override_settings(CACHES=BACKENDS[request.param]):
        cache.clear()
        yield request.param
        cache.clear()


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_800_000_000.0}  # the start of a minute window
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now["t"])
    return now


def test_a_user_over_the_rate_gets_429_until_the_window_ends(clock):
    client = client_for(UserFactory())

    statuses = [client.get(ME).status_code for _ in range(4)]
    clock["t"] += 20
    limited = client.get(ME)

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert limited["Retry-After"] == "40"
    clock["t"] += 40
    assert client.get(ME).status_code == 200  # a new window


def test_each_user_has_their_own_counter(clock):
    first, second = client_for(UserFactory()), client_for(UserFactory())
    for _ in range(3):
        first.get(ME)

    assert first.get(ME).status_code == 429
    assert second.get(ME).status_code == 200


def test_a_redis_counter_lives_one_window_from_its_first_count(clock, backend):
    if backend != "redis":
        pytest.skip("Redis only: how long the counter lives")
    client = client_for(UserFactory())
    server = redis.Redis.from_url(REDIS)
    client.get(ME)
    (key,) = server.keys("*throttle_user_*")
    first_ttl = server.pttl(key)
    time.sleep(1.1)  # real time: Redis counts the expiry
    client.get(ME)

    assert server.get(key) == b"2"
    # The window's 60 s and a second of slack, set by the first count; the second count did not push it back.
    assert 60_000 < first_ttl <= 61_000
    assert server.pttl(key) <= first_ttl - 1_000


def test_settings_build_django_redis_with_short_timeouts_for_a_redis_url(backend):
    if backend != "redis":
        pytest.skip("once is enough")
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES['default']))"
    env = {**os.environ, "CACHE_URL": REDIS, "DJANGO_SETTINGS_MODULE": "diagnopet.settings"}
    run = subprocess.run  # our own interpreter and code
    out = run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603

    built = json.loads(out)
    assert built["BACKEND"] == "django_redis.cache.RedisCache"  # get_redis_connection() counts the rate limits
    assert built["OPTIONS"] == {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
