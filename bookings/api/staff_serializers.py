from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Payment
from bookings.api.serializers import SlotSerializer
from bookings.maps import maps_url
from bookings.models import PET_WEIGHT_MAX_KG, PET_WEIGHT_MIN_KG, Booking, BookingItem
from diagnopet.api.serializers import ModelSerializer, StrictCharField
from diagnopet.money import to_money


class VisitItemSerializer(ModelSerializer):
    test_code = serializers.CharField(source="test.code")
    test_name = serializers.CharField(source="test.name")
    sample_type = serializers.CharField(source="test.sample_type")
    tube_type = serializers.CharField(source="test.tube_type")
    sample_quantity_ml = serializers.DecimalField(
        source="test.sample_quantity_ml", max_digits=5, decimal_places=2, allow_null=True
    )
    collection_instructions = serializers.CharField(source="test.collection_instructions")
    fasting_required = serializers.BooleanField(source="test.fasting_required")
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
            "test_code",
            "test_name",
            "sample_type",
            "tube_type",
            "sample_quantity_ml",
            "collection_instructions",
            "fasting_required",
            "status",
            "rejection_reason",
        ]
        read_only_fields = fields


class VisitPetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    species = serializers.CharField()
    breed = serializers.CharField()
    sex = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class VisitCustomerSerializer(serializers.Serializer):
    full_name = serializers.CharField()
    phone = serializers.CharField()


class VisitSerializer(ModelSerializer):
    """What a collector needs at the door."""

    slot = SlotSerializer(allow_null=True)
    pet = VisitPetSerializer()
    customer = VisitCustomerSerializer(source="user")
    items = VisitItemSerializer(many=True)
    no_show_reason = serializers.ChoiceField(
        choices=Booking.NoShowReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty unless the visit was a no-show.",
    )
    fasting_required = serializers.SerializerMethodField()
    total = serializers.DecimalField(source="total_amount", max_digits=12, decimal_places=2)
    amount_paid = serializers.SerializerMethodField()
    amount_due = serializers.SerializerMethodField(help_text="Total minus what has been paid.")
    maps_url = serializers.SerializerMethodField(help_text="Google Maps search of the address pin; empty without one.")

    class Meta:
        model = Booking
        fields = [
            "id",
            "code",
            "status",
            "collection_type",
            "booking_date",
            "slot",
            "pet",
            "customer",
            "address_text",
            "latitude",
            "longitude",
            "maps_url",
            "notes",
            "no_show_reason",
            "items",
            "fasting_required",
            "total",
            "amount_paid",
            "amount_due",
        ]
        read_only_fields = fields

    def get_maps_url(self, booking) -> str:
        return maps_url(booking)

    def get_fasting_required(self, booking) -> bool:
        return any(item.test.fasting_required for item in booking.items.all())

    def _paid(self, booking) -> Decimal:
        record = getattr(booking, "billing_record", None)
        return record.amount_paid if record else Decimal("0.00")

    # Money as decimal strings, like every DecimalField.
    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_amount_paid(self, booking) -> str:
        return str(to_money(self._paid(booking)))

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_amount_due(self, booking) -> str:
        return str(to_money(max(booking.total_amount - self._paid(booking), Decimal("0.00"))))


class DoorPaymentSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = StrictCharField(required=False, allow_blank=True, max_length=100, default="")


class CollectedSerializer(serializers.Serializer):
    failed_items = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, help_text="Items not collected."
    )
    payment = DoorPaymentSerializer(required=False, allow_null=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
    )
    pet_weight_kg = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=PET_WEIGHT_MIN_KG,
        max_value=PET_WEIGHT_MAX_KG,
        required=False,
        allow_null=True,
        help_text="The pet's weight at the visit, if weighed: its weight history.",
    )


class NoShowSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Booking.NoShowReason.choices)
    notes = StrictCharField(required=False, allow_blank=True, max_length=1000, default="")


class RefuseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=BookingItem.RejectionReason.choices, help_text="Why the sample cannot be used."
    )
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=50,
        help_text="The refused items; empty: every item not yet taken.",
    )
    notes = StrictCharField(required=False, allow_blank=True, max_length=1000, default="")
