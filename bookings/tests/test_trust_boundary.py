"""Trust boundary: what one customer can make the booking flow do (limits, idempotency keys, uploaded files)."""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from bookings.models import Booking, CollectionSlot, PrescriptionUpload, TestReport
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory, BookingItemFactory, PrescriptionUploadFactory, TestReportFactory
from bookings.tests.test_admin_workflow import make_staff

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
