"""In-app notifications: one row per customer-visible event.

Delivery to SMS/WhatsApp/email happens asynchronously after commit (see ``accounts.tasks``), so a failed delivery
never rolls back the business change that caused it.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.tasks import notification_deliver


@transaction.atomic
def notification_create(
    *, user, kind: str, title: str, body: str = "", data: dict | None = None, event_key: str = ""
) -> Notification:
    """Create the notification for an event once: the same ``event_key`` for the same user returns the first row."""
    defaults = {"kind": kind, "title": title, "body": body, "data": data or {}}
    if event_key:
        notification, created = Notification.objects.get_or_create(user=user, event_key=event_key, defaults=defaults)
    else:
        notification, created = Notification.objects.create(user=user, **defaults), True
    if created:
        # robust: a broker outage must not turn a committed booking into an error; the row stays pending and
        # notifications_enqueue_pending() sends it later.
        transaction.on_commit(lambda: notification_deliver.delay(notification.pk), robust=True)
    return notification


def notifications_enqueue_pending(*, older_than_seconds: int = 300) -> int:
    """Queue delivery again for notifications still pending after a while (e.g. the broker was down)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            delivery_status=Notification.DeliveryStatus.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for notification_id in ids:
        notification_deliver.delay(notification_id)
    return len(ids)
