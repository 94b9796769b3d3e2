"""Trust boundary: what one customer can make the booking flow do (limits, idempotency keys, uploaded files)."""

import pytest
from django.urls import reverse

from bookings.models import Booking, CollectionSlot
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("bookings:booking-list")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def booked_places() -> int:
    return sum(CollectionSlot.objects.values_list("booked", flat=True))


class TestIdempotencyKey:
    @pytest.mark.parametrize(
        "key",
        ["k" * 81, "abc\x01def", "tab\there", "del\x7f", "caf\u00e9"],
        ids=["too-long", "control", "tab", "delete", "non-ascii"],
    )
    def test_a_bad_key_is_a_clear_400_and_books_nothing(self, customer_client, booking_setup, key):
        response = customer_client.post(
            BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key
        )

        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid_idempotency_key"
        assert Booking.objects.count() == 0
        assert booked_places() == 0

    def test_a_key_of_80_printable_characters_is_fine(self, customer_client, booking_setup):
        key = "K-" + "x" * 76 + " !"
        first = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]

    @pytest.mark.parametrize(
        "change",
        [
            {"tests": "first-only"},
            {"collection_type": "lab", "address": None},
            {"notes": "Ring twice"},
            {"coupon_code": "SAVE"},
        ],
        ids=["tests", "collection-type", "notes", "coupon"],
    )
    def test_the_same_key_with_another_request_is_refused(self, customer_client, booking_setup, change):
        payload = booking_payload(booking_setup)
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
        if change.get("tests") == "first-only":
            change = {"tests": payload["tests"][:1]}
        other = customer_client.post(BOOKINGS, {**payload, **change}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")

        assert first.status_code == 201
        assert other.status_code == 422, other.content
        assert other.json()["code"] == "idempotency_key_reused"
        assert Booking.objects.count() == 1
        assert booked_places() == 1

    def test_the_same_request_with_the_same_key_is_still_a_replay(self, customer_client, booking_setup):
        payload = booking_payload(booking_setup, notes="Gate code 42")
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
        # The same fields in another order are the same request.
        reordered = dict(reversed(list(payload.items())))
        again = customer_client.post(BOOKINGS, reordered, format="json", HTTP_IDEMPOTENCY_KEY="order-2")

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()

    def test_a_booking_made_before_hashes_were_kept_matches_any_request(self, customer, customer_client, booking_setup):
        old = BookingFactory(user=customer, idempotency_key="legacy", idempotency_request_hash=None)

        again = customer_client.post(
            BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY="legacy"
        )

        assert again.status_code == 200, again.content
        assert again.json()["id"] == old.id
