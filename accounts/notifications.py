"""In-app notifications: one row per customer-visible event, sent on each channel the customer chose.

The notification row is written in the caller's transaction; its deliveries (one row and one task per channel) are
made after commit by a worker (``accounts.tasks.notification_deliver``), so the request that caused it writes one
row, a failed delivery never rolls back the business change, and one channel never holds back another. Nothing is
lost on the way: when the broker cannot take the task the deliveries are written at once, pending, and
``notifications_enqueue_pending`` (every 5 minutes) sends pending deliveries and makes those of a recent
notification that has none yet.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.delivery import channels_of, notification_deliveries_make
from accounts.models import Notification, NotificationDelivery
from accounts.tasks import notification_deliver, notification_delivery_send

logger = logging.getLogger(__name__)

# How far back the sweep looks for notifications whose deliveries were never made (a task lost between the commit
# and the broker): older news is not worth a text message any more.
UNDELIVERED_HORIZON = datetime.timedelta(days=1)


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

    A new notification is sent on each channel in ``user.notification_channels`` as it is now (none: in-app only),
    kept in its ``channels``: after commit a worker makes a delivery per channel and sends each
    (``accounts.delivery.notification_deliveries_make``). ``user`` is the row as loaded: the caller's own copy.
    """
    channels = channels_of(user.notification_channels)
    defaults = {"kind": kind, "title": title, "body": body, "data": data or {}, "channels": channels}
    if event_key and not new_event:
        notification, created = Notification.objects.get_or_create(user=user, event_key=event_key, defaults=defaults)
    elif event_key:
        notification, created = Notification.objects.create(user=user, event_key=event_key, **defaults), True
    else:
        notification, created = Notification.objects.create(user=user, **defaults), True
    if created and channels:
        # robust: a failure here must not turn a committed booking into an error (the sweep catches up).
        transaction.on_commit(lambda pk=notification.pk: _deliveries_queue(pk), robust=True)
    return notification


def _deliveries_queue(notification_id: int) -> None:
    """After commit: a worker makes and sends the deliveries. A broker that cannot take the task gets them written
    here, pending, for ``notifications_enqueue_pending`` to send once it is back."""
    try:
        notification_deliver.delay(notification_id)
    except Exception:  # the broker's connection errors; an eager run (no broker) does not raise
        logger.warning("Notification %s: broker unavailable, deliveries left pending", notification_id, exc_info=True)
        notification_deliveries_make(notification_id)


def notifications_enqueue_pending(*, older_than_seconds: int = 300) -> int:
    """Queue sending again for deliveries still pending after a while (e.g. the broker was down), after making
    those of recent notifications that have none yet (their task was lost before a worker made them). Returns how
    many deliveries were queued."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    undelivered = (
        Notification.objects.filter(created_at__gte=now - UNDELIVERED_HORIZON, created_at__lt=cutoff)
        .exclude(channels=[])
        .filter(~Exists(NotificationDelivery.objects.filter(notification=OuterRef("pk"))))
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    made = [pk for notification_id in list(undelivered) for pk in notification_deliveries_make(notification_id)]
    pending = NotificationDelivery.objects.filter(status=NotificationDelivery.Status.PENDING, created_at__lt=cutoff)
    ids = list(dict.fromkeys([*made, *pending.order_by("created_at").values_list("pk", flat=True)[:1000]]))
    for delivery_id in ids:
        notification_delivery_send.delay(delivery_id)
    return len(ids)
