"""The customer booking API: quote, book, list, detail, QR, prescriptions, cancel — and every refusal."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import AddressFactory, StaffUserFactory, UserFactory
from billing.models import BillingRecord
from billing.tests.factories import BillingRecordFactory, PaymentFactory
from bookings.models import Booking, BookingItem, CollectionSlot, PrescriptionUpload
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from catalog.tests.factories import LabTestFactory, TestCategoryFactory
from conftest import client_for
from pets.tests.factories import PetFactory
from promotions.models import CouponRedemption
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db

QUOTE = reverse("bookings:booking-quote")
BOOKINGS = reverse("bookings:booking-list")


def detail(booking_id):
    return reverse("bookings:booking-detail", args=[booking_id])


def counts():
    return (
        Booking.objects.count(),
        BookingItem.objects.count(),
        BillingRecord.objects.count(),
        CouponRedemption.objects.count(),
        sum(CollectionSlot.objects.values_list("booked", flat=True)),
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class TestQuote:
    def test_quote_prices_from_the_server(self, customer_client, booking_setup):
        payload = booking_payload(booking_setup, price="1.00", total="1.00", distance_km="0")
        response = customer_client.post(QUOTE, payload, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        # CBC 450 + LFT at its discounted 800; 1.1 km is inside the 3 km free radius.
        assert body["subtotal"] == "1250.00"
        assert body["discount"] == "0.00"
        assert body["distance_km"] == "1.11"
        assert body["distance_charge"] == "0.00"
        assert body["total"] == "1250.00"
        assert [i["unit_price"] for i in body["items"]] == ["450.00", "800.00"]
        assert body["coupon"] is None
        assert Booking.objects.count() == 0

    def test_far_address_pays_distance_charge(self, customer_client, booking_setup, far_address):
        payload = booking_payload(booking_setup, address=far_address.id)
        body = customer_client.post(QUOTE, payload, format="json").json()
        # 8.90 km: 50 + (8.90 − 3) × 10 = 109.00
        assert (body["distance_km"], body["distance_charge"], body["total"]) == ("8.90", "109.00", "1359.00")

    def test_lab_visit_has_no_distance(self, customer_client, booking_setup):
        payload = booking_payload(booking_setup, collection_type="lab", address=None)
        body = customer_client.post(QUOTE, payload, format="json").json()
        assert (body["distance_km"], body["distance_charge"], body["total"]) == (None, "0.00", "1250.00")

    def test_quote_reports_coupon_verdict(self, customer_client, booking_setup):
        CouponFactory(code="WELCOME10", offer=OfferFactory(discount_value=Decimal("10"), max_discount_amount=None))
        body = customer_client.post(
            QUOTE, booking_payload(booking_setup, coupon_code="welcome10"), format="json"
        ).json()
        assert body["coupon"]["valid"] is True
        assert body["coupon"]["applied"] is True
        assert body["coupon"]["discount"] == "125.00"
        assert body["total"] == "1125.00"

        body = customer_client.post(QUOTE, booking_payload(booking_setup, coupon_code="NOPE"), format="json").json()
        assert body["coupon"] == {
            "code": "NOPE",
            "valid": False,
            "reason": "not_found",
            "message": "This coupon code does not exist.",
            "discount": "0.00",
            "applied": False,
        }

    def test_quote_needs_authentication(self, api_client, booking_setup):
        assert api_client.post(QUOTE, booking_payload(booking_setup), format="json").status_code == 401


class TestCreate:
    def test_book_with_coupon_writes_everything_in_one_go(self, customer, customer_client, booking_setup):
        coupon = CouponFactory(code="SAVE100", offer=OfferFactory(discount_type="fixed_amount", discount_value=100))
        response = customer_client.post(BOOKINGS, booking_payload(booking_setup, coupon_code="save100"), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["code"].startswith("DP-")
        assert body["status"] == "pending"
        assert (body["subtotal"], body["discount"], body["total"]) == ("1250.00", "100.00", "1150.00")
        assert body["coupon"]["code"] == "SAVE100"
        assert len(body["items"]) == 2

        booking = Booking.objects.get(pk=body["id"])
        assert booking.user == customer
        assert list(booking.items.values_list("unit_price", flat=True)) == [Decimal("450.00"), Decimal("800.00")]
        record = booking.billing_record
        assert (record.status, record.final_amount, record.billing_period) == (
            "draft",
            Decimal("1150.00"),
            f"{booking.booking_date:%Y-%m}",
        )
        assert set(record.tests.values_list("id", flat=True)) == {t.id for t in booking_setup["tests"][:2]}
        coupon.refresh_from_db()
        assert coupon.current_uses == 1
        assert booking.coupon_redemption.discount_amount == Decimal("100.00")
        booking_setup["slot"].refresh_from_db()
        assert booking_setup["slot"].booked == 1

    def test_idempotency_key_returns_the_same_booking(self, customer_client, booking_setup):
        payload = booking_payload(booking_setup)
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
        again = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert Booking.objects.count() == 1
        other = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
        assert other.status_code == 201
        assert Booking.objects.count() == 2

    def test_a_replay_gets_its_booking_even_when_the_rules_would_now_refuse_it(self, customer_client, booking_setup):
        slot = booking_setup["slot"]
        slot.capacity = 1
        slot.save()
        payload = booking_payload(booking_setup)
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="last-place")
        # The booking took the slot's last place; a retry of the same request must not be told the slot is full.
        again = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="last-place")
        other = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="another")

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert other.status_code == 409
        assert other.json()["code"] == "slot_full"
        assert Booking.objects.count() == 1
        slot.refresh_from_db()
        assert slot.booked == 1

    def test_a_booking_code_already_taken_is_drawn_again(self, customer_client, booking_setup, monkeypatch):
        taken = BookingFactory(code="DP-TAKEN1")
        draws = iter(["DP-TAKEN1", "DP-FRESH2"])  # the random draw, made to collide once
        monkeypatch.setattr("bookings.services.booking.booking_code_new", lambda: next(draws))

        response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")

        assert response.status_code == 201, response.json()
        assert response.json()["code"] == "DP-FRESH2"
        assert Booking.objects.exclude(pk=taken.pk).get().code == "DP-FRESH2"
        booking_setup["slot"].refresh_from_db()
        assert booking_setup["slot"].booked == 1  # the failed attempt took nothing

    def test_same_key_from_another_user_is_another_booking(self, customer_client, booking_setup):
        customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY="k")
        other = UserFactory()
        setup = dict(booking_setup, pet=PetFactory(user=other), address=AddressFactory(user=other))
        response = client_for(other).post(BOOKINGS, booking_payload(setup), format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 201
        assert Booking.objects.count() == 2

    def test_client_cannot_set_prices_status_or_user(self, customer, customer_client, booking_setup):
        other = UserFactory()
        payload = booking_payload(
            booking_setup,
            status="completed",
            user=other.id,
            subtotal="1.00",
            total="1.00",
            discount="1000",
            distance_charge="0",
            unit_price="1.00",
        )
        body = customer_client.post(BOOKINGS, payload, format="json").json()
        booking = Booking.objects.get(pk=body["id"])
        assert (booking.status, booking.user, booking.total_amount) == ("pending", customer, Decimal("1250.00"))

    def test_full_slot_is_refused(self, customer_client, booking_setup):
        CollectionSlot.objects.filter(pk=booking_setup["slot"].pk).update(capacity=1, booked=1)
        before = counts()
        response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "slot_full"
        assert counts() == before

    @pytest.mark.parametrize(
        ("change", "status", "code"),
        [
            ({"tests": []}, 400, "no_tests"),
            ({"tests": "dup"}, 400, "duplicate_tests"),
            ({"tests": [999999]}, 400, "invalid_tests"),
            ({"tests": "inactive"}, 400, "test_unavailable"),
            ({"tests": "inactive_category"}, 400, "test_unavailable"),
            ({"tests": "dog_only"}, 400, "test_not_for_species"),
            ({"pet": "other"}, 400, "invalid_pet"),
            ({"pet": "inactive"}, 400, "invalid_pet"),
            ({"pet": "deceased"}, 400, "pet_deceased"),
            ({"address": "other"}, 400, "invalid_address"),
            ({"address": None}, 400, "address_required"),
            ({"address": "unlocated"}, 400, "address_not_located"),
            ({"address": "too_far"}, 400, "beyond_service_area"),
            ({"slot": 999999}, 400, "invalid_slot"),
            ({"slot": "past"}, 400, "slot_in_past"),
            ({"collection_type": "drone"}, 400, None),
            ({"pet": "abc"}, 400, None),
            ({"coupon_code": "NOPE"}, 400, "coupon_not_found"),
            ({"coupon_code": "expired"}, 400, "coupon_expired"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_written(self, customer_client, booking_setup, change, status, code):
        other = UserFactory()
        tests = booking_setup["tests"]
        resolve = {
            "dup": [tests[0].id, tests[0].id],
            "inactive": [LabTestFactory(is_active=False).id],
            "inactive_category": [LabTestFactory(category=TestCategoryFactory(is_active=False)).id],
            # The pet is a dog: a bird-only test is not for it.
            "dog_only": [tests[0].id, LabTestFactory(species=["bird"]).id],
            "other": None,
            "unlocated": AddressFactory(user=booking_setup["pet"].user, latitude=None, longitude=None).id,
            "too_far": AddressFactory(user=booking_setup["pet"].user, latitude=Decimal("13.5"), longitude=77).id,
            "past": CollectionSlotFactory(date=timezone.localdate() - datetime.timedelta(days=1)).id,
            "expired": CouponFactory(end_at=timezone.now() - datetime.timedelta(hours=1)).code,
        }
        key, value = next(iter(change.items()))
        if value == "other":
            value = PetFactory(user=other).id if key == "pet" else AddressFactory(user=other).id
        elif value == "inactive" and key == "pet":
            value = PetFactory(user=booking_setup["pet"].user, is_active=False).id
        elif value == "deceased":
            value = PetFactory(user=booking_setup["pet"].user, is_deceased=True).id
        elif isinstance(value, str) and value in resolve:
            value = resolve[value]
        before = counts()
        response = customer_client.post(BOOKINGS, booking_payload(booking_setup, **{key: value}), format="json")
        assert response.status_code == status, response.json()
        body = response.json()
        if code:
            assert body["code"] == code
            assert body["detail"]
        else:
            assert key in body
        assert counts() == before

    def test_unknown_body_shape_is_a_clear_400(self, customer_client, booking_setup):
        response = customer_client.post(BOOKINGS, {"tests": "not-a-list"}, format="json")
        assert response.status_code == 400
        assert {"pet", "tests", "collection_type", "slot"} <= set(response.json())


class TestReadAndCancel:
    def _book(self, client, setup, **overrides):
        response = client.post(BOOKINGS, booking_payload(setup, **overrides), format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    def test_list_and_detail_show_only_my_bookings(self, customer_client, booking_setup):
        mine = self._book(customer_client, booking_setup)
        theirs = BookingFactory()
        listing = customer_client.get(BOOKINGS).json()
        assert [b["id"] for b in listing["results"]] == [mine["id"]]
        assert customer_client.get(detail(mine["id"])).json()["code"] == mine["code"]
        assert customer_client.get(detail(theirs.id)).status_code == 404

    def test_list_filters(self, customer, customer_client, booking_setup):
        first = self._book(customer_client, booking_setup)
        other_pet = PetFactory(user=customer)
        second = self._book(customer_client, booking_setup, pet=other_pet.id)
        customer_client.post(reverse("bookings:booking-cancel", args=[first["id"]]), {}, format="json")
        ids = lambda params: [b["id"] for b in customer_client.get(BOOKINGS, params).json()["results"]]  # noqa: E731
        assert ids({"status": "cancelled"}) == [first["id"]]
        assert ids({"pet": other_pet.id}) == [second["id"]]
        day = booking_setup["slot"].date
        assert len(ids({"date_from": day.isoformat(), "date_to": day.isoformat()})) == 2
        assert ids({"date_from": (day + datetime.timedelta(days=1)).isoformat()}) == []
        assert customer_client.get(BOOKINGS, {"status": "nonsense"}).status_code == 400

    def test_list_query_count_is_constant(self, customer, customer_client, django_assert_max_num_queries):
        BookingItemFactory(booking=BookingFactory(user=customer, coupon=CouponFactory()))
        with django_assert_max_num_queries(4) as one:  # user, count, page, items
            assert len(customer_client.get(BOOKINGS).json()["results"]) == 1
        for _ in range(49):
            booking = BookingFactory(user=customer, coupon=CouponFactory())
            BookingItemFactory(booking=booking)
            BookingItemFactory(booking=booking)
            # A bill with a payment and a refund: payment_status reads them in the page's query.
            PaymentFactory(billing_record=BillingRecordFactory(booking=booking, amount_paid=Decimal("100.00")))
            PaymentFactory(billing_record=booking.billing_record, kind="refund", amount=Decimal("50.00"))
        with django_assert_max_num_queries(len(one.captured_queries)):
            response = customer_client.get(BOOKINGS, {"page_size": 50})
        assert len(response.json()["results"]) == 50

    def test_page_size_is_capped(self, customer, customer_client):
        for _ in range(3):
            BookingFactory(user=customer)
        response = customer_client.get(BOOKINGS, {"page_size": 100000})
        assert response.status_code == 200
        assert len(response.json()["results"]) == 3  # cap is 100; all three fit

    def test_qr_is_a_png_of_the_code(self, customer_client, booking_setup):
        booking = self._book(customer_client, booking_setup)
        response = customer_client.get(reverse("bookings:booking-qr", args=[booking["id"]]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).format == "PNG"
        assert customer_client.get(reverse("bookings:booking-qr", args=[BookingFactory().id])).status_code == 404

    def test_cancel_releases_slot_coupon_and_voids_bill(self, customer_client, booking_setup):
        coupon = CouponFactory(code="HALF", max_uses=1)
        booking = self._book(customer_client, booking_setup, coupon_code="HALF")
        slot = booking_setup["slot"]
        slot.refresh_from_db()
        assert slot.booked == 1
        response = customer_client.post(
            reverse("bookings:booking-cancel", args=[booking["id"]]), {"reason": "Pet is unwell"}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "cancelled"
        slot.refresh_from_db()
        coupon.refresh_from_db()
        row = Booking.objects.get(pk=booking["id"])
        assert slot.booked == 0
        assert coupon.current_uses == 0
        assert row.coupon_redemption.released_at is not None
        assert row.billing_record.status == "void"
        assert (row.cancelled_by_role, row.cancellation_reason) == ("customer", "Pet is unwell")
        assert set(row.items.values_list("status", flat=True)) == {"cancelled"}
        assert row.user.notifications.filter(kind="booking_cancelled").count() == 1
        # The coupon (max_uses=1) can be used again.
        again = customer_client.post(BOOKINGS, booking_payload(booking_setup, coupon_code="HALF"), format="json")
        assert again.status_code == 201
        # Cancelling twice is a conflict, not a second release.
        second = customer_client.post(reverse("bookings:booking-cancel", args=[booking["id"]]), {}, format="json")
        assert second.status_code == 409
        assert second.json()["code"] == "invalid_transition"

    def test_cancel_after_cutoff_is_refused(self, customer_client, booking_setup):
        slot = booking_setup["slot"]
        soon = timezone.localtime() + datetime.timedelta(hours=1)
        CollectionSlot.objects.filter(pk=slot.pk).update(
            date=soon.date(), start_time=soon.time().replace(microsecond=0), end_time=datetime.time(23, 59, 59)
        )
        booking = self._book(customer_client, booking_setup)
        response = customer_client.post(reverse("bookings:booking-cancel", args=[booking["id"]]), {}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "cancellation_cutoff_passed"
        assert Booking.objects.get(pk=booking["id"]).status == "pending"

    def test_cannot_cancel_someone_elses_booking(self, customer_client):
        theirs = BookingFactory()
        response = customer_client.post(reverse("bookings:booking-cancel", args=[theirs.id]), {}, format="json")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == "pending"


class TestPrescriptions:
    def url(self, booking_id):
        return reverse("bookings:booking-prescriptions", args=[booking_id])

    def test_upload_and_list(self, customer, customer_client):
        booking = BookingFactory(user=customer)
        for name, data in (("scan.pdf", PDF), ("photo.png", png_bytes())):
            upload = io.BytesIO(data)
            upload.name = name
            response = customer_client.post(self.url(booking.id), {"file": upload}, format="multipart")
            assert response.status_code == 201, response.json()
        listing = customer_client.get(self.url(booking.id)).json()
        assert {p["file_type"] for p in listing} == {"application/pdf", "image/png"}
        stored = PrescriptionUpload.objects.get(file_name="scan.pdf")
        assert "scan" not in stored.file.name  # random stored name
        assert stored.file.name.endswith(".pdf")

    @pytest.mark.parametrize(
        ("name", "data", "code"),
        [
            ("report.pdf", b"<html><script>alert(1)</script></html>", "unsupported_file_type"),
            ("empty.pdf", b"", None),
            ("fake.png", b"\x89PNG\r\n\x1a\n<html>not an image</html>" + b"x" * 64, "unsupported_file_type"),
            ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n", "file_too_large"),
        ],
    )
    def test_bad_files_are_refused(self, customer, customer_client, name, data, code):
        booking = BookingFactory(user=customer)
        upload = io.BytesIO(data)
        upload.name = name
        response = customer_client.post(self.url(booking.id), {"file": upload}, format="multipart")
        assert response.status_code == 400
        if code:
            assert response.json()["code"] == code
        assert PrescriptionUpload.objects.count() == 0

    def test_other_users_booking_is_404(self, customer_client):
        theirs = BookingFactory()
        upload = io.BytesIO(PDF)
        upload.name = "x.pdf"
        assert customer_client.post(self.url(theirs.id), {"file": upload}, format="multipart").status_code == 404
        assert customer_client.get(self.url(theirs.id)).status_code == 404
        assert PrescriptionUpload.objects.count() == 0


def test_staff_cancelling_their_own_booking_in_the_customer_api_follow_customer_rules(booking_setup):
    """The customer API applies the customer's cutoff even to a staff member's own booking."""
    staff_customer = StaffUserFactory()
    setup = dict(booking_setup, pet=PetFactory(user=staff_customer), address=AddressFactory(user=staff_customer))
    setup["address"].latitude, setup["address"].longitude = (
        booking_setup["address"].latitude,
        booking_setup["address"].longitude,
    )
    setup["address"].save()
    client = client_for(staff_customer)
    soon = timezone.localtime() + datetime.timedelta(hours=1)
    CollectionSlot.objects.filter(pk=booking_setup["slot"].pk).update(
        date=soon.date(), start_time=soon.time().replace(microsecond=0), end_time=datetime.time(23, 59, 59)
    )
    booking = client.post(BOOKINGS, booking_payload(setup), format="json").json()
    response = client.post(reverse("bookings:booking-cancel", args=[booking["id"]]), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "cancellation_cutoff_passed"
