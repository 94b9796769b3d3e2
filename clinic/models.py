from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts.phone import validate_e164
from diagnopet.models import TimeStampedModel


class ClinicInfo(TimeStampedModel):
    """The clinic's details. Exactly one row may exist (enforced by the database)."""

    # Always True and unique: a second row cannot be inserted.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=150)
    whatsapp_number = models.CharField(max_length=16, validators=[validate_e164], help_text="E.164, e.g. +919876543210")
    phone = models.CharField(max_length=16, blank=True, validators=[validate_e164])
    email = models.EmailField(blank=True)
    address = models.TextField()
    google_maps_link = models.URLField(max_length=500, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    opening_time = models.TimeField()
    closing_time = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=60, help_text="Length of a collection window.")
    home_slot_capacity = models.PositiveSmallIntegerField(default=4, help_text="Home visits per window.")
    lab_slot_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Lab visits per window; empty means no limit."
    )
    slot_buffer_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Minutes left free between one collection window and the next (travel, breaks)."
    )
    home_daily_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Home visits per day over all windows; empty means only the windows limit."
    )
    lab_daily_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Lab visits per day over all windows; empty means only the windows limit."
    )
    road_factor = models.DecimalField(
        max_digits=4, decimal_places=2, default=1.30, help_text="Straight-line distance × this = road distance."
    )
    # On invoices (billing/documents.py). Prices include the tax: a rate above 0 shows the taxable value and the tax
    # within the total; 0 (the default) shows no tax lines.
    gstin = models.CharField("GSTIN", max_length=15, blank=True, help_text="Printed on invoices when set.")
    hsn_sac_code = models.CharField("HSN/SAC code", max_length=8, blank=True, help_text="Printed on invoices when set.")
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text="GST % included in prices; 0 = no tax lines on invoices.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "clinic info"
        verbose_name_plural = "clinic info"
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True),
                name="clinic_clinicinfo_single_row",
                violation_error_message="There is only one clinic information row.",
            ),
            models.CheckConstraint(
                condition=Q(opening_time__lt=F("closing_time")),
                name="clinic_clinicinfo_opens_before_closing",
                violation_error_message="The clinic must open before it closes.",
            ),
            models.CheckConstraint(
                condition=Q(road_factor__gte=1),
                name="clinic_clinicinfo_road_factor_min_1",
                violation_error_message="The road factor must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gt=0),
                name="clinic_clinicinfo_slot_minutes_positive",
                violation_error_message="Slot minutes must be more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=100),
                name="clinic_clinicinfo_tax_rate_range",
                violation_error_message="The tax rate must be from 0 to below 100 %.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def whatsapp_link(self) -> str:
        digits = "".join(ch for ch in self.whatsapp_number if ch.isdigit())
        return f"https://wa.me/{digits}" if digits else ""


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(TimeStampedModel):
    """One opening window of a weekday (a day may have several, e.g. 08:00–13:00 and 15:00–19:00). A weekday with no
    window is closed. While no window is set at all, every day runs from the clinic's opening to closing time."""

    clinic = models.ForeignKey(ClinicInfo, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        verbose_name = "opening hours"
        verbose_name_plural = "weekly opening hours"
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday", "opens_at"], name="clinic_hours_unique_start"),
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")),
                name="clinic_hours_opens_before_closing",
                violation_error_message="Opening time must be before closing time.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="clinic_hours_weekday_range",
                violation_error_message="The weekday must be Monday to Sunday.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self):
        if self.opens_at is not None and self.closes_at is not None and self.opens_at >= self.closes_at:
            raise ValidationError("The clinic must open before it closes.")


class ClinicHoliday(TimeStampedModel):
    """An exception to the weekly hours on one date: closed all day (no opening hours), or open only from
    ``opens_at`` to ``closes_at`` that day (a half day)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)
    opens_at = models.TimeField(null=True, blank=True, help_text="Empty: closed all day.")
    closes_at = models.TimeField(null=True, blank=True, help_text="Empty: closed all day.")

    class Meta:
        verbose_name = "closed day or special hours"
        verbose_name_plural = "closed days and special hours"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True, closes_at__isnull=True)
                | Q(opens_at__isnull=False, closes_at__isnull=False, opens_at__lt=F("closes_at")),
                name="clinic_holiday_closed_or_hours",
                violation_error_message="Leave both times empty (closed all day) or give opening before closing.",
            ),
        ]

    def __str__(self) -> str:
        hours = f" ({self.opens_at:%H:%M}–{self.closes_at:%H:%M})" if self.opens_at else ""
        return f"{self.date:%a %d %b %Y} · {self.name}{hours}"

    @property
    def is_closed(self) -> bool:
        return self.opens_at is None

    def clean(self):
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValidationError("Give both the opening and the closing time, or neither (closed all day).")
        if self.opens_at is not None and self.opens_at >= self.closes_at:
            raise ValidationError("The clinic must open before it closes.")
