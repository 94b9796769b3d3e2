"""Fixtures shared by every app's tests."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.sms import MemorySmsBackend
from accounts.tests.factories import UserFactory
from accounts.whatsapp import MemoryWhatsAppBackend


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploaded files and the anonymisation log go to a per-test folder, never into the working tree; passwords hash
    fast (tests only)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANONYMISATION_LOG = tmp_path / "var" / "anonymisations.jsonl"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rolled-back rows send no signals to invalidate it)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _throttle_clock(monkeypatch):
    """The rate limits count per fixed window (``diagnopet.api.throttling``): a test that sends a few requests across
    a window's end would see its count start again and fail once in a while. Their clock stands still, half a minute
    into a minute and half an hour into an hour; tests about windows move it themselves."""
    now = (time.time() // 3600) * 3600 + 1830
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now)


@pytest.fixture
def sms_outbox(settings) -> list:
    """Texts go to an in-memory outbox (standing in for the SMS provider) instead of the log."""
    settings.SMS_BACKEND = "accounts.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def whatsapp_outbox(settings) -> list:
    """WhatsApp messages go to an in-memory outbox (standing in for the provider) instead of the log. Email needs
    no fixture: pytest-django sends it to ``django.core.mail.outbox``."""
    settings.WHATSAPP_BACKEND = "accounts.whatsapp.MemoryWhatsAppBackend"
    MemoryWhatsAppBackend.outbox.clear()
    yield MemoryWhatsAppBackend.outbox
    MemoryWhatsAppBackend.outbox.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_user(db):
    """A superuser for admin_client (pytest-django's default has no valid phone number, our login id)."""
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def customer(db):
    return UserFactory()


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` with a real JWT access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def customer_client(customer) -> APIClient:
    return client_for(customer)


@pytest.fixture
def refused_port():
    """A local TCP port that refuses connections: bound (so nobody else takes it meanwhile) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def run_concurrently(calls):
    """Start every call at the same instant (a barrier), each on its own thread and database connection; return
    their results in order. For race tests with ``django_db(transaction=True)``."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@contextmanager
def database_at(host: str, port: int):
    """Reconnect the default connection to ``host:port`` inside the block (a real outage, not a mock); restore the
    real one afterwards. Use with ``django_db(transaction=True)`` so the connection can really be closed."""
    original = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=str(port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)
