"""Cache invalidation for the public clinic API and the clinic rows quotes read (its details, its holidays; not
business logic: nothing here changes data).

Connected when this module is imported; ``ClinicConfig.ready()`` imports it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from clinic.models import ClinicHoliday, ClinicInfo
from clinic.selectors import CLINIC_HOLIDAYS_CACHE, CLINIC_INFO_CACHE
from diagnopet.api.caching import invalidate_cached_responses
from diagnopet.reference_cache import reference_invalidate

CLINIC_CACHE = "clinic"


@receiver(post_save, sender=ClinicInfo, dispatch_uid="clinic_cache_info_saved")
@receiver(post_delete, sender=ClinicInfo, dispatch_uid="clinic_cache_info_deleted")
def clinic_info_changed(**kwargs) -> None:
    # The reference copy first: a response made between the two would otherwise read the old copy and be stored
    # under the new response version.
    reference_invalidate(CLINIC_INFO_CACHE)
    invalidate_cached_responses(CLINIC_CACHE)


@receiver(post_save, sender=ClinicHoliday, dispatch_uid="clinic_reference_holiday_saved")
@receiver(post_delete, sender=ClinicHoliday, dispatch_uid="clinic_reference_holiday_deleted")
def clinic_holidays_changed(**kwargs) -> None:
    reference_invalidate(CLINIC_HOLIDAYS_CACHE)
