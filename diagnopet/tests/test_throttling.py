"""Rate limits counted in fixed windows (diagnopet/api/throttling.py), through the API."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


@pytest.fixture(autouse=True)
def _three_per_minute(monkeypatch):
    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"})
    yield
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
