"""Fixtures of the reliability suites: a populated world (a customer with their own pet, address, bookings, a
delivered report and notifications; staff of every role), real JWTs, and throttles raised so that hundreds of
requests in one test measure the API rather than the rate limiter."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import StaffRole
from accounts.tests.factories import AddressFactory, NotificationFactory, StaffProfileFactory, UserFactory
from billing.tests.factories import BillingRecordFactory, DistancePricingConfigFactory
from bookings.models import Booking
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionSlotFactory,
    TestReportFactory,
)
from catalog.tests.factories import LabTestFactory
from clinic.tests.factories import ClinicInfoFactory
from conftest import run_concurrently  # noqa: F401 - re-exported for the suites
from pets.tests.factories import PetFactory

HIGH_RATES = {"anon": "100000/min", "user": "100000/min", "auth": "100000/min", "otp": "100000/min"}
CLINIC_LAT, CLINIC_LON = Decimal("12.971600"), Decimal("77.640000")


@pytest.fixture(autouse=True)
def _high_throttle_rates(settings, monkeypatch):
    """Raise every throttle rate for these suites.

    The accounts throttles read ``DEFAULT_THROTTLE_RATES`` per request (the settings override reaches them); DRF's
    ``AnonRateThrottle``/``UserRateThrottle`` read ``SimpleRateThrottle.THROTTLE_RATES``, a copy taken at import,
    so that class attribute is patched too. Tests that exercise throttling lower the rates themselves.
    """
    rest = settings.REST_FRAMEWORK
    rates = {**rest["DEFAULT_THROTTLE_RATES"], **HIGH_RATES}
    settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def bearer(user) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def staff(role: str):
    return StaffProfileFactory(role=role).user


def make_world() -> dict:
    """Clinic, pricing, a slot, tests; a customer with a pet, an address near the clinic, a pending booking (with
    its draft bill), a delivered report and a notification; an admin, an analyst, a lab tech and two collectors,
    one of them with a confirmed visit today."""
    clinic = ClinicInfoFactory(road_factor=Decimal("1.00"))
    pricing = DistancePricingConfigFactory()
    slot = CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=2), start_time=datetime.time(9), end_time=datetime.time(10)
    )
    tests = [LabTestFactory(price=Decimal("450.00")), LabTestFactory(price=Decimal("900.00"))]
    customer = UserFactory()
    pet = PetFactory(user=customer)
    address = AddressFactory(
        user=customer, latitude=CLINIC_LAT + Decimal("0.01"), longitude=CLINIC_LON, is_default=True
    )
    pending = BookingFactory(
        user=customer, pet=pet, address=address, slot=slot, booking_date=slot.date, status=Booking.Status.PENDING
    )
    BookingItemFactory(booking=pending, test=tests[0])
    BillingRecordFactory(booking=pending)
    done = BookingFactory(user=customer, pet=pet, status=Booking.Status.PROCESSING)
    report = TestReportFactory(
        booking_item=BookingItemFactory(booking=done, test=tests[1]),
        status="delivered",
        report_file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="r.pdf"),
    )
    notification = NotificationFactory(user=customer)
    collector, other_collector = staff(StaffRole.COLLECTOR), staff(StaffRole.COLLECTOR)
    visit = BookingFactory(
        collection_staff=collector, status=Booking.Status.CONFIRMED, booking_date=timezone.localdate()
    )
    BookingItemFactory(booking=visit)
    BillingRecordFactory(booking=visit)
    return {
        "clinic": clinic,
        "pricing": pricing,
        "slot": slot,
        "tests": tests,
        "customer": customer,
        "pet": pet,
        "address": address,
        "booking": pending,
        "report": report,
        "notification": notification,
        "admin": staff(StaffRole.ADMIN),
        "analyst": staff(StaffRole.ANALYST),
        "lab_tech": staff(StaffRole.LAB_TECH),
        "collector": collector,
        "other_collector": other_collector,
        "visit": visit,
    }


@pytest.fixture
def world(db) -> dict:
    return make_world()


@pytest.fixture
def wsgi_world(db) -> dict:
    """The world, for tests that call the WSGI application directly (schemathesis) rather than the test client.

    A WSGI request ends with close_old_connections(), which would close the test's transaction under it; the Django
    test client disconnects it the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_world()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
