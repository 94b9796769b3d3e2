"""Cache invalidation for the public catalog API and the tests quotes price from (not business logic: nothing here
changes data).

Connected when this module is imported; ``CatalogConfig.ready()`` imports it.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import LabTest, PackageComponent, TestCategory, TestTag
from catalog.selectors import BOOKABLE_TESTS_CACHE, PACKAGE_COMPONENTS_CACHE
from diagnopet.api.caching import invalidate_cached_responses
from diagnopet.reference_cache import reference_invalidate

CATALOG_CACHE = "catalog"


@receiver(post_save, sender=LabTest, dispatch_uid="catalog_reference_labtest_saved")
@receiver(post_delete, sender=LabTest, dispatch_uid="catalog_reference_labtest_deleted")
# A category switched off takes its tests out of what can be booked.
@receiver(post_save, sender=TestCategory, dispatch_uid="catalog_reference_category_saved")
@receiver(post_delete, sender=TestCategory, dispatch_uid="catalog_reference_category_deleted")
@receiver(post_save, sender=PackageComponent, dispatch_uid="catalog_reference_component_saved")
@receiver(post_delete, sender=PackageComponent, dispatch_uid="catalog_reference_component_deleted")
def bookable_tests_changed(**kwargs) -> None:
    reference_invalidate(BOOKABLE_TESTS_CACHE)
    reference_invalidate(PACKAGE_COMPONENTS_CACHE)


@receiver(post_save, sender=LabTest, dispatch_uid="catalog_cache_labtest_saved")
@receiver(post_delete, sender=LabTest, dispatch_uid="catalog_cache_labtest_deleted")
@receiver(post_save, sender=PackageComponent, dispatch_uid="catalog_cache_component_saved")
@receiver(post_delete, sender=PackageComponent, dispatch_uid="catalog_cache_component_deleted")
@receiver(post_save, sender=TestCategory, dispatch_uid="catalog_cache_category_saved")
@receiver(post_delete, sender=TestCategory, dispatch_uid="catalog_cache_category_deleted")
@receiver(post_save, sender=TestTag, dispatch_uid="catalog_cache_tag_saved")
@receiver(post_delete, sender=TestTag, dispatch_uid="catalog_cache_tag_deleted")
def catalog_changed(**kwargs) -> None:
    invalidate_cached_responses(CATALOG_CACHE)


@receiver(m2m_changed, sender=LabTest.tags.through, dispatch_uid="catalog_cache_labtest_tags_changed")
def catalog_tags_changed(action: str, **kwargs) -> None:
    # pre_add/pre_remove/pre_clear come before the change; only the post_ half matters.
    if action.startswith("post_"):
        invalidate_cached_responses(CATALOG_CACHE)
