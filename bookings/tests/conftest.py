import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import AddressFactory
from billing.tests.factories import DistancePricingConfigFactory
from bookings.tests.factories import CollectionSlotFactory
from catalog.tests.factories import LabTestFactory
from clinic.tests.factories import ClinicInfoFactory
from pets.tests.factories import PetFactory

# The demo clinic sits at (12.9716, 77.64); 0.01° of latitude ≈ 1.112 km.
CLINIC_LAT, CLINIC_LON = Decimal("12.971600"), Decimal("77.640000")


@pytest.fixture
def clinic(db):
    return ClinicInfoFactory(road_factor=Decimal("1.00"))


@pytest.fixture
def pricing(db):
    """₹50 + ₹10/km beyond 3 km; home collection up to 25 km."""
    return DistancePricingConfigFactory()


@pytest.fixture
def slot(db):
    return CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=2), start_time=datetime.time(9), end_time=datetime.time(10)
    )


@pytest.fixture
def lab_tests(db):
    return [
        LabTestFactory(code="HEM-CBC", name="Complete Blood Count", price=Decimal("450.00")),
        LabTestFactory(code="BIO-LFT", name="Liver Panel", price=Decimal("900.00"), discounted_price=Decimal("800.00")),
        LabTestFactory(code="END-T4", name="Total T4", price=Decimal("650.00")),
    ]


@pytest.fixture
def pet(customer):
    return PetFactory(user=customer)


@pytest.fixture
def near_address(customer):
    """About 1.1 km north of the clinic: inside the free radius."""
    return AddressFactory(user=customer, latitude=CLINIC_LAT + Decimal("0.01"), longitude=CLINIC_LON, is_default=True)


@pytest.fixture
def far_address(customer):
    """About 8.9 km north of the clinic: charged."""
    return AddressFactory(user=customer, latitude=CLINIC_LAT + Decimal("0.08"), longitude=CLINIC_LON)


@pytest.fixture
def booking_setup(clinic, pricing, slot, lab_tests, pet, near_address):
    """Everything a customer needs to book: clinic, pricing, a slot, tests, a pet and an address."""
    return {
        "clinic": clinic,
        "pricing": pricing,
        "slot": slot,
        "tests": lab_tests,
        "pet": pet,
        "address": near_address,
    }


def booking_payload(setup, **overrides) -> dict:
    payload = {
        "pet": setup["pet"].id,
        "tests": [t.id for t in setup["tests"][:2]],
        "collection_type": "home",
        "address": setup["address"].id,
        "slot": setup["slot"].id,
    }
    payload.update(overrides)
    return payload
