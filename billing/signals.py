"""Cache invalidation for the distance pricing that quotes read.

Connected when this module is imported; ``BillingConfig.ready()`` imports it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from billing.models import DistancePricingConfig
from billing.services import DISTANCE_PRICING_CACHE
from diagnopet.reference_cache import reference_invalidate


@receiver(post_save, sender=DistancePricingConfig, dispatch_uid="billing_cache_distance_pricing_saved")
@receiver(post_delete, sender=DistancePricingConfig, dispatch_uid="billing_cache_distance_pricing_deleted")
def distance_pricing_changed(**kwargs) -> None:
    reference_invalidate(DISTANCE_PRICING_CACHE)
