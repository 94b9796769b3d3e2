"""Periodic housekeeping of billing (scheduled by CELERY_BEAT_SCHEDULE): thin wrappers around services."""

from celery import shared_task

from billing.services import category_totals_rebuild


@shared_task(acks_late=True)
def category_totals_rebuild_task() -> int:
    # A whole rebuild each time: a missed tick leaves nothing behind for the next one to catch up on.
    return category_totals_rebuild()
