"""The bookings admin by staff role: a collector sees only their visits (the roles: accounts/tests/test_roles.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole, User
from accounts.roles import staff_create
from accounts.tests.factories import StaffUserFactory
from bookings.tests.factories import BookingFactory

PASSWORD = "Vet-lab-2026!"


def _staff(role: str, phone: str = "+919800000001") -> User:
    return staff_create(phone=phone, full_name=f"A {role}", role=role, password=PASSWORD)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_collector_sees_only_bookings_assigned_to_them():
    collector = _staff(StaffRole.COLLECTOR)
    mine = BookingFactory(collection_staff=collector)
    BookingFactory(collection_staff=StaffUserFactory())
    BookingFactory()

    response = _client(collector).get(reverse("admin:bookings_booking_changelist"), {"day": "all"})

    assert [b.pk for b in response.context["cl"].result_list] == [mine.pk]
