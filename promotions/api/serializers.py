from rest_framework import serializers

from diagnopet.api.serializers import ModelSerializer
from promotions.models import Offer


class OfferSerializer(ModelSerializer):
    """An offer as customers see it. Coupon codes are never shown."""

    applicable_tests = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Test ids the offer discounts; empty means every test."
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "name",
            "description",
            "event_tag",
            "discount_type",
            "discount_value",
            "max_discount_amount",
            "minimum_order_value",
            "applies_to",
            "applicable_tests",
            "start_date",
            "end_date",
            "auto_apply",
        ]
        read_only_fields = fields
