"""Offers and coupons: how much a cart saves, and every reason a coupon is refused (in SPEC order)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import LabTestFactory
from promotions.services import Cart, auto_offer_best, coupon_evaluate, discount_choose, offer_discount_amount
from promotions.tests.factories import CouponFactory, CouponRedemptionFactory, OfferFactory

pytestmark = pytest.mark.django_db

D = Decimal


def cart(*amounts, distance="0.00", ids=None):
    ids = ids or list(range(1, len(amounts) + 1))
    lines = tuple((i, D(a)) for i, a in zip(ids, amounts, strict=True))
    return Cart(lines=lines, subtotal=sum((amount for _, amount in lines), D("0.00")), distance_charge=D(distance))


@pytest.mark.parametrize(
    ("kind", "value", "cap", "amounts", "distance", "target", "expected"),
    [
        ("percentage", "10", None, ["450.00", "800.00"], "0", "tests", "125.00"),
        ("percentage", "10", "100.00", ["450.00", "800.00"], "0", "tests", "100.00"),  # capped
        ("percentage", "12.5", None, ["100.10"], "0", "tests", "12.51"),  # 12.5125 → 12.51
        ("percentage", "15", None, ["100.10"], "0", "tests", "15.02"),  # 15.015 half-up → 15.02
        ("fixed_amount", "300.00", None, ["450.00"], "0", "tests", "300.00"),
        ("fixed_amount", "999.00", None, ["450.00"], "0", "tests", "450.00"),  # larger than the cart
        ("percentage", "100", None, ["450.00"], "120.00", "collection_charge", "120.00"),  # fee waived
        ("fixed_amount", "50.00", None, ["450.00"], "120.00", "collection_charge", "50.00"),
        ("fixed_amount", "50.00", None, ["450.00"], "0.00", "collection_charge", "0.00"),  # nothing to waive
    ],
)
def test_offer_discount_table(kind, value, cap, amounts, distance, target, expected):
    offer = OfferFactory(
        discount_type=kind, discount_value=D(value), max_discount_amount=D(cap) if cap else None, applies_to=target
    )
    amount, _eligible = offer_discount_amount(offer=offer, cart=cart(*amounts, distance=distance))
    assert amount == D(expected)


def test_applicable_tests_subset_discounts_only_those_tests():
    cbc, lft = LabTestFactory(), LabTestFactory()
    offer = OfferFactory(discount_type="percentage", discount_value=D("50"))
    offer.applicable_tests.set([lft])
    amount, eligible = offer_discount_amount(offer=offer, cart=cart("450.00", "800.00", ids=[cbc.id, lft.id]))
    assert (amount, eligible) == (D("400.00"), D("800.00"))


def test_best_automatic_offer_is_chosen():
    OfferFactory(name="small", auto_apply=True, discount_type="fixed_amount", discount_value=D("50"))
    big = OfferFactory(name="big", auto_apply=True, discount_type="percentage", discount_value=D("20"))
    OfferFactory(name="not automatic", auto_apply=False, discount_type="fixed_amount", discount_value=D("900"))
    OfferFactory(
        name="min not met",
        auto_apply=True,
        discount_type="fixed_amount",
        discount_value=D("500"),
        minimum_order_value=D("5000"),
    )
    best = auto_offer_best(cart=cart("1000.00"))
    assert best.offer == big
    assert best.amount == D("200.00")


def test_coupon_beats_smaller_automatic_offer_and_loses_to_bigger():
    user = UserFactory()
    OfferFactory(auto_apply=True, discount_type="fixed_amount", discount_value=D("100"))
    coupon = CouponFactory(offer=OfferFactory(discount_type="fixed_amount", discount_value=D("150")))
    decision = discount_choose(user=user, cart=cart("1000.00"), coupon_code=coupon.code.lower())
    assert decision.discount.coupon == coupon
    assert decision.coupon_verdict.applied is True

    OfferFactory(auto_apply=True, discount_type="fixed_amount", discount_value=D("200"))
    decision = discount_choose(user=user, cart=cart("1000.00"), coupon_code=coupon.code)
    assert decision.discount.coupon is None
    assert decision.discount.amount == D("200.00")
    assert decision.coupon_verdict.valid is True
    assert decision.coupon_verdict.reason == "better_offer_applied"


def _coupon_case(name, user):
    """Build a coupon that fails for exactly one reason (and would pass every earlier check)."""
    now = timezone.now()
    if name == "not_found":
        return "NO-SUCH-CODE"
    if name == "inactive":
        return CouponFactory(is_active=False).code
    if name == "inactive_offer":
        return CouponFactory(offer=OfferFactory(is_active=False)).code
    if name == "not_started":
        return CouponFactory(start_at=now + datetime.timedelta(minutes=1)).code
    if name == "offer_not_started":
        return CouponFactory(offer=OfferFactory(start_date=timezone.localdate() + datetime.timedelta(days=1))).code
    if name == "expired":
        return CouponFactory(end_at=now - datetime.timedelta(seconds=1)).code
    if name == "offer_expired":
        return CouponFactory(offer=OfferFactory(end_date=timezone.localdate() - datetime.timedelta(days=1))).code
    if name == "exhausted":
        coupon = CouponFactory(max_uses=2)
        type(coupon).objects.filter(pk=coupon.pk).update(current_uses=2)
        return coupon.code
    if name == "per_user_limit":
        coupon = CouponFactory(max_uses_per_user=1)
        CouponRedemptionFactory(coupon=coupon, booking__user=user)
        return coupon.code
    if name == "min_order_not_met":
        return CouponFactory(offer=OfferFactory(minimum_order_value=D("1000.01"))).code
    if name == "not_applicable":
        offer = OfferFactory()
        offer.applicable_tests.set([LabTestFactory()])
        return CouponFactory(offer=offer).code
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not_found", "not_found"),
        ("inactive", "inactive"),
        ("inactive_offer", "inactive"),
        ("not_started", "not_started"),
        ("offer_not_started", "not_started"),
        ("expired", "expired"),
        ("offer_expired", "expired"),
        ("exhausted", "exhausted"),
        ("per_user_limit", "per_user_limit"),
        ("min_order_not_met", "min_order_not_met"),
        ("not_applicable", "not_applicable"),
    ],
)
def test_each_coupon_rejection_has_its_reason(case, reason):
    user = UserFactory()
    code = _coupon_case(case, user)
    verdict = coupon_evaluate(code=code, user=user, cart=cart("1000.00"))
    assert (verdict.valid, verdict.reason) == (False, reason)
    assert verdict.discount == D("0.00")


def test_reasons_are_checked_in_spec_order():
    """A coupon that is inactive AND expired AND exhausted reports the first: inactive."""
    coupon = CouponFactory(is_active=False, end_at=timezone.now() - datetime.timedelta(days=1), max_uses=1)
    type(coupon).objects.filter(pk=coupon.pk).update(current_uses=1)
    verdict = coupon_evaluate(code=coupon.code, user=UserFactory(), cart=cart("10.00"))
    assert verdict.reason == "inactive"


def test_minimum_order_exactly_met_is_accepted():
    coupon = CouponFactory(offer=OfferFactory(minimum_order_value=D("1000.00")))
    verdict = coupon_evaluate(code=coupon.code, user=UserFactory(), cart=cart("600.00", "400.00"))
    assert verdict.valid is True
    assert verdict.discount == D("100.00")


def test_offer_validity_dates_follow_the_clinic_time_zone(settings):
    """An offer ending 'today' in Asia/Kolkata is valid at 23:59 IST even though UTC is still the same day, and
    expired at 00:01 IST the next day even though UTC is still on the end date."""
    assert settings.TIME_ZONE == "Asia/Kolkata"
    end = datetime.date(2030, 3, 10)
    offer = OfferFactory(start_date=datetime.date(2030, 3, 1), end_date=end)
    coupon = CouponFactory(
        offer=offer,
        start_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        end_at=datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC),
    )
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    last_minute = datetime.datetime(2030, 3, 10, 23, 59, tzinfo=ist)
    next_day = datetime.datetime(2030, 3, 11, 0, 1, tzinfo=ist)  # 2030-03-10 18:31 UTC
    first_minute = datetime.datetime(2030, 3, 1, 0, 1, tzinfo=ist)  # 2030-02-28 18:31 UTC
    user = UserFactory()
    assert coupon_evaluate(code=coupon.code, user=user, cart=cart("100.00"), now=last_minute).valid
    assert coupon_evaluate(code=coupon.code, user=user, cart=cart("100.00"), now=next_day).reason == "expired"
    assert coupon_evaluate(code=coupon.code, user=user, cart=cart("100.00"), now=first_minute).valid
