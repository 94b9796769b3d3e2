"""Closed customer accounts and when they are due for full anonymisation."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from diagnopet.models import TimeStampedModel


class AccountClosure(TimeStampedModel):
    """A customer closed their account (``POST me/close``): personal data that invoices do not need went at once;
    the rest (name, phone, pet names, printed on invoices and receipts) goes at ``anonymise_after``, the end of the
    retention period for billing records (``CLOSED_ACCOUNT_RETENTION_YEARS``, 8 by default)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="closure")
    closed_at = models.DateTimeField()
    anonymise_after = models.DateTimeField(db_index=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-closed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymise_after__gte=F("closed_at")),
                name="privacy_closure_anonymise_after_closing",
                violation_error_message="Anonymisation cannot come before the account was closed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.name} · account closed {timezone.localtime(self.closed_at):%d %b %Y}"
