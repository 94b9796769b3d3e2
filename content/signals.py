"""Cache invalidation for the public content API (not business logic: nothing here changes data).

Every row a content answer is made of replaces the namespace's version when it is saved or deleted (after commit
too: see ``invalidate_cached_responses``): FAQs and their topics, announcements, testimonials, and what a
testimonial shows of its review, customer and pet. Saves of a customer or a pet that change nothing shown (a login
writes ``last_login`` only) leave the cache alone.

Connected when this module is imported; ``ContentConfig.ready()`` imports it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from content.models import Announcement, Faq, FaqTopic, Testimonial
from diagnopet.api.caching import invalidate_cached_responses
from pets.models import Pet
from reviews.models import Review

CONTENT_CACHE = "content"
# What a testimonial shows of its customer and pet, or decides by (an anonymised or closed account is not shown).
USER_SHOWN = frozenset({"full_name", "is_active"})
PET_SHOWN = frozenset({"species"})


@receiver(post_save, sender=FaqTopic, dispatch_uid="content_cache_faqtopic_saved")
@receiver(post_delete, sender=FaqTopic, dispatch_uid="content_cache_faqtopic_deleted")
@receiver(post_save, sender=Faq, dispatch_uid="content_cache_faq_saved")
@receiver(post_delete, sender=Faq, dispatch_uid="content_cache_faq_deleted")
@receiver(post_save, sender=Announcement, dispatch_uid="content_cache_announcement_saved")
@receiver(post_delete, sender=Announcement, dispatch_uid="content_cache_announcement_deleted")
@receiver(post_save, sender=Testimonial, dispatch_uid="content_cache_testimonial_saved")
@receiver(post_delete, sender=Testimonial, dispatch_uid="content_cache_testimonial_deleted")
@receiver(post_save, sender=Review, dispatch_uid="content_cache_review_saved")
@receiver(post_delete, sender=Review, dispatch_uid="content_cache_review_deleted")
def content_changed(**kwargs) -> None:
    invalidate_cached_responses(CONTENT_CACHE)


def _shown_fields_changed(update_fields, shown: frozenset[str]) -> bool:
    return update_fields is None or bool(shown & set(update_fields))


@receiver(post_save, sender=User, dispatch_uid="content_cache_user_saved")
def customer_changed(update_fields=None, **kwargs) -> None:
    if _shown_fields_changed(update_fields, USER_SHOWN):
        invalidate_cached_responses(CONTENT_CACHE)


@receiver(post_save, sender=Pet, dispatch_uid="content_cache_pet_saved")
def pet_changed(update_fields=None, **kwargs) -> None:
    if _shown_fields_changed(update_fields, PET_SHOWN):
        invalidate_cached_responses(CONTENT_CACHE)
