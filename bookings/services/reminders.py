"""Visit reminders as a catch-up job: the evening's reminders go out on the first run after their time.

``reminders_send`` (``bookings/services/operations.py``) reminds the visits of one day, once per booking (its
notification's ``event_key``). The beat task runs every 15 minutes; ``reminders_catch_up`` sends the day's reminders
when ``SCHEDULED_DAILY_AT["visit-reminders"]`` (18:00, the clinic's time) has passed and no run has sent them since
(``diagnopet/scheduling.py``), so reminders missed while the broker was down go out one beat interval after it is
back. Only while the visits are still tomorrow: once the visit day has begun, "tomorrow" reminders are not sent late.
"""

import datetime
import logging

from django.utils import timezone

from bookings.services.operations import reminders_send
from diagnopet.scheduling import daily_due

logger = logging.getLogger(__name__)

NOTHING = {"visit_reminders": 0, "overdue_items": 0, "staff_notified": 0}


def reminders_catch_up(since: datetime.datetime | None, now: datetime.datetime) -> dict[str, int]:
    due = daily_due("visit-reminders", since=since, now=now)
    if due is None:
        return dict(NOTHING)
    day = timezone.localtime(due).date()
    if day != timezone.localtime(now).date():
        logger.warning("Visit reminders of %s not sent: the visits of %s have begun", day, day.isoformat())
        return dict(NOTHING)
    return reminders_send(today=day)
