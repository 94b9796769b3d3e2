"""Tube labels: one PDF page per booking item with the booking code (QR and Code128), item, test, tube and pet."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

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


def test_one_page_per_item_with_the_label_text():
    booking = labelled_booking(3, pet__name="Bruno")
    items = BookingItem.objects.filter(booking=booking).select_related("booking__pet", "test").order_by("sequence")

    pdf = tube_labels_pdf(items)

    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 3
    for text in (booking.code, "Item 3", f"Test: TST-{booking.pk}-1", "Tube: EDTA purple", "Pet: Bruno"):
        assert f"({text})".encode() in pdf


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
