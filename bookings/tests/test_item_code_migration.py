"""The item code migration gives every existing item its code (its booking's code and its number)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from catalog.tests.factories import LabTestFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("bookings", "0008_no_show_reason_collector_assignment")
AFTER = ("bookings", "0009_item_code_package")


def test_existing_items_get_their_codes():
    user, test, other = UserFactory(), LabTestFactory(), LabTestFactory()
    pet = PetFactory(user=user)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        apps = executor.loader.project_state([BEFORE]).apps
        Booking, BookingItem = apps.get_model("bookings", "Booking"), apps.get_model("bookings", "BookingItem")
        money = {"subtotal": Decimal("0.00"), "total_amount": Decimal("0.00")}
        day = datetime.date(2026, 12, 1)
        common = {"user_id": user.pk, "pet_id": pet.pk, "collection_type": "lab", "booking_date": day, **money}
        first = Booking.objects.create(code="DP-AAAAAA", **common)
        second = Booking.objects.create(code="DP-BBBBBB", **common)
        for booking, sequence, lab_test in ((first, 1, test), (first, 2, other), (second, 12, test)):
            BookingItem.objects.create(booking=booking, sequence=sequence, test_id=lab_test.pk, unit_price=0)

        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        apps = executor.loader.project_state([AFTER]).apps
        codes = apps.get_model("bookings", "BookingItem").objects.order_by("pk").values_list("code", flat=True)

        assert list(codes) == ["DP-AAAAAA-01", "DP-AAAAAA-02", "DP-BBBBBB-12"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
