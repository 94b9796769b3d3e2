"""What the public content endpoints serve."""

from django.db import models
from django.db.models import F, Prefetch
from django.utils import timezone


class FaqTopicQuerySet(models.QuerySet):
    def published(self):
        """Published topics with their published questions, in order (two queries)."""
        faq_model = self.model._meta.get_field("faqs").related_model
        faqs = (
            faq_model.objects.filter(is_published=True)
            .order_by("display_order", "id")
            .only("topic_id", "question", "answer")
        )
        return (
            self.filter(is_published=True, faqs__is_published=True)
            .distinct()
            .order_by("display_order", "name", "id")
            .prefetch_related(Prefetch("faqs", queryset=faqs, to_attr="published_faqs"))
        )


class AnnouncementQuerySet(models.QuerySet):
    def current(self, now=None):
        """Published and running now: started, not ended."""
        now = now or timezone.now()
        return self.filter(is_published=True, starts_at__lte=now, ends_at__gt=now)


class TestimonialQuerySet(models.QuerySet):
    def shown(self):
        """Published, consented to, from an active customer, with a comment; with what the public answer reads."""
        return (
            self.filter(
                is_published=True,
                review__testimonial_consent=True,
                review__booking__user__is_active=True,
                # What staff chose: a review changed since (its comment or rating, by the customer while it is
                # editable) waits until staff save the testimonial again.
                updated_at__gte=F("review__updated_at"),
            )
            .exclude(review__comment="")
            .select_related("review__booking__user", "review__booking__pet")
            .only(
                "id",
                "display_order",
                "review__visit_rating",
                "review__comment",
                "review__created_at",
                "review__booking__user__full_name",
                "review__booking__pet__species",
            )
            .order_by("display_order", "-id")
        )
