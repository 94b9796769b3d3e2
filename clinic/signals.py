"""Cache invalidation for the public clinic API (not business logic: nothing here changes data).

Connected when this module is imported; ``ClinicConfig.ready()`` imports it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from clinic.models import ClinicInfo
from diagnopet.api.caching import invalidate_cached_responses

CLINIC_CACHE = "clinic"


@receiver(post_save, sender=ClinicInfo, dispatch_uid="clinic_cache_info_saved")
@receiver(post_delete, sender=ClinicInfo, dispatch_uid="clinic_cache_info_deleted")
def clinic_info_changed(**kwargs) -> None:
    invalidate_cached_responses(CLINIC_CACHE)
