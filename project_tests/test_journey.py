"""A customer's whole journey through the public API, as the mobile app walks it."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.tests.factories import DistancePricingConfigFactory
from bookings.models import Booking
from bookings.tests.factories import CollectionSlotFactory
from catalog.tests.factories import LabTestFactory, TestCategoryFactory
from clinic.tests.factories import ClinicInfoFactory
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    """The lab's side: clinic, distance pricing, a catalog, tomorrow's slots and a coupon."""
    ClinicInfoFactory()
    DistancePricingConfigFactory()
    haem = TestCategoryFactory(name="Haematology", slug="haematology")
    tests = [
        LabTestFactory(code="HEM-CBC", name="Complete Blood Count", category=haem, price=Decimal("450.00")),
        LabTestFactory(code="BIO-KFT", name="Kidney Panel", price=Decimal("900.00"), discounted_price=Decimal("750")),
    ]
    slot = CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=2))
    CouponFactory(
        code="WELCOME10", offer=OfferFactory(discount_value=Decimal("10"), max_discount_amount=Decimal("100"))
    )
    return {"tests": tests, "slot": slot}


def test_register_book_follow_and_cancel(lab):
    client = APIClient()
    # Register and log in (phone in a local format; email login works too).
    response = client.post(
        reverse("accounts:register"),
        {"phone": "98765 43210", "password": "Kib-ble-2026!", "full_name": "Asha Rao", "email": "asha@example.com"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["phone"] == "+919876543210"
    tokens = client.post(
        reverse("accounts:token"), {"username": "asha@example.com", "password": "Kib-ble-2026!"}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    # Address near the clinic and a pet.
    address = client.post(
        reverse("accounts:address-list"),
        {
            "label": "Home",
            "line1": "4th Cross, HAL 2nd Stage",
            "city": "Bengaluru",
            "postal_code": "560038",
            "latitude": "12.978000",
            "longitude": "77.641000",
        },
        format="json",
    ).json()
    assert address["is_default"] is True
    pet = client.post(
        reverse("pets:pet-list"),
        {
            "name": "Bruno",
            "species": "dog",
            "breed": "Indie",
            "sex": "male",
            "weight_kg": "18.40",
            "microchip_id": "0098123",
        },
        format="json",
    ).json()
    assert pet["microchip_id"] == "0098123"

    # Browse the catalog (public) and the slots.
    catalog = APIClient().get(reverse("catalog:test-list"), {"search": "blood"}).json()
    assert [t["code"] for t in catalog["results"]] == ["HEM-CBC"]
    slots = APIClient().get(reverse("bookings:slot-list"), {"date": lab["slot"].date.isoformat()}).json()
    assert slots[0]["remaining"] == 4

    order = {
        "pet": pet["id"],
        "tests": [t.id for t in lab["tests"]],
        "collection_type": "home",
        "address": address["id"],
        "slot": slots[0]["id"],
        "coupon_code": "welcome10",
        "notes": "Dog is anxious with strangers",
    }
    quote = client.post(reverse("bookings:booking-quote"), order, format="json").json()
    assert (quote["subtotal"], quote["discount"], quote["total"]) == ("1200.00", "100.00", "1100.00")
    assert quote["coupon"]["valid"] is True

    booking = client.post(reverse("bookings:booking-list"), order, format="json", HTTP_IDEMPOTENCY_KEY="j-1").json()
    assert (booking["status"], booking["total"], booking["coupon"]["code"]) == ("pending", "1100.00", "WELCOME10")

    # List, detail, QR, prescription.
    assert [b["id"] for b in client.get(reverse("bookings:booking-list")).json()["results"]] == [booking["id"]]
    detail = client.get(reverse("bookings:booking-detail", args=[booking["id"]])).json()
    assert [i["test_code"] for i in detail["items"]] == ["HEM-CBC", "BIO-KFT"]
    qr = client.get(reverse("bookings:booking-qr", args=[booking["id"]]))
    assert (qr.status_code, qr["Content-Type"]) == (200, "image/png")
    upload = io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    upload.name = "vet-note.pdf"
    response = client.post(
        reverse("bookings:booking-prescriptions", args=[booking["id"]]), {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()

    # Cancel: the slot place comes back.
    cancelled = client.post(
        reverse("bookings:booking-cancel", args=[booking["id"]]), {"reason": "Travelling"}, format="json"
    ).json()
    assert cancelled["status"] == "cancelled"
    assert (
        APIClient().get(reverse("bookings:slot-list"), {"date": lab["slot"].date.isoformat()}).json()[0]["remaining"]
        == 4
    )
    assert Booking.objects.get().billing_record.status == "void"
    inbox = client.get(reverse("accounts:notification-list")).json()["results"]
    assert [n["kind"] for n in inbox] == ["booking_cancelled", "booking_placed"]  # newest first

    # Refresh rotation, then logout: the old refresh tokens stop working.
    rotated = client.post(reverse("accounts:token-refresh"), {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    reused = client.post(reverse("accounts:token-refresh"), {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    new_refresh = rotated.json()["refresh"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated.json()['access']}")
    assert client.post(reverse("accounts:logout"), {"refresh": new_refresh}, format="json").status_code == 204
    after = APIClient().post(reverse("accounts:token-refresh"), {"refresh": new_refresh}, format="json")
    assert after.status_code == 401
