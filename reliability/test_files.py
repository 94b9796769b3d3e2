"""Hostile uploads and private downloads, beyond bookings/tests/test_booking_api.py: every bad file is refused with
a 4xx, no row is written and nothing lands on disk (MEDIA_ROOT stays empty); a good file is stored under a random
name whatever the client called it; downloads are always attachments that browsers must not sniff."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from bookings.models import PrescriptionUpload
from bookings.tests.factories import BookingFactory, BookingItemFactory, TestReportFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, booking, name: str, data: bytes, content_type: str = "application/pdf"):
    file = io.BytesIO(data)
    file.name = name
    url = reverse("bookings:booking-prescriptions", args=[booking.id])
    return client.post(url, {"file": file}, format="multipart")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("scan.pdf", b"", id="zero-byte"),
        pytest.param("scan.pdf", b"<html><body>hi</body></html>", id="html-named-pdf"),
        pytest.param("photo.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", id="png-header-html"),
        pytest.param("scan.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>", id="pdf-header-html-no-eof"),
        pytest.param("photo.jpg", b"\xff\xd8\xff\xe0" + b"<svg onload=alert(1)>" * 10, id="jpeg-header-svg"),
        pytest.param("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"),
        pytest.param("x.exe", b"MZ\x90\x00" + b"\x00" * 200, id="windows-exe"),
        pytest.param("x.zip", b"PK\x03\x04" + b"\x00" * 200, id="zip"),
        pytest.param("../../etc/passwd.pdf", b"root:x:0:0:root:/root:/bin/bash\n", id="traversal-not-a-pdf"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(name, data):
    booking = BookingFactory()
    response = upload(client_for(booking.user), booking, name, data)
    assert response.status_code == 400, response.content
    body = response.json()
    # A business refusal carries its code; DRF's own "The submitted file is empty." names the field.
    assert body.get("code") in {"empty_file", "unsupported_file_type"} or "file" in body, body
    assert PrescriptionUpload.objects.count() == 0
    assert stored_files() == []


def test_oversized_file_is_refused_before_anything_is_stored(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    booking = BookingFactory()
    response = upload(client_for(booking.user), booking, "big.pdf", b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n")
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert PrescriptionUpload.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/cron.d/evil.pdf", "a/../../b.pdf", "%2e%2e%2fx.pdf"],
)
def test_a_good_file_with_a_traversal_name_is_stored_inside_media_under_a_random_name(name):
    booking = BookingFactory()
    response = upload(client_for(booking.user), booking, name, PDF)
    assert response.status_code == 201, response.content
    stored = PrescriptionUpload.objects.get()
    media = Path(settings.MEDIA_ROOT).resolve()
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(media)
    assert ".." not in stored.file.name
    for client_part in ("passwd", "win.ini", "evil"):
        assert client_part not in stored.file.name
    assert stored_files() == [path]


def test_no_file_field_is_a_400():
    booking = BookingFactory()
    url = reverse("bookings:booking-prescriptions", args=[booking.id])
    response = client_for(booking.user).post(url, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert PrescriptionUpload.objects.count() == 0


def test_json_body_instead_of_a_file_is_a_4xx():
    booking = BookingFactory()
    url = reverse("bookings:booking-prescriptions", args=[booking.id])
    response = client_for(booking.user).post(url, {"file": "../../etc/passwd"}, format="json")
    assert response.status_code in (400, 415)
    assert PrescriptionUpload.objects.count() == 0
    assert stored_files() == []


def test_a_png_is_accepted_and_listed_without_its_disk_path():
    booking = BookingFactory()
    client = client_for(booking.user)
    assert upload(client, booking, "photo.png", png_bytes()).status_code == 201
    listing = client.get(reverse("bookings:booking-prescriptions", args=[booking.id])).json()
    assert len(listing) == 1
    assert str(settings.MEDIA_ROOT) not in str(listing)


def test_report_download_is_an_attachment_never_sniffed():
    item = BookingItemFactory()
    report = TestReportFactory(
        booking_item=item,
        status="delivered",
        report_file=ContentFile(b"<html><script>alert(1)</script></html>", name="evil.html"),
    )
    response = client_for(item.booking.user).get(reverse("bookings:report-download", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_media_is_not_served_by_url():
    booking = BookingFactory()
    assert upload(client_for(booking.user), booking, "scan.pdf", PDF).status_code == 201
    stored = PrescriptionUpload.objects.get()
    response = client_for(booking.user).get(f"{settings.MEDIA_URL}{stored.file.name}")
    assert response.status_code == 404
