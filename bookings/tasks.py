"""Periodic housekeeping (scheduled by CELERY_BEAT_SCHEDULE): thin wrappers around services.

Each runs as a catch-up job (``diagnopet/scheduling.py``): it handles what fell due since its last successful run,
so a beat tick lost while the broker was down is made up by the next one. ``now`` is for tests and manual runs.
"""

import datetime

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from accounts.notifications import notifications_enqueue_pending
from bookings.services import slot_generate
from bookings.services.operations import bookings_expire_pending
from bookings.services.reminders import reminders_catch_up
from diagnopet.scheduling import daily_due, scheduled_run


@shared_task(acks_late=True)
def reminders_send_task(now: datetime.datetime | None = None) -> dict:
    return scheduled_run("visit-reminders", reminders_catch_up, now=now)


@shared_task(acks_late=True)
def slots_generate_task(days: int = 14, now: datetime.datetime | None = None) -> int:
    """Once a day (``SCHEDULED_DAILY_AT``): the windows of the next ``days`` days from tomorrow (existing ones are
    kept, so a day generated late is simply complete again)."""

    def generate(since, now) -> int:
        if daily_due("generate-slots", since=since, now=now) is None:
            return 0
        return slot_generate(start=timezone.localtime(now).date() + datetime.timedelta(days=1), days=days)

    return scheduled_run("generate-slots", generate, now=now)


@shared_task(acks_late=True)
def bookings_expire_pending_task(now: datetime.datetime | None = None) -> int:
    # Every pending booking past its slot start, however long ago: a missed run is made up by the next.
    return scheduled_run("expire-pending", lambda since, now: bookings_expire_pending(now=now), now=now)


@shared_task(acks_late=True)
def notifications_enqueue_pending_task(now: datetime.datetime | None = None) -> int:
    return scheduled_run("redeliver-notifications", lambda since, now: notifications_enqueue_pending(), now=now)


@shared_task(acks_late=True)
def tokens_flush_expired_task(now: datetime.datetime | None = None) -> None:
    def flush(since, now) -> None:
        if daily_due("flush-expired-tokens", since=since, now=now) is not None:
            call_command("flushexpiredtokens")

    return scheduled_run("flush-expired-tokens", flush, now=now)
