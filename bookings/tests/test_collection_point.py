"""The home-collection charge follows where the samples were really taken, not a map pin moved to the clinic."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from billing.models import BillingRecord, Payment
from billing.tests.factories import BillingRecordFactory, DistancePricingConfigFactory
from bookings.models import Booking
from bookings.tests.conftest import CLINIC_LAT, CLINIC_LON
from bookings.tests.factories import BookingFactory, BookingItemFactory
from conftest import client_for
from promotions.models import Offer
from promotions.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

D = Decimal
# 0.08° north of the clinic ≈ 8.90 km (road factor 1): ₹50 + (8.90 − 3) × ₹10 = ₹109.00 under the `pricing` fixture.
FAR = (CLINIC_LAT + D("0.08"), CLINIC_LON)


@pytest.fixture
def collector(clinic, pricing):
    roles_setup()
    user = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    staff_set_role(user=user, role=StaffRole.COLLECTOR)
    return user


def home_visit(collector, *, pin, km, charge, bill_status=BillingRecord.Status.DRAFT, **money):
    booking = BookingFactory(
        collection_staff=collector,
        status=Booking.Status.CONFIRMED,
        booking_date=timezone.localdate(),  # collected on the visit's day only
        latitude=pin[0],
        longitude=pin[1],
        estimated_distance_km=D(km),
        distance_charge=D(charge),
        **money,
    )
    BookingItemFactory(booking=booking)
    BillingRecordFactory(booking=booking, status=bill_status)
    return booking


def collect_at(collector, booking, point, **extra):
    url = reverse("bookings:collection-collected", args=[booking.id])
    payload = {"latitude": str(point[0]), "longitude": str(point[1]), **extra}
    return client_for(collector).post(url, payload, format="json")


def test_pin_moved_to_the_clinic_is_charged_from_the_collection_point(collector):
    # The customer's pin sits on the clinic (0 km, free) but the collector takes the samples 8.9 km away.
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")

    response = collect_at(collector, booking, FAR, payment={"amount": "609.00", "method": "cash"})

    assert response.status_code == 200, response.json()
    assert response.json()["total"] == "609.00"
    assert response.json()["amount_due"] == "0.00"  # the door payment took the new total
    bill = BillingRecord.objects.get(booking=booking)
    assert (bill.distance_charge, bill.final_amount, bill.amount_paid) == (D("109.00"), D("609.00"), D("609.00"))
    assert bill.distance_note == (
        "Distance charge recomputed from the collection point (8.90 km from the address pin): "
        "0.00 km → 8.90 km, ₹0.00 → ₹109.00."
    )
    booking.refresh_from_db()
    assert (booking.distance_charge, booking.total_amount, booking.collection_pin_gap_km) == (
        D("109.00"),
        D("609.00"),
        D("8.90"),
    )
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(bill).filter(action=LogEntry.Action.UPDATE)]
    (recomputed,) = [c for c in changes if "distance_charge" in c]
    assert recomputed["distance_charge"] == ["0.00", "109.00"]
    assert recomputed["final_amount"] == ["500.00", "609.00"]
    notice = Notification.objects.get(user=booking.user, data__booking=booking.pk, kind=Notification.Kind.GENERAL)
    assert "₹0.00 → ₹109.00" in notice.body
    assert "now ₹609.00 (was ₹500.00)" in notice.body


def test_a_door_payment_of_the_old_total_leaves_the_new_charge_due(collector):
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")

    response = collect_at(collector, booking, FAR, payment={"amount": "500.00", "method": "upi"})

    assert response.json()["amount_due"] == "109.00"


def test_pin_placed_too_far_makes_the_customer_pay_less(collector):
    booking = home_visit(collector, pin=FAR, km="8.90", charge="109.00")
    near = (CLINIC_LAT + D("0.01"), CLINIC_LON)  # 1.11 km: in the free radius

    assert collect_at(collector, booking, near).status_code == 200

    bill = BillingRecord.objects.get(booking=booking)
    assert (bill.distance_charge, bill.final_amount) == (D("0.00"), D("500.00"))
    assert "8.90 km → 1.11 km, ₹109.00 → ₹0.00" in bill.distance_note


def test_within_the_tolerance_nothing_changes(collector):
    booking = home_visit(collector, pin=FAR, km="8.90", charge="109.00")
    nearby = (FAR[0] + D("0.005"), FAR[1])  # 0.56 km: GPS error, the car park

    assert collect_at(collector, booking, nearby).status_code == 200

    bill = BillingRecord.objects.get(booking=booking)
    assert (bill.distance_charge, bill.distance_note) == (D("109.00"), "")
    booking.refresh_from_db()
    assert booking.collection_pin_gap_km == D("0.56")
    assert not Notification.objects.filter(kind=Notification.Kind.GENERAL).exists()


def test_tolerance_is_a_setting(collector, settings):
    settings.COLLECTION_PIN_TOLERANCE_KM = D("10")
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")

    collect_at(collector, booking, FAR)

    assert BillingRecord.objects.get(booking=booking).distance_charge == D("0.00")


def test_a_collection_charge_offer_follows_the_new_charge(collector):
    offer = OfferFactory(
        applies_to=Offer.Target.COLLECTION_CHARGE, discount_value=D("50"), max_discount_amount=D("40.00")
    )
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00", offer=offer)

    collect_at(collector, booking, FAR)

    bill = BillingRecord.objects.get(booking=booking)
    # 50 % of ₹109.00, capped at ₹40.00.
    assert (bill.distance_charge, bill.discount_amount, bill.final_amount) == (D("109.00"), D("40.00"), D("569.00"))
    assert bill.distance_note.endswith("; discount ₹0.00 → ₹40.00.")


def test_a_bill_past_draft_is_flagged_not_changed(collector):
    booking = home_visit(
        collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00", bill_status=BillingRecord.Status.FINALIZED
    )

    assert collect_at(collector, booking, FAR).status_code == 200

    bill = BillingRecord.objects.get(booking=booking)
    assert (bill.distance_charge, bill.final_amount) == (D("0.00"), D("500.00"))
    assert bill.distance_note.endswith("Not applied: the bill is finalized. Staff to review.")
    booking.refresh_from_db()
    assert booking.total_amount == D("500.00")
    assert not Notification.objects.filter(kind=Notification.Kind.GENERAL).exists()
    assert not Payment.objects.exists()


def test_admin_shows_bookings_whose_pin_is_far_from_the_collection_point(collector):
    far = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")
    near = home_visit(collector, pin=FAR, km="8.90", charge="109.00")
    collect_at(collector, far, FAR)
    collect_at(collector, near, FAR)
    admin = StaffProfileFactory(role=StaffRole.ADMIN).user
    staff_set_role(user=admin, role=StaffRole.ADMIN)
    client = Client()
    client.force_login(admin)
    changelist = reverse("admin:bookings_booking_changelist")

    flagged = client.get(changelist, {"pin": "far"})
    assert [b.pk for b in flagged.context["cl"].result_list] == [far.pk]
    assert "⚠ 8.90" in flagged.content.decode()
    assert [b.pk for b in client.get(changelist, {"pin": "near"}).context["cl"].result_list] == [near.pk]
    page = client.get(reverse("admin:bookings_booking_change", args=[far.pk])).content.decode()
    assert "Pin far from the collection point: collected 8.90 km from the address pin" in page
    assert (
        "Pin far from the collection point"
        not in client.get(reverse("admin:bookings_booking_change", args=[near.pk])).content.decode()
    )


def test_the_pricing_in_force_when_the_booking_was_made_is_used(collector):
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")
    Booking.objects.filter(pk=booking.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    DistancePricingConfigFactory(effective_from=timezone.localdate(), base_charge=D("500.00"))  # from today

    collect_at(collector, booking, FAR)

    assert BillingRecord.objects.get(booking=booking).distance_charge == D("109.00")


def test_a_position_beyond_the_service_area_is_flagged_not_priced(collector):
    # A phone's bad fix (0, 0 lies in the Atlantic) would otherwise price a visit thousands of kilometres long.
    booking = home_visit(collector, pin=(CLINIC_LAT, CLINIC_LON), km="0.00", charge="0.00")

    response = collect_at(collector, booking, (D("0"), D("0")))

    assert response.status_code == 200, response.json()
    bill = BillingRecord.objects.get(booking=booking)
    booking.refresh_from_db()
    assert (bill.distance_charge, booking.distance_charge) == (D("0.00"), D("0.00"))
    assert bill.distance_note == ""
    assert booking.collection_pin_gap_km > 1000  # shown to staff as "pin far from collection point"
