"""Scheduled jobs as catch-up jobs: a lost beat tick is made up by the next one.

Celery beat drops a tick it cannot publish (``Couldn't apply scheduled task`` while the broker is down). So each job
runs often (``CELERY_BEAT_SCHEDULE``) and handles everything that fell due since its last successful run, recorded
in the database (``ScheduledRun``); a failed run records nothing, and the next one starts from the same point.
Daily jobs keep their time of day (``SCHEDULED_DAILY_AT``): a run does the day's work once that time has passed
and no run has done it since. Every job is idempotent, so an overlap or a repeat changes nothing.
"""

import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from diagnopet.models import ScheduledRun

logger = logging.getLogger(__name__)
T = TypeVar("T")


def scheduled_run(name: str, job: Callable[[datetime.datetime | None, datetime.datetime], T], *, now=None) -> T:
    """Run ``job(since, now)`` (``since``: the last success, None before the first) and record ``now`` as the last
    success when it returns. The time recorded is the run's start: what falls due while it runs is the next run's."""
    now = now or timezone.now()
    since = ScheduledRun.objects.filter(name=name).values_list("last_success_at", flat=True).first()
    result = job(since, now)
    ScheduledRun.objects.update_or_create(name=name, defaults={"last_success_at": now})
    return result


def daily_due(name: str, *, since, now) -> datetime.datetime | None:
    """The most recent time of day ``SCHEDULED_DAILY_AT[name]`` (the clinic's time zone) at or before ``now`` when
    no run has succeeded since it (so the day's work is still to do), else None."""
    hour, minute = (int(part) for part in settings.SCHEDULED_DAILY_AT[name].split(":"))
    local = timezone.localtime(now)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due > local:
        due -= datetime.timedelta(days=1)
    due = timezone.make_aware(due.replace(tzinfo=None))  # the wall-clock time, whatever the offset that day
    if since is not None and since >= due:
        return None
    return due
