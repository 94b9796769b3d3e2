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

    # And the nullable coupon's key: with none, the method gets None for booking.coupon.
    assert ValuesPlan(Declared).columns == ("id", "coupon_id", "coupon__code", "discount_amount")


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


@pytest.mark.django_db
def test_a_method_sees_none_behind_a_null_foreign_key_as_on_an_instance():
    from bookings.tests.factories import BookingFactory
    from promotions.tests.factories import CouponFactory

    class CouponCode(_Booking):
        coupon = serializers.SerializerMethodField()

        class Meta(_Booking.Meta):
            fields = ["id", "coupon"]

        @reads("coupon.code")
        def get_coupon(self, booking):
            return booking.coupon.code if booking.coupon is not None else None

    with_coupon, without = BookingFactory(coupon=CouponFactory(code="SAVE10")), BookingFactory(coupon=None)
    queryset = Booking.objects.filter(pk__in=[with_coupon.pk, without.pk]).order_by("pk")
    plan = ValuesPlan(CouponCode)

    assert plan.represent(plan.rows(queryset)) == CouponCode(queryset, many=True).data
    assert [row["coupon"] for row in plan.represent(plan.rows(queryset))] == ["SAVE10", None]
