from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from diagnopet.models import TimeStampedModel, money_field
from diagnopet.money import format_money
from promotions.querysets import OfferQuerySet


class Offer(TimeStampedModel):
    """A promotion: what it discounts, by how much, for whom and when.

    An offer applies through its coupons, or on its own when ``auto_apply`` is set.
    """

    class DiscountType(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage"
        FIXED_AMOUNT = "fixed_amount", "Fixed amount"

    class Target(models.TextChoices):
        TESTS = "tests", "The tests"
        COLLECTION_CHARGE = "collection_charge", "The home-collection charge"

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    event_tag = models.CharField(max_length=50, blank=True, db_index=True, help_text="e.g. Diwali, Pet Health Month")
    discount_type = models.CharField(max_length=20, choices=DiscountType.choices)
    discount_value = models.DecimalField(max_digits=12, decimal_places=2)
    max_discount_amount = money_field(null=True, blank=True, help_text="Cap for percentage discounts.")
    minimum_order_value = money_field(null=True, blank=True)
    applies_to = models.CharField(max_length=20, choices=Target.choices, default=Target.TESTS)
    applicable_tests = models.ManyToManyField(
        "catalog.LabTest", blank=True, related_name="offers", help_text="None selected means every test."
    )
    start_date = models.DateField(db_index=True)
    end_date = models.DateField(db_index=True)
    is_active = models.BooleanField(default=True)
    auto_apply = models.BooleanField(default=False, help_text="Applies without a code.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_value__gte=0),
                name="promotions_offer_value_non_negative",
                violation_error_message="The discount value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(discount_type="percentage") | Q(discount_value__lte=100),
                name="promotions_offer_percentage_max_100",
                violation_error_message="A percentage discount cannot be over 100.",
            ),
            models.CheckConstraint(
                condition=Q(max_discount_amount__isnull=True) | Q(max_discount_amount__gte=0),
                name="promotions_offer_cap_non_negative",
                violation_error_message="The discount cap cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_value__isnull=True) | Q(minimum_order_value__gte=0),
                name="promotions_offer_min_order_non_negative",
                violation_error_message="The minimum order value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="promotions_offer_dates_ordered",
                violation_error_message="The end date cannot be before the start date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(TimeStampedModel):
    """A code customers type to get an offer. Codes are unique regardless of case."""

    code = models.CharField(max_length=40)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="coupons")
    start_at = models.DateTimeField(db_index=True)
    end_at = models.DateTimeField(db_index=True)
    is_active = models.BooleanField(default=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    current_uses = models.PositiveIntegerField(default=0, editable=False)
    max_uses_per_user = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="promotions_coupon_code_ci_unique",
                violation_error_message="A coupon with this code already exists.",
            ),
            models.CheckConstraint(
                condition=Q(current_uses__gte=0),
                name="promotions_coupon_uses_non_negative",
                violation_error_message="Uses cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(current_uses__lte=F("max_uses")),
                name="promotions_coupon_uses_within_max",
                violation_error_message="Maximum uses cannot be below the uses already made.",
            ),
            models.CheckConstraint(
                condition=Q(max_uses_per_user__gte=1),
                name="promotions_coupon_per_user_min_1",
                violation_error_message="Uses per customer must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(end_at__gte=F("start_at")),
                name="promotions_coupon_dates_ordered",
                violation_error_message="The coupon must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(TimeStampedModel):
    """One use of a coupon by one booking. Cancelling the booking releases it (the row stays)."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="coupon_redemption")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupon_redemptions")
    discount_amount = money_field()
    redeemed_at = models.DateTimeField(db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-redeemed_at"]
        indexes = [models.Index(fields=["coupon", "user"], name="promotions_redeem_coupon_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0),
                name="promotions_redemption_discount_non_negative",
                violation_error_message="The discount cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon.code} · {self.booking.code} · {format_money(self.discount_amount)} off"
