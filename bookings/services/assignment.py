"""The day's auto-assignment: what the preview showed, committed in one transaction — or nothing, if the day
changed since (``bookings.assignment`` makes the plan)."""

import datetime

from django.db import transaction

from bookings.assignment import PlannedVisit, auto_assign_plan, plan_fingerprint
from bookings.locks import lock_unassigned_of_day
from bookings.services.lifecycle import booking_assign_collector
from diagnopet.errors import Conflict

__all__ = ["day_auto_assign"]


@transaction.atomic
def day_auto_assign(*, day: datetime.date, by, previewed: str) -> list[PlannedVisit]:
    """Assign the unassigned home visits of ``day`` as planned, if the plan is still ``previewed``
    (``plan_fingerprint`` of the preview). The day's unassigned visits are locked first, then the plan is made
    again from the rows as they are: any difference (a visit booked, cancelled or assigned by hand, a collector's
    load, areas or days changed) refuses the whole run with 409 ``plan_changed``, so what is committed is exactly
    what was shown. Each assignment is recorded as automatic."""
    lock_unassigned_of_day(day=day)
    plan = auto_assign_plan(day)
    if plan_fingerprint(plan) != previewed:
        raise Conflict("The day changed since the preview; check the new plan.", code="plan_changed")
    for visit in plan:
        if visit.collector is not None:
            booking_assign_collector(booking=visit.booking, collector=visit.collector, by=by, automatic=True)
    return plan
