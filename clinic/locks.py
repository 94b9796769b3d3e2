"""Row locks of the clinic app — the only module here that calls select_for_update. The clinic's one row is locked
on its own (no transaction takes another lock after it)."""

from clinic.models import ClinicInfo


def lock_clinic_info() -> ClinicInfo | None:
    """The clinic's details, locked while they change (None before they are first saved)."""
    return ClinicInfo.objects.select_for_update().filter(singleton=True).first()
