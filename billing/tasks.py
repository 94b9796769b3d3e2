"""Periodic housekeeping of billing (scheduled by CELERY_BEAT_SCHEDULE): thin wrappers around services."""

from celery import shared_task

from billing.services import category_totals_compact


@shared_task(acks_late=True)
def category_totals_compact_task() -> int:
    return category_totals_compact()
