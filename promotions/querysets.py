"""Read vocabulary for offers (no writes)."""

import datetime

from django.db import models


class OfferQuerySet(models.QuerySet):
    def active_on(self, date: datetime.date):
        """Offers switched on whose validity window (both ends inclusive) contains ``date``."""
        return self.filter(is_active=True, start_date__lte=date, end_date__gte=date)
