"""Notification delivery: thin Celery tasks around ``accounts.delivery``."""

import datetime

from celery import shared_task

from accounts.delivery import DeliveryFailed, notification_deliveries_make, notification_send
from accounts.models import PhoneOTP, User
from accounts.sms import send_sms
from diagnopet.scheduling import daily_due, scheduled_run

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def notification_delivery_send(self, delivery_id: int) -> str:
    """Send one notification on one channel. Failures retry with exponential backoff (2, 4, 8, … s); the business
    change that created the notification was committed before this ran and is never undone, and the notification's
    other channels are separate tasks."""
    try:
        return notification_send(delivery_id=delivery_id, final_attempt=self.request.retries >= MAX_RETRIES)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


@shared_task(acks_late=True)
def notification_deliver(notification_id: int) -> int:
    """Make a new notification's deliveries (one per channel it is sent on) and queue each one's sending, after the
    commit that created it (``accounts.notifications``). Safe to run again: the deliveries are made once and only
    the pending ones are queued (a message from before deliveries were made here finds them made)."""
    ids = notification_deliveries_make(notification_id)
    for delivery_id in ids:
        notification_delivery_send.delay(delivery_id)
    return len(ids)


@shared_task(acks_late=True)
def otp_deliver_task(phone: str, message: str) -> bool:
    """Text a one-time code if ``phone`` belongs to an active account. The request that issued the code queues this
    for every phone without looking the account up, so its timing does not tell whether the phone is registered."""
    if not User.objects.filter(phone=phone, is_active=True).exists():
        return False
    return send_sms(phone=phone, message=message)


@shared_task(acks_late=True)
def otp_purge_task(older_than_hours: int = 24, now: datetime.datetime | None = None) -> int:
    """Once a day (``SCHEDULED_DAILY_AT``, a catch-up job: ``diagnopet/scheduling.py``), delete one-time codes older
    than a day (they are dead after minutes; the rows only feed the cooldown)."""

    def purge(since, now) -> int:
        if daily_due("purge-old-otps", since=since, now=now) is None:
            return 0
        deleted, _ = PhoneOTP.objects.filter(created_at__lt=now - datetime.timedelta(hours=older_than_hours)).delete()
        return deleted

    return scheduled_run("purge-old-otps", purge, now=now)
