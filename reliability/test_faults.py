"""Faults, for real (nothing mocked), without touching the shared PostgreSQL or Redis services:

- the database unreachable (the connection pointed at a closed local port): API requests fail fast with 503 and a
  JSON body, /healthz is 503, nothing is half-written, and everything works again when it is back;
- the server's database connection killed (pg_terminate_backend) between requests: the next request reconnects;
- the broker down (a closed port): bookings still succeed, their notifications wait in the database, and once a
  broker answers again (Redis database 14) notifications_enqueue_pending() queues exactly the pending ones;
- the cache down (a closed port): reads answer 200 from the database (the public cache and the general rate limits
  step aside), a booking is 201 or a 503 with Retry-After that wrote nothing, the limits that guard passwords are a
  503 (never let through), /healthz is 200 "degraded" naming the cache.

Requests go through the WSGI application itself, so Django's request lifecycle (connection health checks at request
start, cleanup at the end) runs as in production. The slow fault (a worker killed mid-task) is in stress/.
"""

import base64
import json
import time
from contextlib import contextmanager
from decimal import Decimal
from io import BytesIO

import psycopg
import pytest
import redis
from django.db import connection
from django.test import Client, RequestFactory, override_settings

from accounts.models import NotificationDelivery
from accounts.notifications import notifications_enqueue_pending
from billing.models import BillingRecord
from bookings.models import Booking, BookingItem, CollectionSlot
from bookings.services.lifecycle import booking_assign_collector
from conftest import database_at
from diagnopet.celery import app as celery_app
from diagnopet.wsgi import application
from reliability.conftest import bearer, make_world

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_RETURNED = "redis://127.0.0.1:6379/14"


@pytest.fixture
def closed_port(refused_port):
    """A local TCP port that refuses connections (the root conftest's ``refused_port``)."""
    return refused_port


def wsgi(method: str, path: str, *, user=None, body=None, headers=None):
    """One request through the WSGI application: (status, headers, parsed JSON or raw bytes)."""
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    if user is not None:
        extra["HTTP_AUTHORIZATION"] = user if isinstance(user, str) else bearer(user)
    data = json.dumps(body).encode() if body is not None else b""
    environ = RequestFactory().generic(method, path, data, content_type="application/json", **extra).environ
    environ["wsgi.input"] = BytesIO(data)
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(response_headers)

    content = b"".join(application(environ, start_response))
    kind = captured["headers"].get("Content-Type", "")
    parsed = json.loads(content) if kind.startswith("application/json") and content else content
    return captured["status"], captured["headers"], parsed


def rows():
    return (
        Booking.objects.count(),
        BookingItem.objects.count(),
        BillingRecord.objects.count(),
        sum(CollectionSlot.objects.values_list("booked", flat=True)),
    )


def booking_body(world):
    return {
        "pet": world["pet"].id,
        "tests": [t.id for t in world["tests"]],
        "collection_type": "home",
        "address": world["address"].id,
        "slot": world["slot"].id,
    }


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", "/api/v1/catalog/tests/", None),
        ("GET", "/api/v1/bookings/", "customer"),
        ("POST", "/api/v1/bookings/", "customer"),
        ("GET", "/api/v1/staff/collections/", "collector"),
    ],
)
def test_database_down_is_a_fast_json_503_and_nothing_is_half_written(method, path, who, closed_port):
    world = make_world()
    before = rows()
    body = booking_body(world) if method == "POST" else None
    token = bearer(world[who]) if who else None  # made before the outage: issuing one writes a row
    with database_at("127.0.0.1", closed_port):
        started = time.monotonic()
        status, headers, payload = wsgi(method, path, user=token, body=body, headers={"Idempotency-Key": "outage-1"})
        elapsed = time.monotonic() - started
        health, _, health_body = wsgi("GET", "/healthz")
    assert status == 503, payload
    assert headers["Content-Type"].startswith("application/json")
    assert payload["code"] == "service_unavailable"
    assert payload["detail"]
    assert elapsed < 5
    assert health == 503
    assert health_body["database"] == "down"
    # Back: nothing was written during the outage, and the same request now works.
    assert rows() == before
    assert wsgi("GET", "/healthz")[0] == 200
    status, _, payload = wsgi(method, path, user=token, body=body, headers={"Idempotency-Key": "outage-1"})
    assert status == (201 if method == "POST" else 200), payload


@pytest.fixture
def fresh_connection_after():
    """Whatever happens, the test's flush at teardown gets a working connection."""
    yield
    connection.close()


@pytest.mark.usefixtures("fresh_connection_after")
def test_a_killed_database_connection_is_replaced_on_the_next_request():
    world = make_world()
    token = bearer(world["customer"])
    assert wsgi("GET", "/api/v1/me", user=token)[0] == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    settings = connection.settings_dict
    killer = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"], dbname="postgres"
    )
    with killer, killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True
    # CONN_HEALTH_CHECKS: the dead connection is noticed when the next request starts and replaced.
    status, _, payload = wsgi("GET", "/api/v1/me", user=token)
    assert status == 200, payload
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def _broker(url: str, eager: bool):
    """Point this process's Celery app at ``url`` (connection pools made earlier are dropped)."""
    celery_app.conf.update(broker_url=url, task_always_eager=eager)
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(closed_port):
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    _broker(f"redis://127.0.0.1:{closed_port}/0", eager=False)
    returned = redis.Redis.from_url(REDIS_RETURNED)
    try:
        returned.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379 to play the returned broker")
    returned.flushdb()
    try:
        yield returned
    finally:
        returned.flushdb()
        _broker(*saved)


def test_broker_down_bookings_succeed_and_notifications_are_queued_when_it_returns(broker_down):
    world = make_world()
    started = time.monotonic()
    status, _, booking = wsgi("POST", "/api/v1/bookings/", user=world["customer"], body=booking_body(world))
    assert status == 201, booking
    booked = Booking.objects.get(pk=booking["id"])
    booking_assign_collector(booking=booked, collector=world["collector"], by=world["admin"])
    assert time.monotonic() - started < 15
    pending = NotificationDelivery.objects.filter(notification__user=world["customer"], status="pending")
    assert pending.count() >= 1
    assert Booking.objects.get(pk=booking["id"]).total_amount == Decimal(booking["total"])

    # The broker is back (Redis db 14): the beat task's service queues every pending notification, once.
    _broker(REDIS_RETURNED, eager=False)
    queued = notifications_enqueue_pending(older_than_seconds=0)
    assert queued == NotificationDelivery.objects.filter(status="pending").count()
    assert broker_down.llen("celery") == queued
    messages = [json.loads(m) for m in broker_down.lrange("celery", 0, -1)]
    assert {m["headers"]["task"] for m in messages} == {"accounts.tasks.notification_delivery_send"}
    ids = sorted(json.loads(base64.b64decode(m["body"]))[0][0] for m in messages)
    assert ids == sorted(NotificationDelivery.objects.filter(status="pending").values_list("pk", flat=True))


def test_database_down_under_a_client_error_is_503(closed_port):
    """A request that would be a 400 (a bad query string) checks the account first: with the database down, that
    check's failure is the answer (503), not a 500."""
    world = make_world()
    token = bearer(world["customer"])
    with database_at("127.0.0.1", closed_port):
        status, _, payload = wsgi("GET", "/api/v1/bookings/?foo=1", user=token)
    assert status == 503, payload
    assert payload["code"] == "service_unavailable"
    assert wsgi("GET", "/api/v1/bookings/?foo=1", user=token)[0] == 400


@contextmanager
def cache_at(url: str):
    """The shared cache pointed at ``url`` inside the block, as settings build it from CACHE_URL."""
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    with override_settings(CACHE_URL=url, CACHES=caches):
        yield


def test_cache_down_reads_answer_from_the_database_and_writes_are_whole_or_503(closed_port):
    world = make_world()
    token = bearer(world["customer"])
    before = rows()
    started = time.monotonic()
    with cache_at(f"redis://127.0.0.1:{closed_port}/0"):
        catalog = wsgi("GET", "/api/v1/catalog/tests/")
        again = wsgi("GET", "/api/v1/catalog/tests/")
        bookings = wsgi("GET", "/api/v1/bookings/", user=token)
        created = wsgi("POST", "/api/v1/bookings/", user=token, body=booking_body(world))
        login = wsgi("POST", "/api/v1/auth/token", body={"username": world["customer"].phone, "password": "x"})
        admin_login = Client().post("/admin/login/", {"username": world["customer"].phone, "password": "x"})
        health = wsgi("GET", "/healthz")
    assert time.monotonic() - started < 15

    for status, _, payload in (catalog, again, bookings):
        assert status == 200, payload
    assert catalog[2]["count"] == again[2]["count"] >= len(world["tests"])
    assert bookings[2]["count"] == Booking.objects.filter(user=world["customer"]).count()
    status, headers, payload = created
    if status == 201:
        assert Booking.objects.filter(pk=payload["id"]).exists()
    else:
        assert status == 503, payload
        assert payload["code"] == "service_unavailable"
        assert int(headers["Retry-After"]) > 0
        assert rows() == before  # nothing half-written
    # Password guessing is not let through while its counters are unreachable.
    assert login[0] == 503, login[2]
    assert login[2]["code"] == "service_unavailable"
    assert admin_login.status_code == 200  # the login form again, saying so: not a 500
    assert b"unavailable for a moment" in admin_login.content
    assert health[0] == 200
    assert (health[2]["status"], health[2]["cache"], health[2]["database"]) == ("degraded", "down", "ok")
