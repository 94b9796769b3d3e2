"""The floor server of bench/run: /floor/ paths answer from the bare views, every other path is the real app."""

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from billing.selectors import billing_summary
from billing.tests.factories import BillingRecordFactory, PaymentFactory
from catalog.tests.factories import LabTestFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import floor_app  # noqa: E402


def call(path: str, **extra) -> tuple[str, dict, bytes]:
    """Run ``path`` through the floor server's WSGI application."""
    request = RequestFactory().get(path, **extra)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    # Like Django's test client: keep the test's connection (and its transaction) open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(floor_app.application(request.environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body


@pytest.mark.django_db
def test_floor_paths_answer_from_the_bare_views():
    test = LabTestFactory(price=Decimal("450.00"))

    status, _headers, body = call(f"/floor/catalog/{test.pk}")

    assert status.startswith("200")
    assert json.loads(body)["code"] == test.code


@pytest.mark.django_db
def test_other_paths_are_the_real_application():
    status, _headers, body = call("/healthz")
    assert status.startswith("200")

    status, _headers, _body = call("/api/v1/bookings/")
    assert status.startswith("401")  # the real API, with its authentication


@pytest.mark.django_db
def test_bare_summary_sums_the_same_rows_as_the_selector():
    day = datetime.date(2026, 3, 14)
    BillingRecordFactory(billing_date=day, billing_period="2026-03")
    BillingRecordFactory(billing_date=day, billing_period="2026-03")
    BillingRecordFactory(billing_date=day, billing_period="2026-03", status="void")

    bare = floor_app.billing_summary_bare(period="month", date_from=day, date_to=day)
    summary = billing_summary(period="month", date_from=day, date_to=day)

    assert len(bare) == 1
    assert bare[0][1] == summary.totals["bookings"] == 2
    assert bare[0][5] == summary.totals["final"]


def _shape(value):
    """The JSON's structure: keys and nesting, with each leaf reduced to null or not."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return value is None


@pytest.mark.django_db
def test_the_bookings_floor_returns_the_same_json_as_the_api(customer_client, customer):
    from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
    from promotions.tests.factories import CouponFactory

    home = BookingFactory(user=customer, slot=CollectionSlotFactory(lab_capacity=3), coupon=CouponFactory())
    BookingItemFactory.create_batch(2, booking=home)
    # A bill paid in part with a refund pending (partially_refunded), and a booking without a bill (unpaid).
    bill = BillingRecordFactory(booking=home, amount_paid=home.total_amount - Decimal("100.00"))
    PaymentFactory(billing_record=bill, kind="refund", status="pending", amount=Decimal("40.00"), method="cash")
    lab = BookingFactory(user=customer, collection_type="lab", address=None, slot=None)
    BookingItemFactory(booking=lab)

    api = customer_client.get("/api/v1/bookings/").json()
    _status, _headers, body = call(f"/floor/bookings?user={customer.pk}")
    floor = json.loads(body)
    _status, _headers, one = call(f"/floor/bookings/{home.pk}")

    assert _shape(floor) == _shape(api)
    assert [b["id"] for b in floor["results"]] == [b["id"] for b in api["results"]]
    assert floor["count"] == api["count"] == 2
    shown = ("payment_status", "amount_due")
    assert [[b[k] for k in shown] for b in floor["results"]] == [[b[k] for k in shown] for b in api["results"]]
    assert {b["payment_status"] for b in floor["results"]} == {"partially_refunded", "unpaid"}
    assert _shape(json.loads(one)) == _shape(customer_client.get(f"/api/v1/bookings/{home.pk}/").json())


@pytest.mark.django_db
def test_the_reports_floor_returns_the_same_json_as_the_api(customer_client, customer):
    from django.utils import timezone

    from bookings.tests.factories import BookingFactory, BookingItemFactory, TestReportFactory

    booking = BookingFactory(user=customer)
    for _ in range(2):
        TestReportFactory(
            booking_item=BookingItemFactory(booking=booking), status="delivered", delivered_at=timezone.now()
        )

    api = customer_client.get("/api/v1/reports/").json()
    _status, _headers, body = call(f"/floor/reports?user={customer.pk}", HTTP_HOST="testserver")
    floor = json.loads(body)

    assert _shape(floor) == _shape(api)
    assert [r["id"] for r in floor["results"]] == [r["id"] for r in api["results"]]
    assert [r["download_url"] for r in floor["results"]] == [r["download_url"] for r in api["results"]]


@pytest.mark.django_db
def test_the_clinic_floor_returns_the_same_json_as_the_api(api_client):
    from clinic.tests.factories import ClinicInfoFactory

    ClinicInfoFactory()

    _status, _headers, body = call("/floor/clinic")

    assert json.loads(body).keys() == api_client.get("/api/v1/clinic/").json().keys()
