"""The audit trail: who changed a money-affecting row, when, and which fields from what to what."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from billing.models import BillingRecord
from bookings.models import Booking
from bookings.tests.conftest import booking_payload

pytestmark = pytest.mark.django_db


def test_booking_and_bill_changes_are_logged_with_their_author(customer, customer_client, booking_setup):
    booking_id = customer_client.post(
        reverse("bookings:booking-list"), booking_payload(booking_setup), format="json"
    ).json()["id"]
    customer_client.post(reverse("bookings:booking-cancel", args=[booking_id]), {"reason": "Moved"}, format="json")

    booking = Booking.objects.get(pk=booking_id)
    entries = LogEntry.objects.get_for_object(booking).order_by("timestamp")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    change = entries.last()
    assert change.actor == customer
    assert change.changes_dict["status"] == ["pending", "cancelled"]
    assert change.changes_dict["cancellation_reason"] == ["", "Moved"]
    assert "updated_at" not in change.changes_dict

    bill = LogEntry.objects.get_for_object(BillingRecord.objects.get(booking=booking)).order_by("timestamp").last()
    assert bill.changes_dict["status"] == ["draft", "void"]
