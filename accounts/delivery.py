"""Delivering in-app notifications to the customer's phone or inbox through pluggable backends.

Each notification has one ``NotificationDelivery`` per channel the customer chose (``User.notification_channels``),
sent by its own task: SMS through ``settings.SMS_BACKEND`` (``accounts.sms``), WhatsApp through
``settings.WHATSAPP_BACKEND`` (``accounts.whatsapp``), email through Django's email backend (``EMAIL_BACKEND``).
A channel that fails retries and fails alone; the others are sent all the same. Sending is idempotent per
delivery: the row is locked while it is sent and a sent (or skipped) delivery is never sent again.
"""

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.locks import lock_notification_delivery
from accounts.models import Notification, NotificationDelivery
from accounts.sms import get_sms_backend
from accounts.whatsapp import get_whatsapp_backend
from diagnopet.system_settings import system_settings

Channel, Status = NotificationDelivery.Channel, NotificationDelivery.Status


def channels_of(chosen) -> list[str]:
    """The channels of ``chosen`` (a user's ``notification_channels``) in a fixed order, unknown names left out."""
    return [c for c in Channel.values if c in (chosen or [])]


@transaction.atomic
def notification_deliveries_make(notification_id: int) -> list[int]:
    """The notification's deliveries, one per channel in its ``channels``, made once: a notification that has any
    keeps them, and the unique (notification, channel) index settles two makers at once. Returns the ids of its
    deliveries still pending (those to send)."""
    channels = Notification.objects.filter(pk=notification_id).values_list("channels", flat=True).first()
    deliveries = NotificationDelivery.objects.filter(notification_id=notification_id)
    if channels and not deliveries.exists():
        NotificationDelivery.objects.bulk_create(
            [NotificationDelivery(notification_id=notification_id, channel=c) for c in channels_of(channels)],
            ignore_conflicts=True,
        )
    return list(deliveries.filter(status=Status.PENDING).values_list("pk", flat=True))


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the task retries."""


def _send(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    user = notification.user
    text = f"{notification.title}. {notification.body}".strip()
    if delivery.channel == Channel.SMS:
        get_sms_backend().send(user.phone, text)
    elif delivery.channel == Channel.WHATSAPP:
        get_whatsapp_backend().send(user.phone, text)
    elif delivery.channel == Channel.EMAIL:
        # From DEFAULT_FROM_EMAIL (None); raises on an SMTP error so that the task retries.
        send_mail(notification.title, notification.body or notification.title, None, [user.email])
    else:  # pragma: no cover - the column's choices
        raise ValueError(f"Unknown channel {delivery.channel!r}")


def _skip_reason(delivery: NotificationDelivery) -> str:
    user = delivery.notification.user
    if user.anonymized_at or not user.is_active:
        return "The account is closed."
    if delivery.channel == Channel.EMAIL and not user.email:
        return "No email address."
    if not system_settings().channel_enabled(delivery.channel):
        return f"The clinic has switched {delivery.get_channel_display()} off (system settings)."
    return ""


def notification_send(*, delivery_id: int, final_attempt: bool = False) -> str:
    """Send one notification on one channel, once. Returns the delivery's status; raises ``DeliveryFailed`` to ask
    for a retry."""
    with transaction.atomic():
        delivery = lock_notification_delivery(delivery_id=delivery_id)
        if delivery is None:
            return "missing"
        if delivery.status in (Status.SENT, Status.SKIPPED):
            return delivery.status
        if reason := _skip_reason(delivery):
            delivery.status, delivery.last_error = Status.SKIPPED, reason
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return delivery.status
        delivery.attempts += 1
        try:
            _send(delivery)
        except Exception as exc:  # any provider error: record it, then retry or give up
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if final_attempt:
                delivery.status = Status.FAILED
            delivery.save(update_fields=["attempts", "last_error", "status", "updated_at"])
            if final_attempt:
                return delivery.status
            failure = DeliveryFailed(delivery.last_error)
        else:
            delivery.status, delivery.sent_at = Status.SENT, timezone.now()
            delivery.save(update_fields=["attempts", "status", "sent_at", "updated_at"])
            return delivery.status
    # Raised outside the transaction so the attempt count and error are committed before the retry.
    raise failure
