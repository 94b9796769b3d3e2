import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from promotions.models import Coupon, CouponRedemption, Offer


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    name = factory.Sequence(lambda n: f"Offer {n}")
    description = "Seasonal discount"
    discount_type = Offer.DiscountType.PERCENTAGE
    discount_value = Decimal("10.00")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    offer = factory.SubFactory(OfferFactory)
    start_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    end_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    max_uses = None
    max_uses_per_user = 1


class CouponRedemptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouponRedemption

    coupon = factory.SubFactory(CouponFactory)
    booking = factory.SubFactory("bookings.tests.factories.BookingFactory")
    user = factory.SelfAttribute("booking.user")
    discount_amount = Decimal("50.00")
    redeemed_at = factory.LazyFunction(timezone.now)
