"""The customer's bookings and reports are shown from values rows (``ValuesPlan``: list and detail) and through a
planned representation of model instances (``PlannedRepresentation``: actions, create) for speed
(diagnopet/api/representation.py): each output must be byte for byte what DRF's own serializers produce, for
bookings in every shape."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory, TestReportFactory
from diagnopet.api.representation import PlannedRepresentation, ValuesPlan
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
    """The answer as served (values rows), and DRF's own (model instances through plain serializers); also checks
    that the planned representation of model instances gives the same bytes."""
    served = client.get(url)
    assert served.status_code == 200, served.json()
    monkeypatch.setattr(ValuesPlan, "enabled", False)
    planned = client.get(url)
    monkeypatch.setattr(PlannedRepresentation, "planned", False)
    plain = client.get(url)
    monkeypatch.setattr(PlannedRepresentation, "planned", True)
    monkeypatch.setattr(ValuesPlan, "enabled", True)
    assert planned.content == plain.content
    return served.content, plain.content


def test_list_is_what_drf_would_show(customer_client, bookings, monkeypatch):
    planned, plain = _both(customer_client, reverse("bookings:booking-list"), monkeypatch)
    assert planned == plain
    assert b'"distance_km":"4.37"' in planned
    assert b'"rejection_reason":"clotted"' in planned


@pytest.mark.parametrize(
    "query",
    [
        "?status=cancelled",
        "?collection_type=lab",
        "?ordering=total_amount",
        "?page_size=2&page=2",
        "?ordering=-id",
        "?page_size=500",
        "?page=last",
        "?status=no_show",  # no booking: an empty page
    ],
)
def test_filtered_ordered_and_paged_lists_are_what_drf_would_show(customer_client, bookings, monkeypatch, query):
    served, plain = _both(customer_client, reverse("bookings:booking-list") + query, monkeypatch)
    assert served == plain


@pytest.mark.parametrize("query", ["?page=999", "?page=0", "?page=x", "?page_size=0"])
def test_pages_that_do_not_exist_are_refused_as_drf_refuses_them(customer_client, bookings, monkeypatch, query):
    served = customer_client.get(reverse("bookings:booking-list") + query)
    monkeypatch.setattr(ValuesPlan, "enabled", False)
    plain = customer_client.get(reverse("bookings:booking-list") + query)

    assert served.status_code == plain.status_code >= 400
    assert served.content == plain.content


def test_in_utc_datetimes_end_in_z_as_drf_shows_them(customer_client, bookings, monkeypatch, settings):
    settings.TIME_ZONE = "UTC"
    served, plain = _both(customer_client, reverse("bookings:booking-list"), monkeypatch)

    assert served == plain
    assert b'Z"' in served


@pytest.mark.parametrize(
    ("query", "shown"),
    [("", 3), ("?ordering=delivered_at", 3), ("?pet={pet}", 1), ("?booking={booking}", 2), ("?page_size=1", 1)],
)
def test_report_lists_filtered_and_ordered_are_what_drf_would_show(
    customer_client, customer, monkeypatch, query, shown
):
    first, second = BookingFactory(user=customer), BookingFactory(user=customer)
    for booking, hours in ((first, 5), (second, 2), (first, 1)):
        TestReportFactory(
            booking_item=BookingItemFactory(booking=booking),
            status="delivered",
            delivered_at=timezone.now() - datetime.timedelta(hours=hours),
        )
    url = reverse("bookings:report-list") + query.format(pet=second.pet_id, booking=first.id)

    served, plain = _both(customer_client, url, monkeypatch)

    assert served == plain
    assert served.count(b'"download_url"') == shown


def test_values_rows_answer_404_for_another_customers_booking(customer_client, monkeypatch):
    other = BookingFactory()
    response = customer_client.get(reverse("bookings:booking-detail", args=[other.id]))
    monkeypatch.setattr(ValuesPlan, "enabled", False)
    plain = customer_client.get(reverse("bookings:booking-detail", args=[other.id]))

    assert response.status_code == plain.status_code == 404
    assert response.content == plain.content


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
    links = {r["id"]: r["download_url"] for r in customer_client.get(reverse("bookings:report-list")).json()["results"]}
    assert len(links) == 2
    assert all(link == f"http://testserver/api/v1/reports/{pk}/download" for pk, link in links.items())
    report = booking.reports.order_by("id").last()
    planned, plain = _both(customer_client, reverse("bookings:report-detail", args=[report.id]), monkeypatch)
    assert planned == plain
