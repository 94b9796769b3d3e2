"""Tube labels: one PDF page per booking item with its item code (QR and Code 128), pet, species, test, sample, tube."""

import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from bookings.labels import tube_labels_pdf
from bookings.models import BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory
from catalog.tests.factories import LabTestFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:bookings_booking_changelist")


def pages(pdf: bytes) -> int:
    # "/Type /Page" objects, not the "/Type /Pages" tree root.
    return len(re.findall(rb"/Type /Page\b", pdf))


def labelled_booking(n: int, **kwargs):
    booking = BookingFactory(**kwargs)
    for sequence in range(1, n + 1):
        test = LabTestFactory(code=f"TST-{booking.pk}-{sequence}", tube_type="EDTA purple")
        BookingItemFactory(booking=booking, sequence=sequence, test=test)
    return booking


def _page_streams(pdf: bytes) -> list[str]:
    """The pages' drawing instructions (labels are written uncompressed, and carry no images or embedded fonts)."""
    return [stream.decode("latin-1") for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)]


def _bar_pattern(pdf: bytes, page: int = 0) -> tuple[int, ...]:
    """The Code 128 barcode on a page as module widths (bar, gap, bar, …): its bars are the rectangles 8 mm high."""
    content = _page_streams(pdf)[page]
    rects = re.findall(r"([\d.\-]+) [\d.\-]+ ([\d.\-]+) ([\d.\-]+) re", content)
    bars = sorted((float(x), float(w)) for x, w, h in rects if abs(float(h) - 8 * mm) < 0.01)
    assert bars, "no barcode on the page"
    module = min(w for _x, w in bars)
    pattern = []
    for (x, w), (next_x, _w) in zip(bars, [*bars[1:], (None, None)], strict=True):
        pattern.append(round(w / module))
        if next_x is not None:
            pattern.append(round((next_x - x - w) / module))
    return tuple(pattern)


def _code128_pattern(value: str) -> tuple[int, ...]:
    """The same pattern for ``value`` as reportlab draws a Code 128 of it on its own."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    code128.Code128(value, barHeight=8 * mm, barWidth=0.3 * mm, humanReadable=False).drawOn(pdf, 0, 0)
    pdf.showPage()
    pdf.save()
    return _bar_pattern(buffer.getvalue())


def test_one_page_per_item_with_the_label_text():
    booking = labelled_booking(3, pet__name="Bruno", pet__species="cat")
    items = BookingItem.objects.filter(booking=booking).select_related("booking__pet", "test").order_by("sequence")

    pdf = tube_labels_pdf(items)

    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 3
    third = _page_streams(pdf)[2]
    for line in (f"{booking.code}-03", f"Test: TST-{booking.pk}-3", "Tube: EDTA purple", "Pet: Bruno (Cat)"):
        escaped = line.replace("(", "\\(").replace(")", "\\)")  # as a PDF string spells brackets
        assert f"({escaped}) Tj" in third
    assert "(Sample: Whole blood) Tj" in third


def test_each_label_has_a_barcode_of_its_item_code():
    booking = labelled_booking(2)
    items = list(BookingItem.objects.filter(booking=booking).select_related("booking__pet", "test").order_by("pk"))

    pdf = tube_labels_pdf(items)

    assert len(pdf) > 2000
    assert _bar_pattern(pdf, page=0) == _code128_pattern(items[0].code) == _code128_pattern(f"{booking.code}-01")
    assert _bar_pattern(pdf, page=1) == _code128_pattern(items[1].code)
    assert _bar_pattern(pdf, page=0) != _code128_pattern(booking.code)  # the tube's code, not the booking's


def test_no_items_still_makes_a_valid_pdf():
    pdf = tube_labels_pdf([])

    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 1
    assert b"(No items to label.)" in pdf


def test_admin_action_prints_the_labels_of_the_selected_bookings(admin_client):
    first, second, unselected = labelled_booking(2), labelled_booking(1), labelled_booking(4)
    BookingItemFactory(booking=second, sequence=2, status=BookingItem.Status.CANCELLED)  # no tube: no label

    response = admin_client.post(
        BOOKINGS, {"action": "print_tube_labels", ACTION_CHECKBOX_NAME: [first.pk, second.pk], "index": 0}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="tube-labels-')
    assert response.content.startswith(b"%PDF-")
    assert pages(response.content) == 3
    assert unselected.code.encode() not in response.content


def test_collector_prints_labels_of_their_visits_only():
    roles_setup()
    profile = StaffProfileFactory(role=StaffRole.COLLECTOR)
    staff_set_role(user=profile.user, role=StaffRole.COLLECTOR)
    mine = labelled_booking(2, collection_staff=profile.user)
    theirs = labelled_booking(2)
    client = Client()
    client.force_login(profile.user)

    response = client.post(
        f"{BOOKINGS}?day=all",
        {"action": "print_tube_labels", ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk], "index": 0},
    )

    assert pages(response.content) == 2
    assert mine.code.encode() in response.content
    assert theirs.code.encode() not in response.content
