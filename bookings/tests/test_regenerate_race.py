"""Regenerating a day's empty windows while customers book them: never a 500, never a booked window lost.

Real threads on real PostgreSQL transactions. Each round, customers book the day's windows (each reads the window's
current id first, as the app would from the slot list) while the back office regenerates the day, which deletes
and makes again every window nobody booked. Whoever loses answers a clear 4xx (the window is gone: ``invalid_slot``;
or it went while the booking took its place: ``slot_full``), and the regeneration reports the windows it kept.
"""

import datetime
import time

import pytest
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AddressFactory, UserFactory
from bookings.models import Booking, CollectionSlot
from bookings.services import slot_generate, slot_regenerate
from bookings.tests.conftest import booking_payload
from conftest import client_for, run_concurrently
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = reverse("bookings:booking-list")
# The regeneration starts this much after the bookings, round by round, so that it meets them at every step: before
# they read their window, while they take its place, after they committed.
DELAYS = [0.0, 0.02, 0.05, 0.08, 0.12, 0.2]
CUSTOMERS = 6


def test_regenerate_racing_bookings_never_errors_and_never_drops_a_booked_window(booking_setup):
    day = timezone.localdate() + datetime.timedelta(days=4)
    assert slot_generate(start=day, days=1) > 2
    starts = list(CollectionSlot.objects.filter(date=day).order_by("start_time").values_list("start_time", flat=True))

    def customer():
        """A fresh customer and pet each time (the per-day booking limits are not what this tests)."""
        user, address = UserFactory(), booking_setup["address"]
        near = AddressFactory(user=user, latitude=address.latitude, longitude=address.longitude)
        return user, dict(booking_setup, pet=PetFactory(user=user), address=near)

    def book(user, setup, start):
        def call():
            window = CollectionSlot.objects.filter(date=day, start_time=start).values_list("pk", flat=True).first()
            response = client_for(user).post(BOOKINGS, booking_payload(setup, slot=window), format="json")
            return response.status_code, response.json().get("code")

        return call

    def regenerate(delay):
        def call():
            time.sleep(delay)
            return slot_regenerate(start=day, days=1)

        return call

    outcomes, regenerations = [], []
    for n, delay in enumerate(DELAYS):
        calls = [book(*customer(), starts[(n + i) % len(starts)]) for i in range(CUSTOMERS)]
        *booked, regenerated = run_concurrently([*calls, regenerate(delay)])
        outcomes += booked
        regenerations.append(regenerated)

    assert {status for status, _ in outcomes} <= {201, 400, 409}, outcomes
    assert {code for status, code in outcomes if status != 201} <= {"invalid_slot", "slot_full"}, outcomes
    assert any(status == 201 for status, _ in outcomes), outcomes
    # Every booking still has its window, and every window's count is its bookings'.
    bookings = Booking.objects.filter(booking_date=day)
    assert not bookings.filter(slot__isnull=True).exists()
    slots = CollectionSlot.objects.filter(date=day).annotate(
        n=Count("bookings", filter=~Q(bookings__status="cancelled"))
    )
    assert all(slot.booked == slot.n for slot in slots), [(s, s.booked, s.n) for s in slots]
    assert bookings.count() == sum(1 for status, _ in outcomes if status == 201)
    # One window per start time, as before: nothing was made twice.
    assert sorted(slots.values_list("start_time", flat=True)) == starts
    # The last regeneration (each ran after or alongside its round's bookings) kept the booked windows it found.
    kept = {slot.pk for slot in regenerations[-1].kept}
    booked_before_last = {pk for pk in bookings.values_list("slot", flat=True)}
    assert kept <= booked_before_last
