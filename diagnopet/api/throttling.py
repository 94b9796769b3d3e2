"""DRF's rate limits, counted with one cache counter per client and window instead of a list of timestamps.

DRF's ``SimpleRateThrottle`` keeps, per client, the time of every request of the last period: each request reads
that list from the cache and writes it back, so its cost grows with the rate (600 floats pickled both ways at
600/min) and two concurrent requests can each write back a list without the other's entry (a lost update lets
requests through). ``CountingThrottle`` keeps one integer per client and fixed window (``<key>:<window number>``),
counted with the cache's atomic ``incr`` and created with ``add``; on Redis (django-redis) with ``SET NX EX`` and
``INCR`` in one ``MULTI`` on its ``get_redis_connection()``: one round trip, whatever the rate, and no lost updates
between instances (Django's ``incr`` makes two, ``EXISTS`` then ``INCR``, and a missing key needs an ``add`` too).

A fixed window lets a client send up to twice the rate across a window boundary (the end of one window, then the
start of the next); for abuse limits that is the usual trade (django-ratelimit counts the same way). ``Retry-After``
is the time left in the current window.

When the counter store (Redis) is down, the general limits (``anon``, ``user``, ``public``: load shaping) let the
request through and log it, so that reads that need only the database keep working during a cache outage; the
limits that guard secrets (``FAIL_CLOSED_SCOPES``: passwords and one-time codes) refuse instead, and the API
answers 503 ``service_unavailable`` with ``Retry-After`` (``diagnopet.errors``): a Redis outage must not open the
door to guessing.
"""

import logging

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# What a cache backend raises when its server cannot be reached (redis-py's errors; sockets' OSError).
CACHE_ERRORS = (RedisError, OSError)
# Scopes whose counters are a security control: without them the request is refused (503), not let through.
FAIL_CLOSED_SCOPES = frozenset({"auth", "otp", "admin_login"})


class CountingThrottle:
    """Mixin for a ``SimpleRateThrottle``: same rates, scopes and cache keys, counted in fixed windows."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        try:
            count = self._count(key)
        except CACHE_ERRORS as exc:
            if getattr(self, "scope", None) in FAIL_CLOSED_SCOPES:
                raise
            logger.warning("Rate limit %s not counted, the cache is unavailable: %r", self.scope, exc)
            return True
        return count <= self.num_requests

    def _count(self, key: str) -> int:
        # DRF's throttles count in the default cache (``self.cache`` is its proxy).
        if isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
            return _redis_count(self.cache.make_key(key), self.duration + 1)
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request (or its counter was evicted)
            # add() is atomic: of two first requests racing here, one creates the counter, the other counts on it.
            return 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)

    def wait(self) -> float:
        return max(self.window_ends - self.timer(), 0.0)


def _redis_count(key: str, timeout: int) -> int:
    """Add 1 to the counter ``key`` and return it; a missing counter starts at 0 and lives ``timeout`` seconds from
    then. A plain integer, which the cache's ``get`` and ``incr`` read as usual."""
    pipeline = get_redis_connection(DEFAULT_CACHE_ALIAS).pipeline(transaction=True)
    pipeline.set(key, 0, ex=timeout, nx=True)
    pipeline.incr(key)
    _created, count = pipeline.execute()
    return count


class AnonRateThrottle(CountingThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CountingThrottle, throttling.UserRateThrottle):
    pass
