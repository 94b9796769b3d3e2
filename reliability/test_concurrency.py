"""Races not covered by bookings/tests/test_concurrency.py and billing/tests/test_billing.py, with real threads and
PostgreSQL transactions, and exact outcomes:

- the customer cancels while the collector marks the visit collected: exactly one wins, and the slot place, the
  coupon use, the bill and the door payment match whichever did;
- a refund races a payment on one bill: the amount paid is always the sum of what succeeded, never negative, and
  the bill's status follows it;
- two staff assign different collectors at once: both are serialized, the booking ends with one of them, confirmed
  once, and each assignment told the customer once.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.tests.factories import AddressFactory, UserFactory
from billing.models import BillingRecord, Payment
from billing.services import payment_record
from billing.tests.factories import BillingRecordFactory, DistancePricingConfigFactory
from bookings.models import Booking, CollectionSlot
from bookings.services.lifecycle import booking_assign_collector
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from catalog.tests.factories import LabTestFactory
from clinic.tests.factories import ClinicInfoFactory
from conftest import client_for
from pets.tests.factories import PetFactory
from promotions.models import Coupon, CouponRedemption
from promotions.tests.factories import CouponFactory
from reliability.conftest import CLINIC_LAT, CLINIC_LON, run_concurrently, staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    ClinicInfoFactory(road_factor=Decimal("1.00"))
    DistancePricingConfigFactory()
    slot = CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=2), start_time=datetime.time(9), end_time=datetime.time(10)
    )
    return {"slot": slot, "tests": [LabTestFactory(price=Decimal("450.00"))], "coupon": CouponFactory(code="RACE")}


def booked_visit(shop, collector):
    """A customer's home booking made through the API with the coupon, then given to ``collector``."""
    user = UserFactory()
    pet = PetFactory(user=user)
    address = AddressFactory(user=user, latitude=CLINIC_LAT + Decimal("0.01"), longitude=CLINIC_LON)
    payload = {
        "pet": pet.id,
        "tests": [t.id for t in shop["tests"]],
        "collection_type": "home",
        "address": address.id,
        "slot": shop["slot"].id,
        "coupon_code": "RACE",
    }
    response = client_for(user).post(reverse("bookings:booking-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(pk=response.json()["id"])
    booking_assign_collector(booking=booking, collector=collector, by=staff(StaffRole.ADMIN))
    return user, booking


@pytest.mark.parametrize("round_", range(3))
def test_cancel_racing_collection_has_one_winner_and_a_consistent_state(shop, round_):
    collector = staff(StaffRole.COLLECTOR)
    user, booking = booked_visit(shop, collector)
    slot_before = CollectionSlot.objects.get(pk=shop["slot"].pk).booked
    uses_before = Coupon.objects.get(pk=shop["coupon"].pk).current_uses

    def cancel():
        url = reverse("bookings:booking-cancel", args=[booking.id])
        return "cancel", client_for(user).post(url, {"reason": "changed my mind"}, format="json").status_code

    def collect():
        url = reverse("bookings:collection-collected", args=[booking.id])
        payload = {"payment": {"amount": "100.00", "method": "cash"}}
        return "collect", client_for(collector).post(url, payload, format="json").status_code

    results = dict(run_concurrently([cancel, collect]))
    winner, loser = sorted(results.values())
    assert winner == 200, results
    assert loser in (404, 409), results
    booking.refresh_from_db()
    record = BillingRecord.objects.get(booking=booking)
    slot_after = CollectionSlot.objects.get(pk=shop["slot"].pk).booked
    uses_after = Coupon.objects.get(pk=shop["coupon"].pk).current_uses
    if results["cancel"] == 200:
        assert booking.status == Booking.Status.CANCELLED
        assert set(booking.items.values_list("status", flat=True)) == {"cancelled"}
        assert slot_after == slot_before - 1
        assert uses_after == uses_before - 1
        assert not CouponRedemption.objects.filter(booking=booking, released_at__isnull=True).exists()
        assert (record.status, record.amount_paid) == (BillingRecord.Status.VOID, Decimal("0.00"))
        assert not Payment.objects.filter(billing_record=record).exists()
    else:
        assert booking.status == Booking.Status.COLLECTED
        assert set(booking.items.values_list("status", flat=True)) == {"collected"}
        assert (slot_after, uses_after) == (slot_before, uses_before)
        assert CouponRedemption.objects.filter(booking=booking, released_at__isnull=True).count() == 1
        assert record.status != BillingRecord.Status.VOID
        assert record.amount_paid == Decimal("100.00")
        assert Payment.objects.filter(billing_record=record).count() == 1


def _paid_sum(record) -> Decimal:
    total = Decimal("0.00")
    for kind, amount in Payment.objects.filter(billing_record=record).values_list("kind", "amount"):
        total += amount if kind == Payment.Kind.PAYMENT else -amount
    return total


def test_refund_racing_payment_keeps_amount_paid_equal_to_what_succeeded():
    record = BillingRecordFactory(status=BillingRecord.Status.INVOICED, invoice_number="INV-2026-900001")
    full = record.final_amount
    # All but the last 50.00 paid (a payment is at most what is still due).
    payment_record(record=record, amount=full - Decimal("50.00"), method="cash")

    def refund():
        try:
            payment_record(record=record, amount=full, method="cash", kind="refund")
        except Exception as exc:  # noqa: BLE001 - the refused side reports its code
            return "refund", getattr(exc, "code", repr(exc))
        return "refund", "ok"

    def pay():
        payment_record(record=record, amount=Decimal("50.00"), method="upi")
        return "pay", "ok"

    results = dict(run_concurrently([refund, pay]))
    assert results["pay"] == "ok"
    assert results["refund"] in ("ok", "refund_too_large"), results
    record.refresh_from_db()
    assert record.amount_paid == _paid_sum(record) >= Decimal("0.00")
    if results["refund"] == "ok":  # the payment landed first, then everything was refunded
        assert record.amount_paid == Decimal("0.00")
        # Money given back is not due again (billing.selectors.bill_payment): the bill stays settled.
        assert record.status == BillingRecord.Status.PAID
    else:
        assert record.amount_paid == full
        assert record.status == BillingRecord.Status.PAID


def test_concurrent_refunds_never_take_back_more_than_was_paid():
    record = BillingRecordFactory(status=BillingRecord.Status.INVOICED, invoice_number="INV-2026-900002")
    payment_record(record=record, amount=Decimal("500.00"), method="cash")

    def refund():
        try:
            payment_record(record=record, amount=Decimal("300.00"), method="cash", kind="refund")
        except Exception as exc:  # noqa: BLE001
            return getattr(exc, "code", repr(exc))
        return "ok"

    results = run_concurrently([refund for _ in range(4)])
    assert sorted(results) == ["ok", "refund_too_large", "refund_too_large", "refund_too_large"]
    record.refresh_from_db()
    assert record.amount_paid == Decimal("200.00") == _paid_sum(record)


def test_two_staff_assigning_different_collectors_are_serialized():
    booking = BookingFactory(status=Booking.Status.PENDING)
    first, second = staff(StaffRole.COLLECTOR), staff(StaffRole.COLLECTOR)
    admin_a, admin_b = staff(StaffRole.ADMIN), staff(StaffRole.ADMIN)

    def assign(collector, by):
        def call():
            return booking_assign_collector(booking=booking, collector=collector, by=by).collection_staff_id

        return call

    results = run_concurrently([assign(first, admin_a), assign(second, admin_b)])
    assert sorted(results) == sorted([first.id, second.id])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.collection_staff_id in (first.id, second.id)
    assert booking.confirmed_at is not None
    # The first assignment confirmed the booking (one "confirmed"), the second changed its collector.
    kinds = sorted(Notification.objects.filter(user=booking.user).values_list("kind", flat=True))
    assert kinds == [Notification.Kind.BOOKING_CONFIRMED, Notification.Kind.COLLECTOR_ASSIGNED]
    # The collector who ended up with the visit sees it; the other one does not.
    winner = first if booking.collection_staff_id == first.id else second
    loser = second if winner is first else first
    lookup = reverse("bookings:collection-lookup")
    assert client_for(winner).get(lookup, {"code": booking.code}).status_code == 200
    assert client_for(loser).get(lookup, {"code": booking.code}).status_code == 404
