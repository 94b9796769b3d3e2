"""Trust boundary: what one customer can make the booking flow do (limits, idempotency keys, uploaded files)."""

import datetime
import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from billing.models import BillingRecord
from billing.services import payment_record
from bookings.models import Booking, CollectionSlot, PrescriptionUpload, TestReport
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionSlotFactory,
    PrescriptionUploadFactory,
    TestReportFactory,
)
from bookings.tests.test_admin_workflow import make_staff
from conftest import client_for, run_concurrently
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("bookings:booking-list")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def booked_places() -> int:
    return sum(CollectionSlot.objects.values_list("booked", flat=True))


class TestIdempotencyKey:
    @pytest.mark.parametrize(
        "key",
        ["k" * 81, "abc\x01def", "tab\there", "del\x7f", "caf\u00e9"],
        ids=["too-long", "control", "tab", "delete", "non-ascii"],
    )
    def test_a_bad_key_is_a_clear_400_and_books_nothing(self, customer_client, booking_setup, key):
        response = customer_client.post(
            BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key
        )

        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid_idempotency_key"
        assert Booking.objects.count() == 0
        assert booked_places() == 0

    def test_a_key_of_80_printable_characters_is_fine(self, customer_client, booking_setup):
        key = "K-" + "x" * 76 + " !"
        first = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY=key)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]

    @pytest.mark.parametrize(
        "change",
        [
            {"tests": "first-only"},
            {"collection_type": "lab", "address": None},
            {"notes": "Ring twice"},
            {"coupon_code": "SAVE"},
        ],
        ids=["tests", "collection-type", "notes", "coupon"],
    )
    def test_the_same_key_with_another_request_is_refused(self, customer_client, booking_setup, change):
        payload = booking_payload(booking_setup)
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
        if change.get("tests") == "first-only":
            change = {"tests": payload["tests"][:1]}
        other = customer_client.post(BOOKINGS, {**payload, **change}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")

        assert first.status_code == 201
        assert other.status_code == 422, other.content
        assert other.json()["code"] == "idempotency_key_reused"
        assert Booking.objects.count() == 1
        assert booked_places() == 1

    def test_the_same_request_with_the_same_key_is_still_a_replay(self, customer_client, booking_setup):
        payload = booking_payload(booking_setup, notes="Gate code 42")
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
        # The same fields in another order are the same request.
        reordered = dict(reversed(list(payload.items())))
        again = customer_client.post(BOOKINGS, reordered, format="json", HTTP_IDEMPOTENCY_KEY="order-2")

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()

    def test_a_booking_made_before_hashes_were_kept_matches_any_request(self, customer, customer_client, booking_setup):
        old = BookingFactory(user=customer, idempotency_key="legacy", idempotency_request_hash=None)

        again = customer_client.post(
            BOOKINGS, booking_payload(booking_setup), format="json", HTTP_IDEMPOTENCY_KEY="legacy"
        )

        assert again.status_code == 200, again.content
        assert again.json()["id"] == old.id


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` × ``height`` pixels (the CRCs are right)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def prescriptions_url(booking) -> str:
    return reverse("bookings:booking-prescriptions", args=[booking.id])


def upload(client, booking, data: bytes, name: str):
    file = io.BytesIO(data)
    file.name = name
    return client.post(prescriptions_url(booking), {"file": file}, format="multipart")


class TestImageBombs:
    def test_a_tiny_png_claiming_65535_squared_pixels_is_a_clear_400(self, customer, customer_client):
        booking = BookingFactory(user=customer)
        bomb = png_claiming(65535, 65535)
        assert len(bomb) < 100

        response = upload(customer_client, booking, bomb, "scan.png")

        assert response.status_code == 400, response.content
        assert response.json()["code"] == "image_too_large"
        assert PrescriptionUpload.objects.count() == 0

    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
    def test_an_image_over_the_pixel_limit_is_refused_even_where_pillow_only_warns(self, customer, customer_client):
        booking = BookingFactory(user=customer)

        response = upload(customer_client, booking, png_claiming(10_000, 10_000), "scan.png")

        assert response.status_code == 400
        assert response.json()["code"] == "image_too_large"
        assert PrescriptionUpload.objects.count() == 0


class TestStoredAndServedType:
    """The stored extension, the served Content-Type and the download name follow the content, not the name."""

    def test_a_pdf_uploaded_as_html_is_stored_and_served_to_staff_as_a_pdf(self, customer, customer_client):
        booking = BookingFactory(user=customer)

        response = upload(customer_client, booking, PDF, "evil.html")

        assert response.status_code == 201, response.content
        stored = PrescriptionUpload.objects.get()
        assert stored.file.name.endswith(".pdf")
        assert stored.file_name == "evil.html"  # shown as the customer named it
        download = staff_client().get(reverse("admin:bookings_prescriptionupload_download", args=[stored.pk]))
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="evil.pdf"'
        assert b"".join(download.streaming_content) == PDF

    def test_an_older_upload_stored_under_its_html_name_is_served_by_its_content(self, customer):
        legacy = PrescriptionUploadFactory(booking=BookingFactory(user=customer), file_name='c:\\x/my "rx";scan.html')
        name = default_storage.save("prescriptions/legacy/old.html", ContentFile(PDF))
        PrescriptionUpload.objects.filter(pk=legacy.pk).update(file=name)  # stored before names followed the type

        download = staff_client().get(reverse("admin:bookings_prescriptionupload_download", args=[legacy.pk]))

        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="my rxscan.pdf"'

    def test_content_of_no_accepted_type_is_served_as_bytes(self, customer):
        legacy = PrescriptionUploadFactory(booking=BookingFactory(user=customer), file_name="page.html")
        name = default_storage.save("prescriptions/legacy/page.html", ContentFile(b"<html><script>1</script></html>"))
        PrescriptionUpload.objects.filter(pk=legacy.pk).update(file=name)

        download = staff_client().get(reverse("admin:bookings_prescriptionupload_download", args=[legacy.pk]))

        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Disposition"] == 'attachment; filename="page.bin"'
        assert download["X-Content-Type-Options"] == "nosniff"

    def test_customer_report_download_takes_its_type_from_the_content(self, customer, customer_client):
        booking = BookingFactory(user=customer)
        item = BookingItemFactory(booking=booking)
        report = TestReportFactory(booking_item=item, status="delivered", report_file=ContentFile(PDF, name="r.html"))
        assert report.report_file.name.endswith(".pdf")
        name = default_storage.save("reports/legacy/r.html", ContentFile(PDF))
        TestReport.objects.filter(pk=report.pk).update(report_file=name)

        download = customer_client.get(reverse("bookings:report-download", args=[report.pk]))

        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].endswith(f'-v{report.version}.pdf"')


def staff_client() -> Client:
    client = Client()
    client.force_login(make_staff(StaffRole.LAB_TECH))
    return client


def same_day_slots(setup, count: int) -> list[int]:
    """``count`` more slots on the day of the setup's slot (later hours)."""
    day = setup["slot"].date
    return [
        CollectionSlotFactory(date=day, start_time=datetime.time(11 + n), end_time=datetime.time(12 + n)).pk
        for n in range(count)
    ]


class TestOpenBookingLimits:
    def test_one_customer_cannot_take_more_than_the_day_allows(
        self, customer, customer_client, booking_setup, settings
    ):
        settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY = 3
        settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0
        slots = [booking_setup["slot"].pk, *same_day_slots(booking_setup, 3)]
        pets = [PetFactory(user=customer) for _ in slots]
        made = [
            customer_client.post(BOOKINGS, booking_payload(booking_setup, pet=pet.pk, slot=slot), format="json")
            for pet, slot in zip(pets, slots, strict=True)
        ]

        assert [r.status_code for r in made] == [201, 201, 201, 409], made[-1].content
        assert made[-1].json()["code"] == "booking_limit"
        assert "3 open bookings" in made[-1].json()["detail"]
        assert Booking.objects.count() == 3
        assert booked_places() == 3
        # A cancelled booking no longer counts; another day is another count.
        cancel = reverse("bookings:booking-cancel", args=[made[0].json()["id"]])
        assert customer_client.post(cancel, {}, format="json").status_code == 200
        again = customer_client.post(
            BOOKINGS, booking_payload(booking_setup, pet=pets[3].pk, slot=slots[3]), format="json"
        )
        assert again.status_code == 201, again.content
        other_day = CollectionSlotFactory(date=booking_setup["slot"].date + datetime.timedelta(days=1))
        later = customer_client.post(BOOKINGS, booking_payload(booking_setup, slot=other_day.pk), format="json")
        assert later.status_code == 201, later.content

    def test_one_pet_cannot_take_more_than_the_day_allows(self, customer, customer_client, booking_setup, settings):
        settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 2
        slots = [booking_setup["slot"].pk, *same_day_slots(booking_setup, 2)]
        made = [
            customer_client.post(BOOKINGS, booking_payload(booking_setup, slot=slot), format="json") for slot in slots
        ]

        assert [r.status_code for r in made] == [201, 201, 409]
        assert made[-1].json()["code"] == "booking_limit"
        other_pet = PetFactory(user=customer)
        response = customer_client.post(
            BOOKINGS, booking_payload(booking_setup, pet=other_pet.pk, slot=slots[2]), format="json"
        )
        assert response.status_code == 201, response.content

    def test_a_replay_at_the_limit_still_gets_its_booking(self, customer_client, booking_setup, settings):
        settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 1
        payload = booking_payload(booking_setup)
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="only")
        again = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="only")

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_bookings_cannot_pass_the_limit(self, customer, booking_setup, settings):
        settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY = 3
        settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0
        slots = [booking_setup["slot"].pk, *same_day_slots(booking_setup, 7)]

        def book(slot):
            def call():
                response = client_for(customer).post(BOOKINGS, booking_payload(booking_setup, slot=slot), format="json")
                return response.status_code, response.json()

            return call

        results = run_concurrently([book(slot) for slot in slots])

        assert [status for status, _ in results].count(201) == 3, results
        assert {body["code"] for status, body in results if status != 201} == {"booking_limit"}
        assert Booking.objects.count() == 3
        assert booked_places() == 3


class TestPendingHold:
    def test_unpaid_pending_bookings_are_released_after_the_hold_time(
        self, customer, customer_client, booking_setup, settings
    ):
        settings.BOOKING_PENDING_HOLD_MINUTES = 60
        slots = [booking_setup["slot"].pk, *same_day_slots(booking_setup, 3)]
        ids = [
            customer_client.post(BOOKINGS, booking_payload(booking_setup, slot=slot), format="json").json()["id"]
            for slot in slots[:2]
        ]
        stale, paid = Booking.objects.get(pk=ids[0]), Booking.objects.get(pk=ids[1])
        payment_record(record=BillingRecord.objects.get(booking=paid), amount=Decimal("100.00"), method="upi")
        two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
        Booking.objects.filter(pk__in=ids).update(created_at=two_hours_ago)
        settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0
        fresh = customer_client.post(BOOKINGS, booking_payload(booking_setup, slot=slots[2]), format="json").json()
        assert booked_places() == 3

        out = io.StringIO()
        call_command("expire_pending", stdout=out, stderr=io.StringIO())

        assert "1 pending booking(s) cancelled" in out.getvalue()
        stale.refresh_from_db()
        assert (stale.status, stale.cancelled_by_role) == ("cancelled", "system")
        assert "within 1 hours" in stale.cancellation_reason
        assert BillingRecord.objects.get(booking=stale).status == "void"
        assert Booking.objects.get(pk=paid.pk).status == "pending"  # someone paid: never expired
        assert Booking.objects.get(pk=fresh["id"]).status == "pending"
        assert booked_places() == 2
        assert CollectionSlot.objects.get(pk=slots[0]).booked == 0


class TestUploadQuota:
    def test_files_per_booking_are_limited(self, customer, customer_client, settings):
        settings.PRESCRIPTION_MAX_FILES_PER_BOOKING = 3
        booking = BookingFactory(user=customer)

        made = [upload(customer_client, booking, PDF, f"rx{n}.pdf") for n in range(4)]

        assert [r.status_code for r in made] == [201, 201, 201, 400]
        assert made[-1].json()["code"] == "upload_quota"
        assert PrescriptionUpload.objects.count() == 3
        # Another booking has its own count.
        assert upload(customer_client, BookingFactory(user=customer), PDF, "rx.pdf").status_code == 201

    def test_bytes_per_booking_are_limited(self, customer, customer_client, settings):
        settings.PRESCRIPTION_MAX_BYTES_PER_BOOKING = 2 * len(PDF) + 10
        booking = BookingFactory(user=customer)

        made = [upload(customer_client, booking, PDF, f"rx{n}.pdf") for n in range(3)]

        assert [r.status_code for r in made] == [201, 201, 400]
        assert made[-1].json()["code"] == "upload_quota"

    def test_files_and_bytes_per_customer_per_day_are_limited(self, customer, customer_client, settings):
        settings.PRESCRIPTION_MAX_FILES_PER_CUSTOMER_PER_DAY = 2
        bookings = [BookingFactory(user=customer) for _ in range(3)]

        made = [upload(customer_client, booking, PDF, "rx.pdf") for booking in bookings]

        assert [r.status_code for r in made] == [201, 201, 400]
        assert made[-1].json()["code"] == "upload_quota"
        # Yesterday's uploads do not count today.
        PrescriptionUpload.objects.update(created_at=timezone.now() - datetime.timedelta(days=1))
        assert upload(customer_client, bookings[2], PDF, "rx.pdf").status_code == 201
        settings.PRESCRIPTION_MAX_BYTES_PER_CUSTOMER_PER_DAY = len(PDF)
        refused = upload(customer_client, bookings[2], PDF, "rx.pdf")
        assert (refused.status_code, refused.json()["code"]) == (400, "upload_quota")
        # Another customer has their own count.
        other = BookingFactory()
        assert upload(client_for(other.user), other, PDF, "rx.pdf").status_code == 201

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_uploads_to_one_booking_cannot_pass_the_limit(self, customer, settings):
        settings.PRESCRIPTION_MAX_FILES_PER_BOOKING = 2
        booking = BookingFactory(user=customer)

        def send():
            response = upload(client_for(customer), booking, PDF, "rx.pdf")
            return response.status_code, response.json()

        results = run_concurrently([send for _ in range(6)])

        assert [status for status, _ in results].count(201) == 2, results
        assert {body["code"] for status, body in results if status != 201} == {"upload_quota"}
        assert PrescriptionUpload.objects.count() == 2

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_uploads_to_several_bookings_cannot_pass_the_daily_limit(self, customer, settings):
        settings.PRESCRIPTION_MAX_FILES_PER_CUSTOMER_PER_DAY = 2
        bookings = [BookingFactory(user=customer) for _ in range(6)]

        def send(booking):
            return lambda: upload(client_for(customer), booking, PDF, "rx.pdf").status_code

        results = run_concurrently([send(booking) for booking in bookings])

        assert results.count(201) == 2, results
        assert PrescriptionUpload.objects.count() == 2
