"""A customer's inbox: marking notifications read."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User


@transaction.atomic(durable=True)
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read; reading it again keeps the first read time."""
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now, updated_at=now)
    notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


@transaction.atomic(durable=True)
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    now = timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)
