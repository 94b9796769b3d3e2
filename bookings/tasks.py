"""Periodic housekeeping (scheduled by CELERY_BEAT_SCHEDULE): thin wrappers around services."""

from celery import shared_task
from django.core.management import call_command

from accounts.notifications import notifications_enqueue_pending
from bookings.services import slot_generate
from bookings.services.operations import bookings_expire_pending, reminders_send


@shared_task(acks_late=True)
def reminders_send_task() -> dict:
    return reminders_send()


@shared_task(acks_late=True)
def slots_generate_task(days: int = 14) -> int:
    return slot_generate(days=days)


@shared_task(acks_late=True)
def bookings_expire_pending_task() -> int:
    return bookings_expire_pending()


@shared_task(acks_late=True)
def notifications_enqueue_pending_task() -> int:
    return notifications_enqueue_pending()


@shared_task(acks_late=True)
def tokens_flush_expired_task() -> None:
    call_command("flushexpiredtokens")
