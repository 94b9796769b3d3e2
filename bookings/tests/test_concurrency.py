"""Race-free money and capacity: real threads, real PostgreSQL transactions, exact outcomes."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AddressFactory, UserFactory
from bookings.models import Booking, CollectionSlot
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from conftest import client_for, run_concurrently
from diagnopet.errors import Conflict
from pets.tests.factories import PetFactory
from promotions.models import Coupon, CouponRedemption
from promotions.services import coupon_redeem
from promotions.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = reverse("bookings:booking-list")


def customer_setup(setup):
    """A fresh customer with their own pet and address, next to the clinic."""
    user = UserFactory()
    mine = dict(setup, pet=PetFactory(user=user), address=AddressFactory(user=user, **_near(setup)))
    return user, mine


def _near(setup):
    return {"latitude": setup["address"].latitude, "longitude": setup["address"].longitude}


def own_slots(count: int) -> list[int]:
    """A slot for each concurrent booking: bookings of one slot would queue on its row lock (the place taken)
    before they reach the coupon, and a broken coupon lock would go unnoticed."""
    first = timezone.localdate() + datetime.timedelta(days=3)
    return [
        CollectionSlotFactory(
            date=first + datetime.timedelta(days=n // 10),
            start_time=datetime.time(8 + n % 10),
            end_time=datetime.time(9 + n % 10),
        ).pk
        for n in range(count)
    ]


def book(user, payload, key=None):
    def call():
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = client_for(user).post(BOOKINGS, payload, format="json", **headers)
        return response.status_code, response.json()

    return call


def test_coupon_max_uses_holds_under_concurrency(booking_setup):
    coupon = CouponFactory(code="FIVE", max_uses=5, max_uses_per_user=1)
    calls = []
    for slot in own_slots(20):
        user, setup = customer_setup(booking_setup)
        calls.append(book(user, booking_payload(setup, coupon_code="FIVE", slot=slot)))
    results = run_concurrently(calls)
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 5, results
    refused = [body["code"] for status, body in results if status != 201]
    assert set(refused) <= {"coupon_exhausted"}, refused
    coupon.refresh_from_db()
    assert coupon.current_uses == 5
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 5
    assert Booking.objects.count() == 5


def test_per_user_limit_holds_under_concurrency(booking_setup):
    coupon = CouponFactory(code="ONCE", max_uses=None, max_uses_per_user=1)
    user, setup = customer_setup(booking_setup)
    calls = [
        book(user, booking_payload(setup, coupon_code="ONCE", slot=slot), key=f"k{n}")
        for n, slot in enumerate(own_slots(10))
    ]
    results = run_concurrently(calls)
    assert [s for s, _ in results].count(201) == 1, results
    assert {body["code"] for s, body in results if s != 201} <= {"coupon_per_user_limit"}
    assert Coupon.objects.get(pk=coupon.pk).current_uses == 1
    assert Booking.objects.filter(user=user).count() == 1


def test_slot_capacity_holds_under_concurrency(booking_setup):
    slot = booking_setup["slot"]
    CollectionSlot.objects.filter(pk=slot.pk).update(capacity=3)
    calls = []
    for _ in range(10):
        user, setup = customer_setup(booking_setup)
        calls.append(book(user, booking_payload(setup)))
    results = run_concurrently(calls)
    assert [s for s, _ in results].count(201) == 3, results
    assert {body["code"] for s, body in results if s != 201} == {"slot_full"}
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Booking.objects.count() == 3


def test_same_idempotency_key_concurrently_makes_one_booking(booking_setup):
    user, setup = customer_setup(booking_setup)
    results = run_concurrently([book(user, booking_payload(setup), key="same-key") for _ in range(10)])
    assert {s for s, _ in results} <= {200, 201}, results
    assert [s for s, _ in results].count(201) == 1
    assert len({body["id"] for _, body in results}) == 1
    assert Booking.objects.count() == 1
    slot = CollectionSlot.objects.get(pk=setup["slot"].pk)
    assert slot.booked == 1


def test_double_cancellation_releases_once(booking_setup):
    coupon = CouponFactory(code="TWICE", max_uses=3)
    user, setup = customer_setup(booking_setup)
    status, body = book(user, booking_payload(setup, coupon_code="TWICE"))()
    assert status == 201
    url = reverse("bookings:booking-cancel", args=[body["id"]])

    def cancel():
        response = client_for(user).post(url, {}, format="json")
        return response.status_code

    results = run_concurrently([cancel for _ in range(5)])
    assert sorted(results) == [200, 409, 409, 409, 409]
    coupon.refresh_from_db()
    assert coupon.current_uses == 0
    assert CollectionSlot.objects.get(pk=setup["slot"].pk).booked == 0


def test_the_per_customer_limit_is_the_one_committed_when_the_use_is_taken(booking_setup):
    """The limit is read under the coupon's lock, not from the quote's copy: lowered by the back office between a
    booking's quote and its redemption, the lower limit holds."""
    coupon = CouponFactory(code="TWICE", max_uses=None, max_uses_per_user=2)
    user, setup = customer_setup(booking_setup)
    assert book(user, booking_payload(setup, coupon_code="TWICE"))()[0] == 201
    as_quoted = Coupon.objects.get(pk=coupon.pk)  # 2 per customer
    Coupon.objects.filter(pk=coupon.pk).update(max_uses_per_user=1)

    def redeem_in_a_booking_transaction():
        with transaction.atomic():
            booking = BookingFactory(user=user, pet=setup["pet"])
            coupon_redeem(coupon=as_quoted, booking=booking, user=user, discount_amount=Decimal("10.00"))

    with pytest.raises(Conflict) as refused:
        redeem_in_a_booking_transaction()
    assert refused.value.code == "coupon_per_user_limit"
    assert Coupon.objects.get(pk=coupon.pk).current_uses == 1
