"""Shared model building blocks."""

import secrets
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Every table carries when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def default_currency() -> str:
    from django.conf import settings

    return settings.CURRENCY


class MoneyField(models.DecimalField):
    """A Decimal column that holds an amount of money, so that pages can tell it from a weight or a distance and
    write it as money (``diagnopet.admin_base.MoneyAdmin``). Stored, migrated and serialized as a DecimalField."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def money_field(**kwargs) -> models.DecimalField:
    """A money column: Decimal with 12 digits, 2 after the point (currency from settings.CURRENCY)."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return MoneyField(**kwargs)


def random_upload_path(folder: str, filename: str) -> str:
    """A random stored name that keeps only a short, safe extension of the original file name.

    The original name is kept in its own column for display; nothing of it reaches the file system
    except the extension, so path-traversal or script names cannot matter.
    """
    suffix = PurePath(filename).suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 6:
        suffix = ""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}{suffix}"


class ScheduledRun(models.Model):
    """When each scheduled job (``CELERY_BEAT_SCHEDULE``) last finished: a run handles what fell due since then, so a
    tick lost while the broker was down is made up by the next one (``diagnopet/scheduling.py``)."""

    name = models.CharField(max_length=100, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "scheduled run"

    def __str__(self) -> str:
        last = f"{timezone.localtime(self.last_success_at):%d %b %Y %H:%M}" if self.last_success_at else "never"
        return f"{self.name} (last success {last})"


# The environment's values of the run-time settings: the first row's defaults (read at call time).
def default_pending_hold_minutes() -> int:
    return settings.BOOKING_PENDING_HOLD_MINUTES


def default_prepayment_required() -> bool:
    return settings.HOME_VISIT_PREPAYMENT_REQUIRED


def default_prepayment_hold_minutes() -> int:
    return settings.PREPAYMENT_HOLD_MINUTES


def default_max_open_per_customer() -> int:
    return settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY


def default_max_open_per_pet() -> int:
    return settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY


class SystemSettings(TimeStampedModel):
    """The clinic-level settings operations change at run time, one row (``diagnopet.system_settings`` reads them
    through the shared cache; every change is in the audit trail). While there is no row, the environment's values
    (``BOOKING_*``, ``PREPAYMENT_*``, ``HOME_VISIT_PREPAYMENT_REQUIRED``) apply, and they fill the first row's form.

    Here rather than in ``clinic``: notification delivery (``accounts``, below ``clinic``) reads the channel switches.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    cancellation_cutoff_hours = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(168)],
        help_text="Customers may cancel or reschedule until this many hours before the visit's window starts.",
    )
    booking_pending_hold_minutes = models.PositiveIntegerField(
        default=default_pending_hold_minutes,
        validators=[MaxValueValidator(14 * 24 * 60)],
        help_text="An unconfirmed, unpaid booking is released after this many minutes (0: only when its window "
        "starts).",
    )
    home_visit_prepayment_required = models.BooleanField(
        "home visits need prepayment",
        default=default_prepayment_required,
        help_text="An unpaid home booking holds its place only for the prepayment hold below.",
    )
    prepayment_hold_minutes = models.PositiveIntegerField(
        default=default_prepayment_hold_minutes,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text="With prepayment required: minutes an unpaid home booking holds its place (5–1440).",
    )
    booking_max_open_per_customer_per_day = models.PositiveSmallIntegerField(
        "open bookings per customer per day",
        default=default_max_open_per_customer,
        validators=[MaxValueValidator(100)],
        help_text="Pending or confirmed bookings one customer may hold on one day (0: no limit).",
    )
    booking_max_open_per_pet_per_day = models.PositiveSmallIntegerField(
        "open bookings per pet per day",
        default=default_max_open_per_pet,
        validators=[MaxValueValidator(100)],
        help_text="Pending or confirmed bookings one pet may have on one day (0: no limit).",
    )
    sms_enabled = models.BooleanField("send SMS", default=True, help_text="Off: SMS deliveries are skipped.")
    whatsapp_enabled = models.BooleanField(
        "send WhatsApp", default=True, help_text="Off: WhatsApp deliveries are skipped."
    )
    email_enabled = models.BooleanField("send email", default=True, help_text="Off: email deliveries are skipped.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "system settings"
        verbose_name_plural = "system settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prepayment_hold_minutes__gte=5),
                name="diagnopet_settings_prepayment_hold_min",
                violation_error_message="Hold unpaid home visits for at least 5 minutes.",
            ),
        ]

    def __str__(self) -> str:
        return "System settings"

    def clean(self):
        if self.booking_max_open_per_customer_per_day and (
            self.booking_max_open_per_pet_per_day > self.booking_max_open_per_customer_per_day
        ):
            raise ValidationError(
                {"booking_max_open_per_pet_per_day": "A pet cannot have more open bookings than its owner may."}
            )
