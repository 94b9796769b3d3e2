"""With the database gone the API answers 503 with a clear JSON body, writes nothing, and recovers."""

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.tests.conftest import booking_payload
from conftest import database_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_booking_while_the_database_is_down_is_503_and_nothing_is_written(
    customer_client,
    booking_setup,
    refused_port,  # noqa: F811
):
    payload = booking_payload(booking_setup)
    with database_at("127.0.0.1", refused_port):
        down = customer_client.post(reverse("bookings:booking-list"), payload, format="json")
        listing = customer_client.get(reverse("bookings:booking-list"))
    for response in (down, listing):
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "service_unavailable"
        assert response["Retry-After"] == "5"
    assert Booking.objects.count() == 0
    # Back: the same request goes through.
    assert customer_client.post(reverse("bookings:booking-list"), payload, format="json").status_code == 201
