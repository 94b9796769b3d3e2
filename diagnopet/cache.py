"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client()`` builds a new ``redis.Redis`` object for every cache operation, and
redis-py's constructor copies its table of ~200 response callbacks each time. A public API request does four to six
cache operations (throttle history, cached response, reference data), so that copying was about a quarter of the
time of a cached catalog page (cProfile, 2026-11-23). A ``Redis`` client holds no connection of its own (its pool
does) and is safe to share between threads, so one per pool is enough. Settings select this backend whenever
``CACHE_URL`` is a Redis URL.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_in_window(self, key, timeout, version=None) -> int:
        """Add 1 to the counter ``key`` and return it; a missing counter starts at 0 and lives ``timeout`` seconds
        from then. ``SET … NX EX`` and ``INCR`` in one ``MULTI`` (any Redis from 2.6.12): one round trip, where
        Django's ``incr`` makes two (``EXISTS``, then ``INCR``) and a missing key needs an ``add`` and a third. The
        counter is a plain integer, which ``get``/``incr`` read as usual."""
        key = self.make_and_validate_key(key, version=version)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        _created, count = pipeline.execute()
        return count
