"""Reads of clinic data."""

from clinic.models import ClinicInfo
from diagnopet.errors import NotFound


def clinic_info_get() -> ClinicInfo:
    """The clinic's single row; 404 with a clear message while the back-office has not filled it in."""
    clinic = ClinicInfo.objects.first()
    if clinic is None:
        raise NotFound("The clinic's details have not been set up yet.", code="clinic_not_configured")
    return clinic
