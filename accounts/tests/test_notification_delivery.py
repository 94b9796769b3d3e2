"""Notifications: one row per event, delivered after commit, retried on failure, never undoing the business."""

import pytest
from django.db import transaction

from accounts.models import Notification
from accounts.notifications import notification_create
from accounts.sms import MemorySmsBackend
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class FlakySmsBackend:
    """A provider that fails the first ``failures`` sends (a stand-in for an unreachable SMS gateway)."""

    failures = 0
    calls = 0

    def send(self, phone, message):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise ConnectionError("gateway timeout")
        MemorySmsBackend().send(phone, message)


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "accounts.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def notify(user, key="booking:1:confirmed"):
    return notification_create(user=user, kind="booking_confirmed", title="Confirmed", body="See you", event_key=key)


def test_created_once_per_event_and_sent_after_commit(outbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user)
        again = notify(user)
        assert outbox == []  # nothing leaves before the commit
    assert first == again
    assert Notification.objects.filter(user=user).count() == 1
    first.refresh_from_db()
    assert (first.delivery_status, first.delivery_attempts) == ("sent", 1)
    assert [(m.phone, m.message) for m in outbox] == [(user.phone, "Confirmed. See you")]


def test_not_created_when_the_transaction_rolls_back(outbox, django_capture_on_commit_callbacks):
    user = UserFactory()

    @transaction.atomic
    def failing_booking():
        notify(user)
        raise RuntimeError("the booking failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_booking()
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert outbox == []


def test_failed_delivery_is_retried_and_keeps_the_row(settings, outbox, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.FlakySmsBackend"
    FlakySmsBackend.failures, FlakySmsBackend.calls = 2, 0
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(UserFactory())
    notification.refresh_from_db()
    assert (notification.delivery_status, notification.delivery_attempts) == ("sent", 3)
    assert "gateway timeout" in notification.last_error
    assert len(outbox) == 1


def test_gives_up_after_the_last_retry(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.FlakySmsBackend"
    FlakySmsBackend.failures, FlakySmsBackend.calls = 100, 0
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(UserFactory())
    notification.refresh_from_db()
    assert notification.delivery_status == "failed"
    assert notification.delivery_attempts == 6  # first try + 5 retries
