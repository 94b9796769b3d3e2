"""``GET /healthz``: 200 when the database (and the cache and broker, when configured) answer; 503 when the database
does not; 200 "degraded" when the cache or the broker is down.

Failures are real, not mocked: the connection is pointed at a local port where nothing listens.
"""

import os
import time

import pytest
import redis
from django.test import override_settings

from conftest import database_at


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# transaction=True: the connection is not inside a test-wide transaction, so it can really be closed and opened
# against another port.
@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_while_the_database_is_unreachable_and_recovers(client, refused_port):
    with database_at("127.0.0.1", refused_port):
        down = client.get("/healthz")

    assert down.status_code == 503
    assert down.json()["status"] != "ok"
    # The real connection is back: the next request reconnects and answers.
    back = client.get("/healthz")
    assert back.status_code == 200
    assert back.json()["status"] == "ok"


# --- Cache and broker: a real Redis for "ok", a refused local port for "down" ------------------------------------

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason=f"no Redis reachable at {REDIS}")


def _redis_cache(url: str) -> dict:
    """CACHES as settings build them from CACHE_URL (Redis, 1 s socket timeouts)."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


def _get_healthz(client, **overrides):
    """GET /healthz with settings overridden for this request only (restored before the fixtures clean up), and the
    seconds it took. The media disk's free space is the machine's: its check is in reliability/test_storage_full.py."""
    started = time.monotonic()
    with override_settings(**{"MEDIA_MIN_FREE_MB": 0, **overrides}):
        response = client.get("/healthz")
    return response, time.monotonic() - started


def _parts(response) -> dict:
    """The answer without the free megabytes (a number that changes)."""
    body = response.json()
    assert isinstance(body.pop("media_free_mb"), int)
    return body


@pytest.mark.django_db
def test_healthz_reports_cache_and_broker_as_not_configured_when_unset(client):
    response, _ = _get_healthz(client, CACHE_URL="", CELERY_BROKER_URL="")

    assert response.status_code == 200
    assert _parts(response) == {
        "status": "ok",
        "database": "ok",
        "cache": "not_configured",
        "broker": "not_configured",
        "media": "ok",
    }


@needs_redis
@pytest.mark.django_db
def test_healthz_is_ok_when_database_cache_and_broker_answer(client):
    response, _ = _get_healthz(client, CACHE_URL=REDIS, CACHES=_redis_cache(REDIS), CELERY_BROKER_URL=REDIS)

    assert response.status_code == 200
    assert _parts(response) == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok", "media": "ok"}


@pytest.mark.django_db
def test_healthz_is_degraded_but_200_when_the_cache_is_down(client, refused_port):
    # Reads answer from the database without the cache (reliability/test_faults.py), so the instance stays in.
    dead = f"redis://127.0.0.1:{refused_port}/0"
    response, seconds = _get_healthz(client, CACHE_URL=dead, CACHES=_redis_cache(dead), CELERY_BROKER_URL="")

    assert response.status_code == 200
    assert _parts(response) == {
        "status": "degraded",
        "database": "ok",
        "cache": "down",
        "broker": "not_configured",
        "media": "ok",
    }
    assert seconds < 2


@needs_redis
@pytest.mark.django_db
def test_healthz_is_degraded_but_200_when_only_the_broker_is_down(client, refused_port):
    # Bookings still work: notifications are stored and re-sent by the beat task once the broker is back.
    dead = f"redis://127.0.0.1:{refused_port}/0"
    response, seconds = _get_healthz(client, CACHE_URL=REDIS, CACHES=_redis_cache(REDIS), CELERY_BROKER_URL=dead)

    assert response.status_code == 200
    assert _parts(response) == {"status": "degraded", "database": "ok", "cache": "ok", "broker": "down", "media": "ok"}
    assert seconds < 2


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_every_part_when_the_database_is_down_too(client, refused_port):
    with database_at("127.0.0.1", refused_port):
        response, _ = _get_healthz(client, CACHE_URL="", CELERY_BROKER_URL=f"redis://127.0.0.1:{refused_port}/0")

    assert response.status_code == 503
    assert _parts(response) == {
        "status": "unavailable",
        "database": "down",
        "cache": "not_configured",
        "broker": "down",
        "media": "ok",
    }
