"""In-app notifications: one row per customer-visible event, sent on each channel the customer chose.

Delivery to SMS/WhatsApp/email happens asynchronously after commit (see ``accounts.tasks``), one task per channel,
so a failed delivery never rolls back the business change that caused it, nor holds back the other channels.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, NotificationDelivery
from accounts.tasks import notification_delivery_send


# No savepoint of its own: the caller's transaction (a booking, a cancellation) is the unit; an error here fails it.
@transaction.atomic(savepoint=False)
def notification_create(
    *,
    user,
    kind: str,
    title: str,
    body: str = "",
    data: dict | None = None,
    event_key: str = "",
    new_event: bool = False,
) -> Notification:
    """Create the notification for an event once: the same ``event_key`` for the same user returns the first row
    (and sends nothing again). ``new_event`` says the event cannot have been notified before (it is about a row
    this transaction created, e.g. a new booking): the row is inserted without looking for an earlier one, and
    the unique (user, event key) index still guards it.

    A new notification gets one delivery per channel in ``user.notification_channels`` as it is now (none: in-app
    only), each queued after commit. ``user`` is the row as loaded: the caller's own copy of the choice.
    """
    defaults = {"kind": kind, "title": title, "body": body, "data": data or {}}
    if event_key and not new_event:
        notification, created = Notification.objects.get_or_create(user=user, event_key=event_key, defaults=defaults)
    elif event_key:
        notification, created = Notification.objects.create(user=user, event_key=event_key, **defaults), True
    else:
        notification, created = Notification.objects.create(user=user, **defaults), True
    if created:
        channels = [c for c in NotificationDelivery.Channel.values if c in (user.notification_channels or [])]
        deliveries = NotificationDelivery.objects.bulk_create(
            NotificationDelivery(notification=notification, channel=channel) for channel in channels
        )
        for delivery in deliveries:
            # robust: a broker outage must not turn a committed booking into an error; the row stays pending and
            # notifications_enqueue_pending() sends it later.
            transaction.on_commit(lambda pk=delivery.pk: notification_delivery_send.delay(pk), robust=True)
    return notification


def notifications_enqueue_pending(*, older_than_seconds: int = 300) -> int:
    """Queue sending again for deliveries still pending after a while (e.g. the broker was down)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        NotificationDelivery.objects.filter(status=NotificationDelivery.Status.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    for delivery_id in ids:
        notification_delivery_send.delay(delivery_id)
    return len(ids)
