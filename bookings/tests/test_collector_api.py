"""The collector's staff API: visits of a day, scanning a code, marking samples collected (with door payment)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.models import Payment
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory, BookingItemFactory
from catalog.tests.factories import LabTestFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

VISITS = reverse("bookings:collection-list")
LOOKUP = reverse("bookings:collection-lookup")


def collected_url(booking_id):
    return reverse("bookings:collection-collected", args=[booking_id])


@pytest.fixture
def collector():
    return StaffProfileFactory(role=StaffRole.COLLECTOR).user


@pytest.fixture
def other_collector():
    return StaffProfileFactory(role=StaffRole.COLLECTOR).user


def visit(collector, day=None, **kwargs):
    booking = BookingFactory(
        collection_staff=collector, status=Booking.Status.CONFIRMED, booking_date=day or timezone.localdate(), **kwargs
    )
    BookingItemFactory(booking=booking, test=LabTestFactory(fasting_required=True, tube_type="SST (gold)"))
    BookingItemFactory(booking=booking)
    BillingRecordFactory(booking=booking)
    return booking


def test_visits_of_the_day_are_mine_only(collector, other_collector):
    mine = visit(collector)
    visit(other_collector)
    visit(collector, day=timezone.localdate() + datetime.timedelta(days=1))
    body = client_for(collector).get(VISITS).json()
    assert [v["id"] for v in body["results"]] == [mine.id]
    first = body["results"][0]
    assert first["fasting_required"] is True
    assert first["amount_due"] == "500.00"
    assert {i["tube_type"] for i in first["items"]} >= {"SST (gold)"}
    assert first["customer"]["phone"] == mine.user.phone
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert len(client_for(collector).get(VISITS, {"date": tomorrow}).json()["results"]) == 1
    assert client_for(collector).get(VISITS, {"date": "soon"}).status_code == 400


def test_lookup_by_scanned_code(collector, other_collector):
    mine, theirs = visit(collector), visit(other_collector)
    client = client_for(collector)
    scanned = mine.code.lower().replace("dp-", "")
    assert client.get(LOOKUP, {"code": scanned}).json()["id"] == mine.id
    assert client.get(LOOKUP, {"code": theirs.code}).status_code == 404
    assert client.get(LOOKUP, {"code": "DP-NOPE99"}).status_code == 404


def test_lookup_by_a_scanned_tube_code_finds_its_visit(collector, other_collector):
    mine, theirs = visit(collector), visit(other_collector)
    client = client_for(collector)
    tube = mine.items.order_by("sequence").last()
    assert tube.code.startswith(f"{mine.code}-")
    assert client.get(LOOKUP, {"code": tube.code}).json()["id"] == mine.id
    assert client.get(LOOKUP, {"code": f" {tube.code.lower()}\n"}).json()["id"] == mine.id  # a scanner's spelling
    assert client.get(LOOKUP, {"code": theirs.items.first().code}).status_code == 404


def test_mark_collected_with_door_payment(collector):
    booking = visit(collector)
    failed = booking.items.order_by("sequence").last()
    payload = {
        "failed_items": [failed.id],
        "payment": {"amount": "500.00", "method": "upi", "reference": "UPI-42"},
        "latitude": "12.971000",
        "longitude": "77.641000",
    }
    response = client_for(collector).post(collected_url(booking.id), payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "collected"
    assert response.json()["amount_due"] == "0.00"
    booking.refresh_from_db()
    assert booking.collected_latitude == Decimal("12.971000")
    statuses = dict(booking.items.values_list("id", "status"))
    assert statuses[failed.id] == "cancelled"
    assert list(statuses.values()).count("collected") == 1
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.received_by) == (Decimal("500.00"), "upi", collector)


def test_bad_payment_leaves_the_visit_untouched(collector):
    booking = visit(collector)
    payload = {"payment": {"amount": "-1", "method": "upi"}}
    assert client_for(collector).post(collected_url(booking.id), payload, format="json").status_code == 400
    payload = {"payment": {"amount": "10", "method": "upi"}, "failed_items": [999999]}
    assert client_for(collector).post(collected_url(booking.id), payload, format="json").status_code == 400
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert set(booking.items.values_list("status", flat=True)) == {"pending"}
    assert Payment.objects.count() == 0


def test_other_collectors_visit_is_404_and_unchanged(collector, other_collector):
    theirs = visit(other_collector)
    response = client_for(collector).post(collected_url(theirs.id), {}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"


def test_collecting_twice_is_a_conflict(collector):
    booking = visit(collector)
    assert client_for(collector).post(collected_url(booking.id), {}, format="json").status_code == 200
    again = client_for(collector).post(collected_url(booking.id), {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


@pytest.mark.parametrize("role", [None, StaffRole.LAB_TECH, StaffRole.ANALYST])
def test_only_collectors_and_admins(role, customer):
    user = customer if role is None else StaffProfileFactory(role=role).user
    assert client_for(user).get(VISITS).status_code == 403


def test_visits_query_count_is_constant(collector, django_assert_max_num_queries):
    client = client_for(collector)
    visit(collector)
    with django_assert_max_num_queries(5) as one:
        client.get(VISITS)
    for _ in range(20):
        visit(collector)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(VISITS, {"page_size": 50}).json()["results"]) == 21


def test_door_payment_above_the_amount_due_is_refused(collector):
    booking = visit(collector)  # 500.00 due
    payload = {"payment": {"amount": "9999999999.99", "method": "cash"}}

    response = client_for(collector).post(collected_url(booking.id), payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "payment_exceeds_due"
    assert "500.00 still due" in response.json()["detail"]
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # the visit is one transaction with its payment
    assert Payment.objects.count() == 0
    assert booking.billing_record.amount_paid == Decimal("0.00")
