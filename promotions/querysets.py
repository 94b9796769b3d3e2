"""Read vocabulary for offers (no writes)."""

import datetime

from django.db import models


class OfferQuerySet(models.QuerySet):
    def active_on(self, date: datetime.date):
        """Offers switched on whose validity window (both ends inclusive) contains ``date``."""
        return self.filter(is_active=True, start_date__lte=date, end_date__gte=date)


def offer_is_active_on(offer, date: datetime.date) -> bool:
    """``OfferQuerySet.active_on`` for one loaded offer (a cached row): the same rule, no query."""
    return offer.is_active and offer.start_date <= date <= offer.end_date
