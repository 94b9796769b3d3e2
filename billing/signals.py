"""Cache invalidation for the distance pricing that quotes read, and the category totals following a test that
changes category (the billing service does the work; this only notices the change, from wherever it is saved).

Connected when this module is imported; ``BillingConfig.ready()`` imports it.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from billing.models import DistancePricingConfig
from billing.services import DISTANCE_PRICING_CACHE, category_totals_test_moved
from catalog.models import LabTest
from diagnopet.reference_cache import reference_invalidate


@receiver(post_save, sender=DistancePricingConfig, dispatch_uid="billing_cache_distance_pricing_saved")
@receiver(post_delete, sender=DistancePricingConfig, dispatch_uid="billing_cache_distance_pricing_deleted")
def distance_pricing_changed(**kwargs) -> None:
    reference_invalidate(DISTANCE_PRICING_CACHE)


@receiver(pre_save, sender=LabTest, dispatch_uid="billing_totals_test_category_before")
def labtest_category_before(instance, raw=False, **kwargs) -> None:
    """Remember a test's category before it is saved (admin, catalog import, …)."""
    if instance.pk and not raw:
        instance._category_before = LabTest.objects.filter(pk=instance.pk).values_list("category_id", flat=True).first()


@receiver(post_save, sender=LabTest, dispatch_uid="billing_totals_test_category_moved")
def labtest_category_moved(instance, created=False, raw=False, **kwargs) -> None:
    """A test moved to another category: the billing report's category totals follow it (same transaction)."""
    before = instance.__dict__.pop("_category_before", None)
    if created or raw or before is None or before == instance.category_id:
        return
    category_totals_test_moved(test_id=instance.pk, old_category_id=before, new_category_id=instance.category_id)
