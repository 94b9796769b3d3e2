"""A full media disk: an upload that does not fit answers 507 ``storage_full`` (a form error in the back-office),
leaves no partial file and no row, and the next upload that fits works; /healthz reports low free space.

The disk is the project's own default storage (``settings.STORAGES``) with a small capacity: past it, a write
stores what fits and then fails with ``OSError(ENOSPC)``, as a real full disk does.
"""

import errno
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.models import StaffRole
from accounts.roles import roles_setup
from bookings.models import PrescriptionUpload, TestReport
from bookings.services import item_receive
from bookings.tests.factories import BookingFactory
from bookings.tests.test_admin_workflow import collected_booking, login, make_staff
from conftest import client_for
from diagnopet.errors import Conflict

pytestmark = pytest.mark.django_db

CAPACITY = 4096
PDF_HEAD = b"%PDF-1.4\n1 0 obj <<>> endobj\n"
PDF_TAIL = b"trailer <<>>\n%%EOF\n"


def pdf(size: int) -> bytes:
    return PDF_HEAD + b"%" * (size - len(PDF_HEAD) - len(PDF_TAIL)) + PDF_TAIL


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class _FillsTheDisk:
    """The content to write, cut off with ENOSPC once ``room`` bytes are written."""

    def __init__(self, content, room: int):
        self.content, self.room = content, room

    def chunks(self, chunk_size=None):
        left = self.room
        for chunk in self.content.chunks(512):
            if len(chunk) > left:
                yield chunk[: max(left, 0)]
                raise OSError(errno.ENOSPC, "No space left on device")
            left -= len(chunk)
            yield chunk


class SmallDisk(import_string(settings.STORAGES["default"]["BACKEND"])):
    """The configured default storage on a disk of ``CAPACITY`` bytes (what MEDIA_ROOT already holds counts)."""

    def _save(self, name, content):
        used = sum(path.stat().st_size for path in stored_files())
        return super()._save(name, _FillsTheDisk(content, CAPACITY - used))


@pytest.fixture
def small_disk(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.SmallDisk"}}


def upload(client, booking, data: bytes):
    file = io.BytesIO(data)
    file.name = "scan.pdf"
    url = reverse("bookings:booking-prescriptions", args=[booking.id])
    return client.post(url, {"file": file}, format="multipart")


@pytest.mark.usefixtures("small_disk")
def test_an_upload_that_does_not_fit_is_507_leaves_nothing_and_the_next_that_fits_works():
    booking = BookingFactory()
    client = client_for(booking.user)

    response = upload(client, booking, pdf(CAPACITY * 2))

    assert response.status_code == 507, response.content
    assert response.json()["code"] == "storage_full"
    assert response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert not PrescriptionUpload.objects.exists()
    assert stored_files() == []  # the partial file is gone
    # The disk is not left full by the failed upload: a file that fits is stored.
    again = upload(client, booking, pdf(CAPACITY // 2))
    assert again.status_code == 201, again.content
    stored = PrescriptionUpload.objects.get()
    assert stored_files() == [Path(stored.file.path)]


@pytest.mark.usefixtures("small_disk")
def test_a_report_upload_on_a_full_disk_is_a_form_error_in_the_back_office():
    roles_setup()
    tech = make_staff(StaffRole.LAB_TECH)
    item = collected_booking().items.first()
    item_receive(item=item, by=tech)
    url = reverse("admin:bookings_bookingitem_upload_report", args=[item.pk])
    file = ContentFile(pdf(CAPACITY * 2), name="r.pdf")

    response = login(tech).post(url, {"file": file, "findings": ""})

    assert response.status_code == 200
    assert "storage is full" in response.content.decode()
    assert not TestReport.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("failure", ["refused after the insert", "the insert fails"])
def test_a_rolled_back_upload_leaves_no_file(failure):
    """A service that fails after its file was written keeps neither the row nor the file."""
    from diagnopet.storage import files_kept_on_commit

    booking = BookingFactory()
    row = {"booking": booking, "user": booking.user, "file_name": "a.pdf"}
    if failure == "refused after the insert":
        row["file_size_bytes"] = 1000  # else NULL, which the table refuses

    @files_kept_on_commit
    @transaction.atomic
    def upload_then_fail():
        PrescriptionUpload.objects.create(file=ContentFile(pdf(1000), name="a.pdf"), **row)
        raise Conflict("Refused after the write.")

    with pytest.raises((Conflict, IntegrityError)):
        upload_then_fail()

    assert not PrescriptionUpload.objects.exists()
    assert stored_files() == []


def test_healthz_reports_low_free_space_on_the_media_disk(client, settings):
    settings.MEDIA_MIN_FREE_MB = 10**12  # more than any disk has free

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["media"]) == ("degraded", "low")
    assert isinstance(body["media_free_mb"], int)

    settings.MEDIA_MIN_FREE_MB = 0
    assert client.get("/healthz").json()["media"] == "ok"
