"""The bookings list, one booking and the reports list are built from values rows (bookings/api/selectors.py);
each must be byte for byte what the serializer that documents it shows for the same rows, in every shape."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from billing.tests.factories import BillingRecordFactory, PaymentFactory
from bookings.api.serializers import BookingSerializer, ReportSerializer
from bookings.models import Booking, BookingItem
from bookings.querysets import bookings_for_customer, reports_for_customer
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory, TestReportFactory
from catalog.tests.factories import LabTestFactory, package_of
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
    # Bills in three states: partly refunded (home), none (lab), void with a payment held (cancelled).
    bill = BillingRecordFactory(booking=home, amount_paid=Decimal("300.00"))
    PaymentFactory(billing_record=bill, amount=Decimal("400.00"))
    PaymentFactory(billing_record=bill, kind="refund", amount=Decimal("100.00"))
    BillingRecordFactory(booking=cancelled, status="void", amount_paid=Decimal("120.50"))
    return [home, lab, cancelled]


def _json(data) -> bytes:
    return JSONRenderer().render(data)


def _serialized(serializer_class, instances, response) -> bytes:
    return _json(serializer_class(instances, many=True, context={"request": response.wsgi_request}).data)


def test_bookings_list_is_what_the_serializer_shows(customer_client, customer, bookings):
    response = customer_client.get(reverse("bookings:booking-list"))

    assert response.status_code == 200
    expected = _serialized(BookingSerializer, bookings_for_customer(customer).order_by("-created_at", "-id"), response)
    assert _json(response.data["results"]) == expected
    assert b'"distance_km":"4.37"' in response.content
    assert b'"rejection_reason":"clotted"' in response.content
    assert b'"unit_price":"1200.50"' in response.content
    assert b'"payment_status":"partially_refunded","amount_due":"' in response.content
    assert b'"payment_status":"partially_paid","amount_due":"0.00"' in response.content


@pytest.mark.parametrize("which", [0, 1, 2])
def test_one_booking_is_what_the_serializer_shows(customer_client, customer, bookings, which):
    response = customer_client.get(reverse("bookings:booking-detail", args=[bookings[which].id]))

    assert response.status_code == 200
    booking = bookings_for_customer(customer).get(pk=bookings[which].id)
    assert _json(response.data) == _json(BookingSerializer(booking).data)


def test_in_utc_moments_end_in_z(customer_client, bookings, settings):
    settings.TIME_ZONE = "UTC"
    response = customer_client.get(reverse("bookings:booking-list"))

    assert response.json()["results"][0]["created_at"].endswith("Z")


@pytest.mark.parametrize("lookup", ["other", "abc", "99999999999"])
def test_another_customers_or_a_malformed_booking_is_a_plain_404(customer_client, lookup):
    key = BookingFactory().id if lookup == "other" else lookup
    response = customer_client.get(f"/api/v1/bookings/{key}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_reports_list_and_report_are_what_the_serializer_shows(customer_client, customer):
    booking = BookingFactory(user=customer)
    for findings in ("", "Mild anaemia — recheck in 4 weeks"):
        TestReportFactory(
            booking_item=BookingItemFactory(booking=booking),
            status="delivered",
            delivered_at=timezone.now(),
            findings=findings,
        )

    response = customer_client.get(reverse("bookings:report-list"))

    reports = reports_for_customer(customer).order_by("-delivered_at", "-id")
    assert _json(response.data["results"]) == _serialized(ReportSerializer, reports, response)
    links = {r["id"]: r["download_url"] for r in response.json()["results"]}
    assert len(links) == 2
    assert all(link == f"http://testserver/api/v1/reports/{pk}/download" for pk, link in links.items())
    report = reports.first()
    one = customer_client.get(reverse("bookings:report-detail", args=[report.id]))
    assert _json(one.data) == _json(ReportSerializer(report, context={"request": one.wsgi_request}).data)


@pytest.mark.parametrize("with_package", [False, True])
def test_a_new_booking_answers_what_its_detail_shows(customer_client, booking_setup, with_package):
    """booking_create answers with the items it inserted (not read back): the same bytes as the booking's page."""
    tests = [t.id for t in booking_setup["tests"][:2]]
    if with_package:
        tests = [package_of([LabTestFactory(tube_type="edta"), LabTestFactory(price=Decimal("333.33"))]).id]
    payload = booking_payload(booking_setup, tests=tests)

    created = customer_client.post(reverse("bookings:booking-list"), payload, format="json")

    assert created.status_code == 201, created.json()
    shown = customer_client.get(reverse("bookings:booking-detail", args=[created.json()["id"]]))
    assert created.content == shown.content
