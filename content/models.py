"""What the app and the web site show besides the catalog: FAQs, announcements and testimonials."""

from django.db import models
from django.db.models import F, Q

from content.querysets import AnnouncementQuerySet, FaqTopicQuerySet, TestimonialQuerySet
from diagnopet.models import TimeStampedModel


class FaqTopic(TimeStampedModel):
    """A heading the questions are grouped under ("Home collection", "Reports")."""

    name = models.CharField(max_length=100, unique=True)
    display_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    is_published = models.BooleanField(default=True)

    objects = FaqTopicQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "name", "id"]
        verbose_name = "FAQ topic"

    def __str__(self) -> str:
        return self.name


class Faq(TimeStampedModel):
    topic = models.ForeignKey(FaqTopic, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField()
    display_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first in the topic.")
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic__display_order", "display_order", "id"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"

    def __str__(self) -> str:
        return self.question


class Announcement(TimeStampedModel):
    """A notice shown from ``starts_at`` until ``ends_at`` (a holiday closure, a festival offer)."""

    class Kind(models.TextChoices):
        NOTICE = "notice", "Notice"
        CLOSURE = "closure", "Closure"
        OFFER = "offer", "Offer"

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTICE)
    link = models.URLField(max_length=500, blank=True, help_text="Optional: where the announcement leads.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_published = models.BooleanField(default=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="content_announcement_window")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="content_announcement_ends_after_start",
                violation_error_message="The announcement must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Testimonial(TimeStampedModel):
    """A review staff chose to show. Shown only while its review has the customer's consent, with the customer's
    first name and the pet's species, nothing else about them."""

    __test__ = False  # not a pytest test class, whatever its name

    # Only a review its customer agreed to show, with something to show (the admin's picker and form check it; the
    # public list checks consent again, as a customer may withdraw it while the review is still editable).
    review = models.OneToOneField(
        "reviews.Review",
        on_delete=models.CASCADE,
        related_name="testimonial",
        limit_choices_to=Q(testimonial_consent=True) & ~Q(comment=""),
    )
    display_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    is_published = models.BooleanField(default=True)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "-id"]

    def __str__(self) -> str:
        return f"Testimonial · {self.review}"

    @property
    def first_name(self) -> str:
        """The customer's first name: all that is shown of who wrote it."""
        words = self.review.booking.user.full_name.split()
        return words[0] if words else "A customer"
