"""A customer rates a completed visit and its collector through the API: once, own bookings only, editable for a
week."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, CollectionType
from conftest import client_for
from reviews.models import Review
from reviews.tests.factories import CompletedBookingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def url(booking) -> str:
    return reverse("reviews:booking-review", args=[booking.pk])


def test_customer_rates_a_completed_visit_and_reads_it_back(customer_client, completed, collector):
    response = customer_client.post(
        url(completed), {"visit_rating": 4, "collector_rating": 5, "comment": "Quick and kind."}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["visit_rating"] == 4
    assert body["collector_rating"] == 5
    assert body["comment"] == "Quick and kind."
    assert body["testimonial_consent"] is False  # not given unless asked for
    review = Review.objects.get(booking=completed)
    assert review.collector == collector
    assert customer_client.get(url(completed)).json() == body


def test_no_review_yet_is_404(customer_client, completed):
    response = customer_client.get(url(completed))

    assert response.status_code == 404
    assert response.json()["code"] == "review_not_found"


def test_a_second_review_is_refused(customer_client, completed):
    assert customer_client.post(url(completed), {"visit_rating": 5}, format="json").status_code == 201

    again = customer_client.post(url(completed), {"visit_rating": 1}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "review_exists"
    assert Review.objects.get(booking=completed).visit_rating == 5


@pytest.mark.parametrize(
    "status", [Booking.Status.PENDING, Booking.Status.CONFIRMED, Booking.Status.PROCESSING, Booking.Status.CANCELLED]
)
def test_only_a_completed_booking_can_be_rated(customer, status):
    booking = CompletedBookingFactory(user=customer, status=status)

    response = client_for(customer).post(url(booking), {"visit_rating": 5}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_completed"
    assert not Review.objects.exists()


def test_another_customers_booking_and_review_are_404(completed):
    intruder = client_for(CompletedBookingFactory().user)
    ReviewFactory(booking=CompletedBookingFactory(user=completed.user))  # the owner's other, reviewed booking

    assert intruder.post(url(completed), {"visit_rating": 1}, format="json").status_code == 404
    assert intruder.get(url(completed)).status_code == 404
    reviewed = Review.objects.get()
    assert intruder.get(url(reviewed.booking)).status_code == 404
    assert intruder.patch(url(reviewed.booking), {"visit_rating": 1}, format="json").status_code == 404
    assert Review.objects.get().visit_rating == 5


def test_anonymous_is_401(api_client, completed):
    assert api_client.post(url(completed), {"visit_rating": 5}, format="json").status_code == 401
    assert api_client.get(url(completed)).status_code == 401


def test_unknown_booking_is_404(customer_client):
    assert customer_client.post("/api/v1/bookings/999999/review", {"visit_rating": 5}, format="json").status_code == 404


@pytest.mark.parametrize("field", ["visit_rating", "collector_rating"])
@pytest.mark.parametrize("value", [0, 6, "abc", -1, 4.5, True, ""])
def test_ratings_outside_1_to_5_are_400(customer_client, completed, field, value):
    body = {"visit_rating": 3, field: value}

    response = customer_client.post(url(completed), body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Review.objects.exists()


def test_visit_rating_is_required(customer_client, completed):
    response = customer_client.post(url(completed), {"comment": "Nice"}, format="json")

    assert response.status_code == 400
    assert "visit_rating" in response.json()


@pytest.mark.parametrize("rating", [1, 5])
def test_rating_bounds_are_accepted(customer_client, completed, rating):
    response = customer_client.post(url(completed), {"visit_rating": rating, "collector_rating": rating}, format="json")

    assert response.status_code == 201


def test_a_lab_visit_has_no_collector_to_rate(customer):
    booking = CompletedBookingFactory(user=customer, collection_type=CollectionType.LAB, address=None, address_text="")
    client = client_for(customer)

    refused = client.post(url(booking), {"visit_rating": 4, "collector_rating": 4}, format="json")
    accepted = client.post(url(booking), {"visit_rating": 4}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "collector_rating_not_applicable"
    assert accepted.status_code == 201
    review = Review.objects.get()
    assert review.collector is None
    assert review.collector_rating is None


def test_a_home_visit_without_a_collector_has_none_to_rate(customer):
    booking = CompletedBookingFactory(user=customer, collection_staff=None)

    response = client_for(customer).post(url(booking), {"visit_rating": 4, "collector_rating": 2}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "collector_rating_not_applicable"


def test_the_review_can_be_changed_within_7_days(customer_client, completed):
    customer_client.post(url(completed), {"visit_rating": 3, "comment": "Late."}, format="json")
    Review.objects.update(created_at=timezone.now() - datetime.timedelta(days=6, hours=23))

    response = customer_client.patch(url(completed), {"visit_rating": 4, "testimonial_consent": True}, format="json")

    assert response.status_code == 200, response.json()
    review = Review.objects.get()
    assert (review.visit_rating, review.comment, review.testimonial_consent) == (4, "Late.", True)


def test_the_review_is_locked_after_7_days(customer_client, completed):
    customer_client.post(url(completed), {"visit_rating": 3}, format="json")
    Review.objects.update(created_at=timezone.now() - datetime.timedelta(days=7, minutes=1))

    response = customer_client.patch(url(completed), {"visit_rating": 5}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "review_locked"
    assert Review.objects.get().visit_rating == 3


def test_a_patch_is_validated_too(customer_client, completed):
    customer_client.post(url(completed), {"visit_rating": 3}, format="json")

    assert customer_client.patch(url(completed), {"visit_rating": 0}, format="json").status_code == 400
    assert customer_client.patch(url(completed), {"collector_rating": "abc"}, format="json").status_code == 400
    assert Review.objects.get().visit_rating == 3


def test_patch_without_a_review_is_404(customer_client, completed):
    response = customer_client.patch(url(completed), {"visit_rating": 5}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize("comment", [5, ["a"], "x" * 2001])
def test_a_comment_must_be_text_of_at_most_2000_characters(customer_client, completed, comment):
    response = customer_client.post(url(completed), {"visit_rating": 4, "comment": comment}, format="json")

    assert response.status_code == 400
    assert "comment" in response.json()
