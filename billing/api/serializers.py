from django.conf import settings
from rest_framework import serializers


class SummaryQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["day", "month"], default="day")
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def to_internal_value(self, data):
        # The query string says from/to (SPEC); Python cannot name a field "from".
        data = {"period": data.get("period", "day"), "date_from": data.get("from"), "date_to": data.get("to")}
        return super().to_internal_value({k: v for k, v in data.items() if v is not None})

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"from": "'from' must not be after 'to'."})
        return attrs


def _money():
    return serializers.DecimalField(max_digits=14, decimal_places=2)


class FiguresSerializer(serializers.Serializer):
    bookings = serializers.IntegerField()
    base = _money()
    discount = _money()
    distance = _money()
    final = _money()
    paid = _money()
    outstanding = _money()


class PeriodRowSerializer(FiguresSerializer):
    period = serializers.DateField(help_text="First day of the day or month.")


class CollectionTypeRowSerializer(PeriodRowSerializer):
    collection_type = serializers.CharField()


class CategoryRowSerializer(serializers.Serializer):
    period = serializers.DateField()
    category = serializers.CharField(allow_null=True)
    items = serializers.IntegerField()
    amount = _money()


class BillingSummarySerializer(serializers.Serializer):
    period = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.SerializerMethodField()
    totals = FiguresSerializer()
    rows = PeriodRowSerializer(many=True)
    by_collection_type = CollectionTypeRowSerializer(many=True)
    by_category = CategoryRowSerializer(many=True)
    categories_as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the split by category was last computed (every 10 minutes; null: not yet). Bills made since "
        "are in the totals and rows but not yet in by_category.",
    )

    def get_currency(self, obj) -> str:
        return settings.CURRENCY
