"""The bookings admin by staff role: a collector sees only their visits (the roles: accounts/tests/test_roles.py)."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.factories import StaffUserFactory
from accounts.tests.staff import logged_in as _client
from accounts.tests.staff import staff_of as _staff
from bookings.tests.factories import BookingFactory


@pytest.mark.django_db
def test_collector_sees_only_bookings_assigned_to_them():
    collector = _staff(StaffRole.COLLECTOR)
    mine = BookingFactory(collection_staff=collector)
    BookingFactory(collection_staff=StaffUserFactory())
    BookingFactory()

    response = _client(collector).get(reverse("admin:bookings_booking_changelist"), {"day": "all"})

    assert [b.pk for b in response.context["cl"].result_list] == [mine.pk]
