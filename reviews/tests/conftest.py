import pytest

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from reviews.tests.factories import CompletedBookingFactory, collector_user


@pytest.fixture
def collector(db):
    return collector_user()


@pytest.fixture
def completed(customer, collector):
    """The customer's completed home visit."""
    return CompletedBookingFactory(user=customer, collection_staff=collector)


@pytest.fixture
def clinic_admins(db):
    return [StaffProfileFactory(role=StaffRole.ADMIN).user for _ in range(2)]
