from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.selectors import PaymentStatus
from bookings.api.payment_status import payment_shown
from bookings.models import Booking, BookingItem, CollectionSlot, CollectionType, PrescriptionUpload, TestReport
from bookings.querysets import slot_places_left
from diagnopet.api.schema import LocalTimeField
from diagnopet.api.serializers import ModelSerializer, StrictCharField


class SlotSerializer(ModelSerializer):
    start = LocalTimeField(source="start_time")
    end = LocalTimeField(source="end_time")
    remaining = serializers.SerializerMethodField(
        help_text="Home-collection places left: in the window and in its day (the daily cap); 0 means full."
    )
    lab_remaining = serializers.SerializerMethodField(
        help_text="Lab-visit places left in the window and its day; null means no limit."
    )

    class Meta:
        model = CollectionSlot
        fields = ["id", "date", "start", "end", "capacity", "remaining", "lab_remaining"]

    def get_remaining(self, slot) -> int:
        return slot_places_left(slot, CollectionType.HOME)

    def get_lab_remaining(self, slot) -> int | None:
        return slot_places_left(slot, CollectionType.LAB)


class BookingRequestSerializer(serializers.Serializer):
    """What a customer sends to quote or book. Prices are never read from it."""

    pet = serializers.IntegerField(min_value=1)
    tests = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=50)
    collection_type = serializers.ChoiceField(choices=CollectionType.choices)
    address = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    slot = serializers.IntegerField(min_value=1)
    coupon_code = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    notes = StrictCharField(required=False, allow_blank=True, max_length=1000, default="")


class CouponVerdictSerializer(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why the coupon was refused or not applied.")
    message = serializers.CharField()
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    applied = serializers.BooleanField()


class AppliedOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="offer.id")
    name = serializers.CharField(source="offer.name")
    applies_to = serializers.CharField(source="offer.applies_to")
    coupon = serializers.CharField(source="coupon.code", allow_null=True, default=None)


class QuotePartSerializer(serializers.Serializer):
    test = serializers.IntegerField(source="test.id")
    code = serializers.CharField(source="test.code")
    name = serializers.CharField(source="test.name")
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Its share of the package's price (the shares add up to it)."
    )


class QuoteLineSerializer(serializers.Serializer):
    test = serializers.IntegerField(source="test.id")
    code = serializers.CharField(source="test.code")
    name = serializers.CharField(source="test.name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    components = QuotePartSerializer(
        source="parts", many=True, help_text="A package's tests, each booked as an item of its own; empty otherwise."
    )


class QuoteSerializer(serializers.Serializer):
    currency = serializers.SerializerMethodField()
    items = QuoteLineSerializer(source="lines", many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    eligible_subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    distance_km = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    distance_charge = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    offer = AppliedOfferSerializer(source="applied", allow_null=True)
    coupon = CouponVerdictSerializer(allow_null=True)
    slot = SlotSerializer()

    def get_currency(self, quote) -> str:
        return settings.CURRENCY


class PackageRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class BookingItemSerializer(ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="The tube's scannable code, e.g. DP-7K3Q9X-01.")
    package = PackageRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The package this test was booked in (its price is a share of the package's); null if alone.",
    )
    test_code = serializers.CharField(source="test.code", read_only=True)
    test_name = serializers.CharField(source="test.name", read_only=True)
    tube_type = serializers.CharField(source="test.tube_type", read_only=True)
    rejection_reason = serializers.ChoiceField(
        choices=BookingItem.RejectionReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty unless rejected.",
    )

    class Meta:
        model = BookingItem
        fields = [
            "id",
            "sequence",
            "code",
            "package",
            "test",
            "test_code",
            "test_name",
            "tube_type",
            "quantity",
            "unit_price",
            "status",
            "rejection_reason",
            "due_at",
        ]
        read_only_fields = fields


class BookingCouponSerializer(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)


PAYMENT_STATUS_HELP = (
    "From the bill: `unpaid`, `partially_paid`, `paid` (payments cover the total), `refunded` (money given back, "
    "none held), `partially_refunded` (some given back, some held)."
)


class BookingSerializer(ModelSerializer):
    """A booking as its customer sees it. Every field is read-only: bookings change through actions."""

    pet_name = serializers.CharField(source="pet.name", read_only=True)
    slot = SlotSerializer(read_only=True, allow_null=True, help_text="Null for a booking without a slot yet.")
    discount = serializers.DecimalField(source="discount_amount", max_digits=12, decimal_places=2, read_only=True)
    distance_km = serializers.DecimalField(
        source="estimated_distance_km", max_digits=7, decimal_places=2, read_only=True, allow_null=True
    )
    total = serializers.DecimalField(source="total_amount", max_digits=12, decimal_places=2, read_only=True)
    currency = serializers.SerializerMethodField()
    coupon = serializers.SerializerMethodField()
    # bookings_for_customer's list of items (a Prefetch to_attr), or the items booking_create just made.
    items = BookingItemSerializer(source="shown_items", many=True, read_only=True)
    payment_status = serializers.SerializerMethodField(help_text=PAYMENT_STATUS_HELP)
    amount_due = serializers.SerializerMethodField(help_text="What is still to be paid; 0.00 on a cancelled booking.")

    class Meta:
        model = Booking
        fields = [
            "id",
            "code",
            "status",
            "pet",
            "pet_name",
            "collection_type",
            "slot",
            "booking_date",
            "address",
            "address_text",
            "notes",
            "currency",
            "subtotal",
            "discount",
            "distance_km",
            "distance_charge",
            "total",
            "coupon",
            "items",
            "created_at",
            "confirmed_at",
            "collected_at",
            "completed_at",
            "cancelled_at",
            "cancellation_reason",
            "payment_status",
            "amount_due",
        ]
        read_only_fields = fields

    def get_currency(self, booking) -> str:
        return settings.CURRENCY

    def _payment(self, booking) -> dict:
        # bookings_for_customer loads the bill and annotates its refunds; a booking just made (booking_create) has
        # its new bill cached and no refunds. getattr: a booking without a bill reads None (no query when loaded).
        record = getattr(booking, "billing_record", None)
        return payment_shown(
            bill_status=record.status if record else None,
            final_amount=record.final_amount if record else None,
            amount_paid=record.amount_paid if record else None,
            amount_refunded=getattr(booking, "bill_refunded", None),
            booking_status=booking.status,
            total=booking.total_amount,
        )

    @extend_schema_field(serializers.ChoiceField(choices=PaymentStatus.choices))
    def get_payment_status(self, booking) -> str:
        return self._payment(booking)["payment_status"]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_amount_due(self, booking) -> str:
        return self._payment(booking)["amount_due"]

    @extend_schema_field(BookingCouponSerializer(allow_null=True))
    def get_coupon(self, booking):
        if booking.coupon_id is None:
            return None
        return {"code": booking.coupon.code, "valid": True, "reason": None, "discount": str(booking.discount_amount)}


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, help_text="The collection slot to move the booking to.")


class CancelSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class PrescriptionUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG, at most 10 MB.")


class PrescriptionSerializer(ModelSerializer):
    uploaded_at = serializers.DateTimeField(source="created_at", read_only=True)
    verified = serializers.SerializerMethodField()

    class Meta:
        model = PrescriptionUpload
        fields = ["id", "booking", "file_name", "file_type", "file_size_bytes", "uploaded_at", "verified"]
        read_only_fields = fields

    def get_verified(self, obj) -> bool:
        return obj.verified_at is not None


class ReportTestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ReportSerializer(ModelSerializer):
    test = ReportTestSerializer(read_only=True)
    pet_name = serializers.CharField(source="pet.name", read_only=True)
    booking_code = serializers.CharField(source="booking.code", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = TestReport
        fields = [
            "id",
            "pet",
            "pet_name",
            "test",
            "booking",
            "booking_code",
            "status",
            "version",
            "findings",
            "delivered_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, report) -> str:
        path = reverse("bookings:report-download", kwargs={"pk": report.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
