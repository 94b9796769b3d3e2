"""A booking's payment_status and amount_due, as its customer reads them (billing.selectors.bill_payment's rule)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.services import payment_record
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory
from diagnopet.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _shown(client, booking) -> tuple[str, str]:
    one = client.get(reverse("bookings:booking-detail", args=[booking.id])).json()
    listed = {row["id"]: row for row in client.get(reverse("bookings:booking-list")).json()["results"]}[booking.id]
    assert (listed["payment_status"], listed["amount_due"]) == (one["payment_status"], one["amount_due"])
    return one["payment_status"], one["amount_due"]


def _bill(customer, **kwargs):
    # A booking of 500.00 and its bill.
    return BillingRecordFactory(booking=BookingFactory(user=customer), **kwargs)


def _pay(record, amount: str, kind: str = "payment"):
    payment_record(record=record, amount=Decimal(amount), method="upi", kind=kind)


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        ([], ("unpaid", "500.00")),
        ([("200", "payment")], ("partially_paid", "300.00")),
        ([("500", "payment")], ("paid", "0.00")),
        ([("200", "payment"), ("300", "payment")], ("paid", "0.00")),
        # Money given back is given back for good: it never becomes due again.
        ([("500", "payment"), ("500", "refund")], ("refunded", "0.00")),
        ([("500", "payment"), ("150", "refund")], ("partially_refunded", "0.00")),
        ([("200", "payment"), ("100", "refund")], ("partially_refunded", "300.00")),
    ],
)
def test_payment_status_follows_payments_and_refunds(customer, customer_client, moves, expected):
    record = _bill(customer)
    for amount, kind in moves:
        _pay(record, amount, kind)

    assert _shown(customer_client, record.booking) == expected


def test_amount_due_is_never_negative(customer, customer_client):
    # Paid above the final amount (a bill whose distance charge fell after a door payment).
    record = _bill(customer, amount_paid=Decimal("650.00"))

    assert _shown(customer_client, record.booking) == ("paid", "0.00")


def test_a_void_bill_has_nothing_due(customer, customer_client):
    record = _bill(customer, status="void", amount_paid=Decimal("200.00"))

    assert _shown(customer_client, record.booking) == ("partially_paid", "0.00")


def test_a_free_bill_is_paid(customer, customer_client):
    booking = BookingFactory(user=customer, subtotal=Decimal("0.00"))
    BillingRecordFactory(booking=booking)

    assert _shown(customer_client, booking) == ("paid", "0.00")


def test_a_booking_without_a_bill_is_unpaid_and_nothing_is_due_once_cancelled(customer, customer_client):
    booking = BookingFactory(user=customer)
    assert _shown(customer_client, booking) == ("unpaid", "500.00")

    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert _shown(customer_client, booking) == ("unpaid", "0.00")


def test_a_new_booking_is_unpaid_for_its_total(customer_client, booking_setup):
    response = customer_client.post(reverse("bookings:booking-list"), booking_payload(booking_setup), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["payment_status"], body["amount_due"]) == ("unpaid", body["total"])


def test_a_partial_refund_is_not_asked_for_again(customer, customer_client):
    """A test not done is refunded; the customer is not asked to pay it back (the reviewer's scenario)."""
    record = _bill(customer)
    _pay(record, "500")
    _pay(record, "150", kind="refund")

    with pytest.raises(ValidationFailed) as refused:
        _pay(record, "1")

    assert refused.value.code == "payment_exceeds_due"
    assert _shown(customer_client, record.booking) == ("partially_refunded", "0.00")
