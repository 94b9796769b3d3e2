"""Notifications: one row per event, delivered after commit on each chosen channel, each channel retried on failure
on its own, never undoing the business."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, NotificationDelivery
from accounts.notifications import notification_create, notifications_enqueue_pending
from accounts.sms import MemorySmsBackend
from accounts.tasks import notification_deliver
from accounts.tests.factories import UserFactory
from diagnopet.tests.system_settings_factories import SystemSettingsFactory

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


class DownWhatsAppBackend:
    """A WhatsApp provider that is down for good."""

    def send(self, phone, message):
        raise ConnectionError("whatsapp gateway down")


@pytest.fixture
def outbox(sms_outbox):
    return sms_outbox


def notify(user, key="booking:1:confirmed"):
    return notification_create(user=user, kind="booking_confirmed", title="Confirmed", body="See you", event_key=key)


def deliveries(notification) -> dict[str, tuple[str, int]]:
    return {d.channel: (d.status, d.attempts) for d in NotificationDelivery.objects.filter(notification=notification)}


def test_created_once_per_event_and_sent_after_commit(outbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user)
        again = notify(user)
        assert outbox == []  # nothing leaves before the commit
    assert first == again
    assert Notification.objects.filter(user=user).count() == 1
    assert deliveries(first) == {"sms": ("sent", 1)}  # a customer who chose nothing gets text messages
    assert [(m.phone, m.message) for m in outbox] == [(user.phone, "Confirmed. See you")]


def test_sent_once_on_each_chosen_channel(outbox, whatsapp_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="asha@example.com", notification_channels=["sms", "whatsapp", "email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user)  # the same event again: nothing more is sent
    assert deliveries(notification) == {"sms": ("sent", 1), "whatsapp": ("sent", 1), "email": ("sent", 1)}
    assert [(m.phone, m.message) for m in outbox] == [(user.phone, "Confirmed. See you")]
    assert [(m.phone, m.message) for m in whatsapp_outbox] == [(user.phone, "Confirmed. See you")]
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["asha@example.com"], "Confirmed", "See you")]


def test_only_the_chosen_channels(outbox, whatsapp_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="asha@example.com", notification_channels=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user)
    assert deliveries(notification) == {"email": ("sent", 1)}
    assert (outbox, whatsapp_outbox, len(mail.outbox)) == ([], [], 1)


def test_no_channel_means_in_app_only(outbox, whatsapp_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="asha@example.com", notification_channels=[])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(user)
    assert callbacks == []
    assert deliveries(notification) == {}
    assert user.notifications.get() == notification  # still in the inbox
    assert (outbox, whatsapp_outbox, mail.outbox) == ([], [], [])


def test_one_channel_down_does_not_lose_the_others(settings, outbox, django_capture_on_commit_callbacks):
    settings.WHATSAPP_BACKEND = f"{__name__}.DownWhatsAppBackend"
    user = UserFactory(email="asha@example.com", notification_channels=["sms", "whatsapp", "email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user)
    assert deliveries(notification) == {"sms": ("sent", 1), "whatsapp": ("failed", 6), "email": ("sent", 1)}
    whatsapp = notification.deliveries.get(channel="whatsapp")
    assert "whatsapp gateway down" in whatsapp.last_error
    assert whatsapp.sent_at is None
    assert len(outbox) == 1
    assert len(mail.outbox) == 1


def test_email_without_an_address_is_skipped(django_capture_on_commit_callbacks):
    user = UserFactory(email="asha@example.com", notification_channels=["email"])
    user.email = None  # removed by staff in the back-office after the customer chose email
    user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user)
    assert deliveries(notification) == {"email": ("skipped", 0)}
    assert mail.outbox == []


def test_a_channel_the_clinic_switched_off_is_skipped(outbox, whatsapp_outbox, django_capture_on_commit_callbacks):
    SystemSettingsFactory(whatsapp_enabled=False)  # system settings, changed at run time
    user = UserFactory(email="asha@example.com", notification_channels=["sms", "whatsapp", "email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user)
    assert deliveries(notification) == {"sms": ("sent", 1), "whatsapp": ("skipped", 0), "email": ("sent", 1)}
    assert "switched WhatsApp off" in notification.deliveries.get(channel="whatsapp").last_error
    assert whatsapp_outbox == []


def test_not_created_when_the_transaction_rolls_back(outbox, django_capture_on_commit_callbacks):
    user = UserFactory()

    @transaction.atomic
    def failing_booking():
        notify(user)
        raise RuntimeError("the booking failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_booking()
    assert Notification.objects.count() == 0
    assert NotificationDelivery.objects.count() == 0
    assert callbacks == []
    assert outbox == []


def test_failed_delivery_is_retried_and_keeps_the_row(settings, outbox, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.FlakySmsBackend"
    FlakySmsBackend.failures, FlakySmsBackend.calls = 2, 0
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(UserFactory())
    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert "gateway timeout" in delivery.last_error
    assert len(outbox) == 1


def test_gives_up_after_the_last_retry(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.FlakySmsBackend"
    FlakySmsBackend.failures, FlakySmsBackend.calls = 100, 0
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(UserFactory())
    assert deliveries(notification) == {"sms": ("failed", 6)}  # first try + 5 retries


def test_a_lost_task_is_made_up_by_the_sweep_once(outbox, whatsapp_outbox):
    """The task that makes the deliveries never ran (lost between the commit and the broker): the sweep makes and
    sends them, once, on the channels chosen when the notification was made."""
    user = UserFactory(notification_channels=["sms", "whatsapp"])
    notification = notify(user)  # on_commit callbacks never run in a plain test transaction
    user.notification_channels = ["email"]
    user.save(update_fields=["notification_channels"])
    assert deliveries(notification) == {}
    assert notifications_enqueue_pending(older_than_seconds=0) == 2
    assert notifications_enqueue_pending(older_than_seconds=0) == 0
    assert deliveries(notification) == {"sms": ("sent", 1), "whatsapp": ("sent", 1)}
    assert (len(outbox), len(whatsapp_outbox)) == (1, 1)


def test_broker_down_leaves_the_deliveries_pending_for_the_sweep(
    outbox, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis:6379")

    monkeypatch.setattr(notification_deliver, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(UserFactory())
    assert deliveries(notification) == {"sms": ("pending", 0)}
    assert notifications_enqueue_pending(older_than_seconds=3600) == 0  # not yet: the broker may be back soon
    monkeypatch.undo()
    assert notifications_enqueue_pending(older_than_seconds=0) == 1
    assert deliveries(notification) == {"sms": ("sent", 1)}
    assert len(outbox) == 1


def test_the_sweep_skips_in_app_only_and_stale_notifications(outbox):
    in_app = notify(UserFactory(notification_channels=[]))
    stale = notify(UserFactory(), key="booking:2:confirmed")
    Notification.objects.filter(pk=stale.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert notifications_enqueue_pending(older_than_seconds=0) == 0
    assert deliveries(in_app) == deliveries(stale) == {}
    assert outbox == []


def test_the_task_makes_and_sends_the_deliveries_once(outbox):
    notification = notify(UserFactory())
    assert notification_deliver(notification.pk) == 1
    assert notification_deliver(notification.pk) == 0
    assert len(outbox) == 1
