"""A pet its owner deletes (deactivates) keeps its bookings: the booking history is never cascaded away."""

import pytest

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_pet_keeps_its_bookings(customer, customer_client):
    pet = PetFactory(user=customer)
    booking = BookingFactory(user=customer, pet=pet)

    response = customer_client.delete(f"/api/v1/pets/{pet.pk}/")

    assert response.status_code == 204
    assert Booking.objects.filter(pk=booking.pk, pet=pet).exists()
    assert customer_client.get(f"/api/v1/bookings/{booking.pk}/").status_code == 200
