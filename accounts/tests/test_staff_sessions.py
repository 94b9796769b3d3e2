"""Back-office sessions end after an idle time and at most a few hours after login, whatever the activity.

Time travel: the session's stored times (login, last activity) are moved back, as if that much time had passed.
"""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import staff_create
from accounts.sessions import LOGIN_AT, SEEN_AT
from conftest import client_for

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
LOGIN = reverse("admin:login")
MINUTE, HOUR = 60, 3600


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(staff_create(phone="+919800000101", full_name="Asha Rao", role=StaffRole.ADMIN))
    return client


def _back(client: Client, **seconds: int) -> None:
    """Move the session's stored times back: ``login`` and/or ``seen`` seconds earlier."""
    session = client.session
    for name, key in (("login", LOGIN_AT), ("seen", SEEN_AT)):
        if name in seconds:
            session[key] -= seconds[name]
    session.save()


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(LOGIN)


def test_an_active_session_within_its_limits_works(staff_client):
    _back(staff_client, login=11 * HOUR, seen=29 * MINUTE)

    assert staff_client.get(INDEX).status_code == 200
    # The request counted as activity: half an hour more from now.
    _back(staff_client, seen=29 * MINUTE)
    assert staff_client.get(INDEX).status_code == 200


def test_a_session_idle_past_the_limit_is_sent_to_the_login_page(staff_client):
    _back(staff_client, seen=31 * MINUTE)

    assert _sent_to_login(staff_client.get(INDEX))
    # Logged out for good: the session is gone, not just refused once.
    assert _sent_to_login(staff_client.get(INDEX))


def test_an_active_session_past_the_maximum_age_is_sent_to_the_login_page(staff_client):
    _back(staff_client, login=12 * HOUR + MINUTE)

    assert _sent_to_login(staff_client.get(INDEX))
    assert _sent_to_login(staff_client.get(INDEX))


def test_the_limits_come_from_the_settings(staff_client, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    settings.STAFF_SESSION_MAX_HOURS = 1
    _back(staff_client, login=59 * MINUTE, seen=4 * MINUTE)
    assert staff_client.get(INDEX).status_code == 200

    _back(staff_client, seen=6 * MINUTE)
    assert _sent_to_login(staff_client.get(INDEX))


def test_a_session_from_before_the_limits_is_sent_to_the_login_page(staff_client):
    # A session opened before this rule existed has no login time: it is ended, not given 12 more hours.
    session = staff_client.session
    del session[LOGIN_AT]
    session.save()

    assert _sent_to_login(staff_client.get(INDEX))


def test_the_stored_session_expires_after_the_idle_time(staff_client):
    staff_client.get(INDEX)

    session = Session.objects.get(session_key=staff_client.session.session_key)
    assert session.expire_date <= timezone.now() + datetime.timedelta(minutes=30)


def test_api_requests_open_no_session(customer):
    before = Session.objects.count()

    response = client_for(customer).get(reverse("accounts:me"))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == before
