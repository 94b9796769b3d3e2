"""In-app notifications: one row per customer-visible event.

Delivery to SMS/WhatsApp/email happens asynchronously after commit (see ``accounts.tasks``), so a failed delivery
never rolls back the business change that caused it.
"""

from django.db import transaction

from accounts.models import Notification


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
        transaction.on_commit(lambda: _enqueue_delivery(notification.pk))
    return notification


def _enqueue_delivery(notification_id: int) -> None:
    try:
        from accounts.tasks import notification_deliver
    except ImportError:  # delivery backends not configured in this build: the in-app row is the message
        return
    notification_deliver.delay(notification_id)
