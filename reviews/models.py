"""A customer's rating of a completed visit (and of its collector), once per booking."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from diagnopet.models import TimeStampedModel
from reviews.querysets import ReviewQuerySet

RATING_MIN, RATING_MAX = 1, 5
# A review can be changed for this long after it was given, then it is locked.
REVIEW_EDIT_WINDOW = datetime.timedelta(days=7)
# A rating at or below this (the visit's or the collector's) is told to the clinic admins.
LOW_RATING = 2
COMMENT_MAX_LENGTH = 2000


class Review(TimeStampedModel):
    """One per booking, given by the booking's customer after it was completed.

    ``collector`` is the booking's collector when the review was given (home visits only): the collector rating is
    about that person, and the averages per collector group by it without a join through the booking.
    """

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="review")
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collector_reviews",
        limit_choices_to={"is_staff": True},
    )
    visit_rating = models.PositiveSmallIntegerField(help_text="The visit as a whole, 1 (poor) to 5 (excellent).")
    collector_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The sample collector, 1 to 5; home visits with a collector only."
    )
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    testimonial_consent = models.BooleanField(
        default=False, help_text="The customer agrees that the comment may be shown as a testimonial."
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["collector", "created_at"], name="reviews_review_collector_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_rating__gte=RATING_MIN, visit_rating__lte=RATING_MAX),
                name="reviews_review_visit_rating_range",
                violation_error_message="The visit rating is from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=Q(collector_rating__isnull=True)
                | Q(collector_rating__gte=RATING_MIN, collector_rating__lte=RATING_MAX),
                name="reviews_review_collector_rating_range",
                violation_error_message="The collector rating is from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=Q(collector_rating__isnull=True) | Q(collector__isnull=False),
                name="reviews_review_collector_rating_has_collector",
                violation_error_message="A collector rating needs the collector.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking.code} · {self.visit_rating}/5"

    @property
    def editable_until(self) -> datetime.datetime:
        return self.created_at + REVIEW_EDIT_WINDOW

    @property
    def is_low(self) -> bool:
        return self.visit_rating <= LOW_RATING or (
            self.collector_rating is not None and self.collector_rating <= LOW_RATING
        )


class CollectorRating(Review):
    """A collector's own average, shown to them in the back-office without the reviews behind it (a proxy: its own
    permission, given to the collector role, opens the page; reviews.view_review is not given to collectors)."""

    class Meta:
        proxy = True
        verbose_name = "my rating"
        verbose_name_plural = "my ratings"
