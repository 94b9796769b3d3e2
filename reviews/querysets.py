"""The read vocabulary of reviews: the averages staff and collectors see."""

from django.db import models
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth


class ReviewQuerySet(models.QuerySet):
    def averages(self) -> dict:
        """``{"reviews", "visit_average", "collector_reviews", "collector_average"}`` over these reviews, in one
        query (averages are None when there is nothing to average)."""
        return self.aggregate(
            reviews=Count("id"),
            visit_average=Avg("visit_rating"),
            collector_reviews=Count("id", filter=Q(collector_rating__isnull=False)),
            collector_average=Avg("collector_rating"),
        )

    def averages_by_collector(self):
        """One row per collector rated: ``collector_id``, ``collector__full_name``, ``collector__phone`` and the
        counts and averages of ``averages()``; one query."""
        return (
            self.filter(collector__isnull=False)
            .values("collector_id", "collector__full_name", "collector__phone")
            .annotate(
                reviews=Count("id"),
                visit_average=Avg("visit_rating"),
                collector_reviews=Count("id", filter=Q(collector_rating__isnull=False)),
                collector_average=Avg("collector_rating"),
            )
            .order_by("collector__full_name", "collector_id")
        )

    def averages_by_month(self):
        """One row per month of the reviews' dates (in the clinic's time zone), newest first; one query."""
        return (
            self.annotate(month=TruncMonth("created_at"))
            .values("month")
            .annotate(
                reviews=Count("id"),
                visit_average=Avg("visit_rating"),
                collector_reviews=Count("id", filter=Q(collector_rating__isnull=False)),
                collector_average=Avg("collector_rating"),
            )
            .order_by("-month")
        )
