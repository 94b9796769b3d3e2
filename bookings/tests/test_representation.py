"""The customer's bookings are shown through a planned representation (diagnopet/api/representation.py) for speed:
its output must be byte for byte what DRF's own serializers produce, for bookings in every shape."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory, TestReportFactory
from diagnopet.api.representation import PlannedRepresentation
from promotions.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings(customer):
    slot = CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=3), start_time=datetime.time(7, 30), lab_capacity=4
    )
    home = BookingFactory(
        user=customer,
        slot=slot,
        estimated_distance_km=Decimal("4.37"),
        distance_charge=Decimal("63.70"),
        discount_amount=Decimal("45.00"),
        coupon=CouponFactory(),
        notes="Gate code 1234 — ring twice",
    )
    lab = BookingFactory(
        user=customer, collection_type="lab", address=None, address_text="", slot=None, subtotal=Decimal("0.00")
    )
    cancelled = BookingFactory(
        user=customer,
        status=Booking.Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancellation_reason="Pet is unwell",
        confirmed_at=timezone.now() - datetime.timedelta(hours=5),
    )
    BookingItemFactory(booking=home, quantity=2, unit_price=Decimal("450.00"))
    BookingItemFactory(
        booking=home,
        status=BookingItem.Status.REJECTED,
        rejection_reason="clotted",
        due_at=timezone.now() + datetime.timedelta(hours=26),
    )
    BookingItemFactory(booking=cancelled, status=BookingItem.Status.CANCELLED, unit_price=Decimal("1200.5"))
    return [home, lab, cancelled]


def _both(client, url, monkeypatch) -> tuple[bytes, bytes]:
    planned = client.get(url)
    assert planned.status_code == 200, planned.json()
    monkeypatch.setattr(PlannedRepresentation, "planned", False)
    plain = client.get(url)
    monkeypatch.setattr(PlannedRepresentation, "planned", True)
    return planned.content, plain.content


def test_list_is_what_drf_would_show(customer_client, bookings, monkeypatch):
    planned, plain = _both(customer_client, reverse("bookings:booking-list"), monkeypatch)
    assert planned == plain
    assert b'"distance_km":"4.37"' in planned
    assert b'"rejection_reason":"clotted"' in planned


@pytest.mark.parametrize("which", [0, 1, 2])
def test_detail_is_what_drf_would_show(customer_client, bookings, monkeypatch, which):
    planned, plain = _both(customer_client, reverse("bookings:booking-detail", args=[bookings[which].id]), monkeypatch)
    assert planned == plain


def test_reports_are_what_drf_would_show(customer_client, customer, monkeypatch):
    booking = BookingFactory(user=customer)
    for findings in ("", "Mild anaemia — recheck in 4 weeks"):
        TestReportFactory(
            booking_item=BookingItemFactory(booking=booking),
            status="delivered",
            delivered_at=timezone.now(),
            findings=findings,
        )

    planned, plain = _both(customer_client, reverse("bookings:report-list"), monkeypatch)

    assert planned == plain
    assert b"recheck in 4 weeks" in planned
    assert b"/download" in planned
