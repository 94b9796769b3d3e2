"""Delivering in-app notifications to the customer's phone or inbox through pluggable backends.

SMS goes through ``settings.SMS_BACKEND`` (``accounts.sms``); WhatsApp through ``settings.WHATSAPP_BACKEND`` (same
interface, logs by default); email through Django's email backend. Sending is idempotent per notification: the row
is locked while it is sent and a sent notification is never sent again.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.locks import lock_notification
from accounts.models import Notification


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the task retries."""


def _send(notification: Notification) -> None:
    user = notification.user
    text = f"{notification.title}. {notification.body}".strip()
    channel = notification.channel
    if channel == Notification.Channel.SMS:
        import_string(settings.SMS_BACKEND)().send(user.phone, text)
    elif channel == Notification.Channel.WHATSAPP:
        import_string(settings.WHATSAPP_BACKEND)().send(user.phone, text)
    elif channel == Notification.Channel.EMAIL:
        send_mail(notification.title, notification.body, None, [user.email], fail_silently=False)


def notification_send(*, notification_id: int, final_attempt: bool = False) -> str:
    """Send one notification once. Returns its delivery status; raises ``DeliveryFailed`` to ask for a retry."""
    with transaction.atomic():
        notification = lock_notification(notification_id=notification_id)
        if notification is None or notification.delivery_status in (
            Notification.DeliveryStatus.SENT,
            Notification.DeliveryStatus.SKIPPED,
        ):
            return notification.delivery_status if notification else "missing"
        now = timezone.now()
        skip = notification.channel == Notification.Channel.IN_APP or (
            notification.channel == Notification.Channel.EMAIL and not notification.user.email
        )
        if skip or notification.user.anonymized_at or not notification.user.is_active:
            notification.delivery_status = Notification.DeliveryStatus.SKIPPED
            notification.save(update_fields=["delivery_status", "updated_at"])
            return notification.delivery_status
        notification.delivery_attempts += 1
        try:
            _send(notification)
        except Exception as exc:  # any provider error: record it, then retry or give up
            notification.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if final_attempt:
                notification.delivery_status = Notification.DeliveryStatus.FAILED
            notification.save(update_fields=["delivery_attempts", "last_error", "delivery_status", "updated_at"])
            if final_attempt:
                return notification.delivery_status
            failure = DeliveryFailed(notification.last_error)
        else:
            notification.delivery_status, notification.sent_at = Notification.DeliveryStatus.SENT, now
            notification.save(update_fields=["delivery_attempts", "delivery_status", "sent_at", "updated_at"])
            return notification.delivery_status
    # Raised outside the transaction so the attempt count and error are committed before the retry.
    raise failure
