"""Collection slots: generated ahead from the clinic's weekly hours and date exceptions, with a buffer between
windows, a capacity per window and (optionally) per day."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from bookings.locks import lock_unused_slots
from bookings.models import Booking, CollectionDay, CollectionSlot
from clinic.locks import lock_clinic_info
from clinic.models import ClinicInfo
from clinic.selectors import Window, opening_windows
from diagnopet.errors import Conflict

__all__ = ["SlotRegeneration", "planned_windows", "slot_generate", "slot_regenerate"]


def _clinic(*, lock: bool = False) -> ClinicInfo:
    """The clinic's details; with ``lock``, its row held until the transaction ends, so that windows are made by one
    transaction at a time (two regenerations, or a generation and a regeneration, would both make the same window)."""
    clinic = lock_clinic_info() if lock else ClinicInfo.objects.first()
    if clinic is None:
        raise Conflict("Set up the clinic's information (hours) before generating slots.", code="clinic_not_configured")
    return clinic


def _dates(start: datetime.date | None, days: int) -> list[datetime.date]:
    if days < 1:
        raise ValueError("days must be at least 1")
    start = start or timezone.localdate() + datetime.timedelta(days=1)
    return [start + datetime.timedelta(days=n) for n in range(days)]


def planned_windows(day: datetime.date, opening: list[Window], clinic: ClinicInfo) -> Iterator[Window]:
    """The collection windows of one day: each opening window is cut into windows of the clinic's slot length, with
    its buffer left free between one and the next; a window that would run past closing time is not made."""
    step = datetime.timedelta(minutes=clinic.slot_minutes)
    gap = datetime.timedelta(minutes=clinic.slot_buffer_minutes)
    for opens, closes in opening:
        begin = datetime.datetime.combine(day, opens)
        close = datetime.datetime.combine(day, closes)
        while begin + step <= close:
            yield begin.time(), (begin + step).time()
            begin += step + gap


def _slot(day: datetime.date, window: Window, clinic: ClinicInfo) -> CollectionSlot:
    return CollectionSlot(
        date=day,
        start_time=window[0],
        end_time=window[1],
        capacity=clinic.home_slot_capacity,
        lab_capacity=clinic.lab_slot_capacity,
    )


def _days_set(dates: list[datetime.date], clinic: ClinicInfo) -> None:
    """The day rows of ``dates`` carry the clinic's daily caps (never below what is already booked that day)."""
    CollectionDay.objects.bulk_create(
        [
            CollectionDay(date=day, capacity=clinic.home_daily_capacity, lab_capacity=clinic.lab_daily_capacity)
            for day in dates
        ],
        ignore_conflicts=True,
    )
    rows = CollectionDay.objects.filter(date__in=dates)
    # Only the cap columns are written (the counters may move meanwhile); Greatest keeps booked ≤ capacity.
    rows.update(
        capacity=None if clinic.home_daily_capacity is None else Greatest(Value(clinic.home_daily_capacity), "booked"),
        lab_capacity=None
        if clinic.lab_daily_capacity is None
        else Greatest(Value(clinic.lab_daily_capacity), "lab_booked"),
    )


@transaction.atomic
def slot_generate(*, start: datetime.date | None = None, days: int) -> int:
    """Create the collection windows for ``days`` days from ``start`` (default: tomorrow); returns how many were new.

    Each day follows the clinic's hours (``clinic.selectors.opening_windows``: a date exception, else the weekday's
    windows), cut into windows of the slot length with the buffer between them, each with the clinic's home and lab
    capacities; the day gets the daily caps. A day that already has windows is left as it is (running it twice
    changes nothing; ``slot_regenerate`` applies changed hours to days nobody booked).
    """
    clinic = _clinic(lock=True)
    dates = _dates(start, days)
    done = set(CollectionSlot.objects.filter(date__in=dates).values_list("date", flat=True).distinct())
    todo = [day for day in dates if day not in done]
    if not todo:
        return 0
    slots = [
        _slot(day, window, clinic)
        for day, opening in opening_windows(todo).items()
        for window in planned_windows(day, opening, clinic)
    ]
    CollectionSlot.objects.bulk_create(slots, ignore_conflicts=True)
    _days_set(sorted({slot.date for slot in slots}), clinic)
    return CollectionSlot.objects.filter(date__in=todo).count()


@dataclass
class SlotRegeneration:
    """What ``slot_regenerate`` did: windows created and removed, and the windows kept because they have bookings
    (``closed``: kept but closed to new bookings, as they no longer fit the hours and hold no place)."""

    created: int = 0
    removed: int = 0
    kept: list[CollectionSlot] = field(default_factory=list)
    closed: list[CollectionSlot] = field(default_factory=list)


@transaction.atomic
def slot_regenerate(*, start: datetime.date | None = None, days: int) -> SlotRegeneration:
    """Apply the clinic's current hours to ``days`` days from ``start`` (default: tomorrow), in one transaction.

    Windows that have not started and that no booking ever used are deleted and made again from the hours. A window
    with a booking (any status: bookings keep their slot) is never touched; it is reported as kept. A kept window
    that no longer fits the hours and holds no place (only cancelled bookings) is closed to new bookings. New windows
    that would overlap a kept open one, or start when a kept one does, are not made. The days' caps follow the clinic's.
    """
    clinic = _clinic(lock=True)
    now = timezone.localtime()
    dates = [day for day in _dates(start, days) if day >= now.date()]
    result = SlotRegeneration()
    if not dates:
        return result
    in_range = CollectionSlot.objects.filter(date__in=dates).exclude(date=now.date(), start_time__lte=now.time())
    # Locked before they are deleted, so that a booking racing for one of them is either kept (it went first) or
    # refused as a 4xx (it came second): bookings.locks.lock_unused_slots.
    unused = lock_unused_slots(in_range)
    if unused:
        used = Exists(Booking.objects.filter(slot=OuterRef("pk")))
        result.removed, _ = CollectionSlot.objects.filter(~used, pk__in=unused, booked=0, lab_booked=0).delete()
    kept = list(in_range.order_by("date", "start_time"))
    plan = opening_windows(dates)
    by_day: dict[datetime.date, list[CollectionSlot]] = {}
    for slot in kept:
        by_day.setdefault(slot.date, []).append(slot)
    new = []
    for day in dates:
        windows = list(planned_windows(day, plan[day], clinic))
        if day == now.date():
            windows = [w for w in windows if w[0] > now.time()]
        taken, starts = [], set()
        for slot in by_day.get(day, []):
            fits = (slot.start_time, slot.end_time) in windows
            if not fits and slot.is_active and slot.booked == 0 and slot.lab_booked == 0:
                result.closed.append(slot)
            elif slot.is_active:
                taken.append(slot)
            result.kept.append(slot)
            starts.add(slot.start_time)
        # A new window may not overlap a kept open one, nor start when any kept one does (one window per start).
        new += [
            _slot(day, window, clinic)
            for window in windows
            if window[0] not in starts
            and not any(window[0] < slot.end_time and slot.start_time < window[1] for slot in taken)
        ]
    if result.closed:
        CollectionSlot.objects.filter(pk__in=[slot.pk for slot in result.closed]).update(
            is_active=False, updated_at=timezone.now()
        )
        for slot in result.closed:
            slot.is_active = False
    CollectionSlot.objects.bulk_create(new)
    result.created = len(new)
    _days_set(sorted({slot.date for slot in new} | set(by_day)), clinic)
    return result
