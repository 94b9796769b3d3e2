"""Rescheduling under concurrency: real threads, real PostgreSQL transactions, exact outcomes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, CollectionSlot
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import CollectionSlotFactory
from bookings.tests.test_concurrency import customer_setup
from conftest import client_for, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = reverse("bookings:booking-list")


def _slot(days: int, hour: int, capacity: int) -> CollectionSlot:
    return CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=days),
        start_time=datetime.time(hour),
        end_time=datetime.time(hour + 1),
        capacity=capacity,
    )


def _book(user, setup, slot) -> int:
    response = client_for(user).post(BOOKINGS, booking_payload(setup, slot=slot.pk), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _move(user, booking_id, slot):
    def call():
        response = client_for(user).post(
            reverse("bookings:booking-reschedule", args=[booking_id]), {"slot": slot.pk}, format="json"
        )
        return response.status_code, response.json()

    return call


def test_ten_customers_into_the_last_place_exactly_one_wins(booking_setup):
    origin = _slot(days=3, hour=9, capacity=10)
    target = _slot(days=4, hour=11, capacity=3)
    CollectionSlot.objects.filter(pk=target.pk).update(booked=2)  # one place left
    calls = []
    for _ in range(10):
        user, setup = customer_setup(booking_setup)
        calls.append(_move(user, _book(user, setup, origin), target))

    results = run_concurrently(calls)

    assert [status for status, _ in results].count(200) == 1, results
    assert {body["code"] for status, body in results if status != 200} == {"slot_full"}
    target.refresh_from_db()
    origin.refresh_from_db()
    assert target.booked == 3
    assert origin.booked == 9  # only the winner gave its place back
    assert Booking.objects.filter(slot=target).count() == 1
    assert Booking.objects.filter(slot=origin).count() == 9


def test_two_customers_swapping_slots_do_not_deadlock(booking_setup):
    """A moves 1 → 2 while B moves 2 → 1: both slots are updated in primary-key order by both, so one waits for the
    other instead of each holding the slot the other needs."""
    first, second = _slot(days=3, hour=9, capacity=3), _slot(days=5, hour=14, capacity=3)
    calls = []
    for origin, target in [(first, second), (second, first)] * 3:
        user, setup = customer_setup(booking_setup)
        calls.append(_move(user, _book(user, setup, origin), target))
    for slot in (first, second):
        CollectionSlot.objects.filter(pk=slot.pk).update(capacity=6)  # room for every move, in any order

    results = run_concurrently(calls)

    assert [status for status, _ in results] == [200] * 6, results
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (3, 3)
