"""Notification delivery: thin Celery tasks around ``accounts.delivery``."""

from celery import shared_task

from accounts.delivery import DeliveryFailed, notification_send

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def notification_deliver(self, notification_id: int) -> str:
    """Send one notification through its channel. Failures retry with exponential backoff (2, 4, 8, … s); the
    business change that created the notification was committed before this ran and is never undone."""
    try:
        return notification_send(notification_id=notification_id, final_attempt=self.request.retries >= MAX_RETRIES)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
