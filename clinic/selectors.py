"""Reads of clinic data."""

import datetime

from clinic.models import ClinicHoliday, ClinicInfo
from diagnopet.errors import NotFound
from diagnopet.reference_cache import reference_get, reference_key

CLINIC_INFO_CACHE = reference_key("clinic-info")
CLINIC_HOLIDAYS_CACHE = reference_key("clinic-holidays")


def clinic_info_get() -> ClinicInfo:
    """The clinic's single row; 404 with a clear message while the back-office has not filled it in."""
    clinic = ClinicInfo.objects.first()
    if clinic is None:
        raise NotFound("The clinic's details have not been set up yet.", code="clinic_not_configured")
    return clinic


def clinic_info_cached() -> ClinicInfo | None:
    """The clinic's single row (None before it is set up) from the shared cache, for reads on every quote and
    booking (coordinates, road factor, cancellation cutoff). ``clinic.signals`` invalidates it whenever the row is
    saved or deleted. The cache holds the row's values; each call gets its own instance."""
    row = reference_get(CLINIC_INFO_CACHE, lambda: ClinicInfo.objects.values().first())
    return None if row is None else ClinicInfo(**row)


def clinic_holidays_cached() -> frozenset[datetime.date]:
    """The days the clinic is closed all day (exceptions with special hours are open), from the shared cache, for the
    check on every quote and booking. ``clinic.signals`` invalidates it whenever a holiday is saved or deleted."""
    return reference_get(
        CLINIC_HOLIDAYS_CACHE,
        lambda: frozenset(ClinicHoliday.objects.filter(opens_at__isnull=True).values_list("date", flat=True)),
    )


Window = tuple[datetime.time, datetime.time]


def opening_windows(days: list[datetime.date]) -> dict[datetime.date, list[Window]]:
    """When the clinic is open on each of ``days``, as (opens, closes) windows in time order — two queries.

    A date exception (``ClinicHoliday``) wins: closed all day, or its own hours. Otherwise the weekday's windows
    (``OpeningHours``); a weekday without any is closed. While no weekly hours are set at all, every day runs from
    the clinic's opening to closing time. No clinic row yet: closed.
    """
    clinic = ClinicInfo.objects.first()
    if clinic is None:
        return {day: [] for day in days}
    weekly: dict[int, list[Window]] = {}
    for weekday, opens, closes in clinic.opening_hours.order_by("weekday", "opens_at").values_list(
        "weekday", "opens_at", "closes_at"
    ):
        weekly.setdefault(weekday, []).append((opens, closes))
    exceptions = {row.date: row for row in ClinicHoliday.objects.filter(date__in=days)}
    windows = {}
    for day in days:
        exception = exceptions.get(day)
        if exception is not None:
            windows[day] = [] if exception.is_closed else [(exception.opens_at, exception.closes_at)]
        elif weekly:
            windows[day] = weekly.get(day.weekday(), [])
        else:
            windows[day] = [(clinic.opening_time, clinic.closing_time)]
    return windows
