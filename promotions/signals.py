"""Cache invalidation for the offers (with their applicable tests) that quotes read (not business logic: nothing
here changes data).

Connected when this module is imported; ``PromotionsConfig.ready()`` imports it.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import LabTest
from diagnopet.reference_cache import reference_invalidate
from promotions.models import Offer
from promotions.services import OFFERS_CACHE


@receiver(post_save, sender=Offer, dispatch_uid="promotions_cache_offer_saved")
@receiver(post_delete, sender=Offer, dispatch_uid="promotions_cache_offer_deleted")
# The admin saves the applicable tests after the offer row: a change of the tests alone sends only this one.
@receiver(m2m_changed, sender=Offer.applicable_tests.through, dispatch_uid="promotions_cache_offer_tests_changed")
# Deleting a test deletes its links to offers without an m2m signal (an offer limited to it would cover every test).
@receiver(post_delete, sender=LabTest, dispatch_uid="promotions_cache_labtest_deleted")
def offers_changed(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        reference_invalidate(OFFERS_CACHE)
