"""Two first reviews of one booking at the same instant: one is stored, the other answers 409 review_exists."""

import pytest
from django.urls import reverse

from conftest import client_for, run_concurrently
from reviews.models import Review
from reviews.tests.factories import CompletedBookingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_first_reviews_store_one():
    booking = CompletedBookingFactory()
    url = reverse("reviews:booking-review", args=[booking.pk])

    def rate(value):
        return lambda: client_for(booking.user).post(url, {"visit_rating": value}, format="json")

    responses = run_concurrently([rate(value) for value in (1, 2, 3, 4)])

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"review_exists"}
    assert Review.objects.filter(booking=booking).count() == 1
