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
    """The days the clinic is closed, from the shared cache, for the check on every quote and booking.
    ``clinic.signals`` invalidates it whenever a holiday is saved or deleted."""
    return reference_get(CLINIC_HOLIDAYS_CACHE, lambda: frozenset(ClinicHoliday.objects.values_list("date", flat=True)))
