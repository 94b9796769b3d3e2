"""``ValuesPlan`` shows only what it can show exactly as DRF does; anything else is refused when the plan is made,
with a message naming the field (diagnopet/api/representation.py). Its output is compared with DRF's through the
API in bookings/tests/test_representation.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from bookings.models import Booking, BookingItem
from diagnopet.api.representation import ValuesPlan, reads


class _Booking(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "code"]


def _refusal(serializer_class, **kwargs) -> str:
    with pytest.raises(ImproperlyConfigured) as refused:
        _ = ValuesPlan(serializer_class, **kwargs).columns
    return str(refused.value)


def test_a_method_field_must_say_what_it_reads():
    class Undeclared(_Booking):
        late = serializers.SerializerMethodField()

        class Meta(_Booking.Meta):
            fields = ["id", "late"]

        def get_late(self, booking):
            return booking.collected_at is None

    assert "Undeclared.late needs @reads(...) on get_late" in _refusal(Undeclared)


def test_a_declared_method_field_gets_the_columns_it_reads():
    class Declared(_Booking):
        coupon = serializers.SerializerMethodField()

        class Meta(_Booking.Meta):
            fields = ["id", "coupon"]

        @reads("coupon.code", "discount_amount")
        def get_coupon(self, booking):
            return booking.coupon.code

    assert ValuesPlan(Declared).columns == ("id", "coupon__code", "discount_amount")


def test_a_column_behind_a_nullable_foreign_key_is_refused():
    # DRF skips the field when there is no slot; a join would show null instead.
    class BehindNullable(_Booking):
        slot_date = serializers.DateField(source="slot.date")

        class Meta(_Booking.Meta):
            fields = ["id", "slot_date"]

    assert "goes through the nullable 'slot'" in _refusal(BehindNullable)


def test_a_nested_list_needs_its_queryset():
    class Item(serializers.ModelSerializer):
        class Meta:
            model = BookingItem
            fields = ["id"]

    class WithItems(_Booking):
        items = Item(many=True)

        class Meta(_Booking.Meta):
            fields = ["id", "items"]

    assert "give its queryset (and order) in many=" in _refusal(WithItems)
    assert ValuesPlan(WithItems, many={"items": BookingItem.objects.order_by("sequence")}).columns == ("id",)


def test_a_relation_shown_other_than_as_its_key_is_refused():
    class Named(_Booking):
        pet = serializers.StringRelatedField()

        class Meta(_Booking.Meta):
            fields = ["id", "pet"]

    assert "shows a relation other than as its key" in _refusal(Named)


def test_a_whole_object_source_is_refused():
    class Whole(_Booking):
        everything = serializers.CharField(source="*")

        class Meta(_Booking.Meta):
            fields = ["id", "everything"]

    assert "has source='*'" in _refusal(Whole)
