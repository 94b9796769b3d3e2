"""Periodic housekeeping of billing (scheduled by CELERY_BEAT_SCHEDULE): thin wrappers around services."""

import datetime

from celery import shared_task

from billing.services import category_totals_compact
from diagnopet.scheduling import scheduled_run


@shared_task(acks_late=True)
def category_totals_compact_task(now: datetime.datetime | None = None) -> int:
    # Folds every day's rows, however many runs were missed.
    return scheduled_run("compact-category-totals", lambda since, now: category_totals_compact(), now=now)
