"""What the clinic and each sample collector owe each other.

A collector earns a fee per visit (``CollectorFee``: a fixed amount and/or a commission on the visit's total, kept
as dated history like distance pricing), takes cash at the door (billing ``Payment`` rows they received), hands it
over at the desk (``CashHandover``, recorded by the clinic admin) and is paid (``CollectorPayout``). Nothing here is
ever edited or deleted once it counts: a mistake is put right by a new entry that ``corrects`` the wrong one (a
negative amount), so every statement can be read again exactly as it was.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from diagnopet.models import TimeStampedModel, money_field
from diagnopet.money import format_money


class CollectorFee(TimeStampedModel):
    """A collector's pay per visit from ``effective_from`` on, until a later row of theirs starts.

    Fee of a visit = ``fee_per_visit`` + ``commission_percent`` % of the visit's booking total, rounded half-up to
    paise; the row in force on the day the samples were collected applies. A row that is in force or past is
    history and read-only; a change is a new row with a later date.
    """

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fee_per_visit = money_field(default=0)
    commission_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="% of the visit's booking total (0–100)."
    )
    effective_from = models.DateField(db_index=True)
    notes = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["collector_id", "-effective_from", "-id"]
        verbose_name = "collector fee"
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_per_visit__gte=0),
                name="settlement_fee_non_negative",
                violation_error_message="The fee per visit cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(commission_percent__gte=0, commission_percent__lte=100),
                name="settlement_fee_commission_range",
                violation_error_message="The commission is from 0 to 100 %.",
            ),
            models.UniqueConstraint(fields=["collector", "effective_from"], name="settlement_fee_one_per_day"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.collector.name} · {format_money(self.fee_per_visit)} a visit"
            f" + {self.commission_percent.normalize():f}% from {self.effective_from:%d %b %Y}"
        )


class CashHandover(TimeStampedModel):
    """Cash a collector handed over at the desk, counted by the clinic admin who records it.

    A correction is a new row with a negative amount that names the row it corrects."""

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = money_field()
    handed_at = models.DateTimeField(db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(max_length=255, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")

    class Meta:
        ordering = ["-handed_at", "-id"]
        verbose_name = "cash hand-over"
        indexes = [models.Index(fields=["collector", "handed_at"], name="settlement_handover_coll_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount__lt=0, corrects__isnull=False),
                name="settlement_handover_amount_sign",
                violation_error_message="More than 0; a negative amount only corrects an earlier hand-over.",
            ),
        ]

    def __str__(self) -> str:
        handed = f"{timezone.localtime(self.handed_at):%d %b %Y}"
        return f"{self.collector.name} · {format_money(self.amount)} handed over {handed}"


class CollectorPayout(TimeStampedModel):
    """Money the clinic paid a collector (their fees), with how and the transfer's reference.

    A correction is a new row with a negative amount that names the row it corrects."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        UPI = "upi", "UPI"
        CHEQUE = "cheque", "Cheque"

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = money_field()
    method = models.CharField(max_length=20, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="Transfer, UPI or cheque reference.")
    paid_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(max_length=255, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = "collector payout"
        indexes = [models.Index(fields=["collector", "paid_at"], name="settlement_payout_coll_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount__lt=0, corrects__isnull=False),
                name="settlement_payout_amount_sign",
                violation_error_message="More than 0; a negative amount only corrects an earlier payout.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.collector.name} · {format_money(self.amount)} paid out ({self.get_method_display()})"
            f" {timezone.localtime(self.paid_at):%d %b %Y}"
        )


class CollectorStatement(User):
    """A collector, as the monthly statement pages list them (a proxy of the user: its own view permission opens
    the pages; a collector has it for their own statement only, the clinic admin for everyone's)."""

    class Meta:
        proxy = True
        verbose_name = "collector statement"
        verbose_name_plural = "collector statements"
