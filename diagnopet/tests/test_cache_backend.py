"""The Redis cache backend (diagnopet/cache.py): Django's, with one redis-py client per pool — same behaviour."""

import os
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.test import override_settings

from diagnopet.tests.test_healthz import REDIS, _redis_cache, needs_redis

pytestmark = needs_redis


@pytest.fixture
def redis_cache():
    with override_settings(CACHES=_redis_cache(REDIS)):
        cache = caches["default"]
        cache.clear()
        yield cache
        cache.clear()


def test_settings_choose_it_for_a_redis_url():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "CACHE_URL": REDIS, "DJANGO_SETTINGS_MODULE": "diagnopet.settings"}
    run = subprocess.run  # our own interpreter and code
    out = run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.strip() == "diagnopet.cache.RedisCache"


def test_it_behaves_like_djangos_and_reuses_its_client(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client("any-key") is client
    assert redis_cache._cache.get_client(write=True) is client  # one server: one pool

    assert redis_cache.get("missing", "default") == "default"
    redis_cache.set("answer", {"value": 42}, timeout=30)
    assert redis_cache.get("answer") == {"value": 42}
    assert redis_cache.add("answer", "other") is False
    assert redis_cache.add("fresh", 1) is True
    assert redis_cache.incr("fresh", 5) == 6
    redis_cache.set_many({"a": 1, "b": 2})
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    redis_cache.delete_many(["a", "b"])
    assert redis_cache.get_many(["a", "b"]) == {}
    assert redis_cache.touch("answer", 60) is True
    assert redis_cache.delete("answer") is True
    assert redis_cache.has_key("answer") is False
