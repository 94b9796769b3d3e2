"""Collection slots: generated ahead from the clinic's hours, skipping holidays."""

import datetime

from django.db import transaction
from django.utils import timezone

from bookings.models import CollectionSlot
from clinic.models import ClinicHoliday, ClinicInfo
from diagnopet.errors import Conflict


@transaction.atomic
def slot_generate(*, start: datetime.date | None = None, days: int) -> int:
    """Create the collection windows for ``days`` days from ``start`` (default: tomorrow); returns how many were new.

    Windows run from opening to closing time in steps of the clinic's slot length, with its home and lab
    capacities. Holidays get none. Existing windows are left as they are, so running it twice changes nothing.
    """
    clinic = ClinicInfo.objects.first()
    if clinic is None:
        raise Conflict("Set up the clinic's information (hours) before generating slots.", code="clinic_not_configured")
    if days < 1:
        raise ValueError("days must be at least 1")
    start = start or timezone.localdate() + datetime.timedelta(days=1)
    dates = [start + datetime.timedelta(days=n) for n in range(days)]
    holidays = set(ClinicHoliday.objects.filter(date__in=dates).values_list("date", flat=True))
    step = datetime.timedelta(minutes=clinic.slot_minutes)
    slots = []
    for day in dates:
        if day in holidays:
            continue
        begin = datetime.datetime.combine(day, clinic.opening_time)
        close = datetime.datetime.combine(day, clinic.closing_time)
        while begin + step <= close:
            slots.append(
                CollectionSlot(
                    date=day,
                    start_time=begin.time(),
                    end_time=(begin + step).time(),
                    capacity=clinic.home_slot_capacity,
                    lab_capacity=clinic.lab_slot_capacity,
                )
            )
            begin += step
    before = CollectionSlot.objects.filter(date__in=dates).count()
    CollectionSlot.objects.bulk_create(slots, ignore_conflicts=True)
    return CollectionSlot.objects.filter(date__in=dates).count() - before
