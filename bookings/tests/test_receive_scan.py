"""The lab's receive page: a scanned tube (item code) receives exactly that item; a booking code receives every
collected tube of the booking; an unknown code or a tube already in is said on the page."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from bookings.models import BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory

pytestmark = pytest.mark.django_db

RECEIVE = reverse("admin:bookings_bookingitem_receive")
ITEMS = reverse("admin:bookings_bookingitem_changelist")
It = BookingItem.Status


@pytest.fixture
def tech():
    roles_setup()
    profile = StaffProfileFactory(role=StaffRole.LAB_TECH)
    staff_set_role(user=profile.user, role=StaffRole.LAB_TECH)
    client = Client()
    client.force_login(profile.user)
    client.user = profile.user
    return client


@pytest.fixture
def booking():
    """Three tubes: two collected and one not yet (a failed draw)."""
    booking = BookingFactory(pet__name="Bruno")
    for sequence, status in enumerate((It.COLLECTED, It.COLLECTED, It.PENDING), start=1):
        BookingItemFactory(booking=booking, sequence=sequence, status=status)
    return booking


def scan(client, code: str):
    response = client.post(RECEIVE, {"code": code})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return response, messages


def statuses(booking) -> list[str]:
    return list(booking.items.order_by("sequence").values_list("status", flat=True))


def test_the_page_has_one_focused_input(tech):
    response = tech.get(RECEIVE)

    assert response.status_code == 200
    assert b'name="code"' in response.content
    assert b"autofocus" in response.content
    assert RECEIVE.encode() in tech.get(ITEMS).content  # "Receive by scan" above the items list


def test_a_tube_scan_receives_exactly_that_item(tech, booking):
    second = booking.items.get(sequence=2)

    response, messages = scan(tech, f"  {second.code.lower()}\n")  # as a scanner or a person may type it

    assert response.status_code == 200
    assert statuses(booking) == [It.COLLECTED, It.RECEIVED, It.PENDING]
    second.refresh_from_db()
    assert second.received_by == tech.user
    assert messages == [f"Received at the lab: {second.code} ({second.test.code})."]
    assert b"received now" in response.content
    assert b'value="' not in response.content.split(b'name="code"')[1][:60]  # the input is empty for the next scan


def test_scanning_the_same_tube_again_says_it_was_already_received(tech, booking):
    first = booking.items.get(sequence=1)
    scan(tech, first.code)

    response, messages = scan(tech, first.code)

    assert response.status_code == 200
    assert len(messages) == 1
    assert messages[0].startswith(f"{first.code} was not received: already received on ")
    assert statuses(booking) == [It.RECEIVED, It.COLLECTED, It.PENDING]


def test_a_booking_code_receives_its_collected_tubes_and_lists_the_rest(tech, booking):
    response, messages = scan(tech, booking.code)

    assert statuses(booking) == [It.RECEIVED, It.RECEIVED, It.PENDING]
    codes = [item.code for item in booking.items.order_by("sequence")]
    assert messages == [
        f"Received at the lab: {codes[0]} ({booking.items.get(sequence=1).test.code}), "
        f"{codes[1]} ({booking.items.get(sequence=2).test.code})."
    ]
    html = response.content.decode()
    assert f"Booking {booking.code}" in html
    assert "Bruno" in html
    assert "not collected yet" in html


def test_an_unknown_code_is_a_clear_message_not_an_error(tech, booking):
    response, messages = scan(tech, "DP-ZZZZZZ-07")

    assert response.status_code == 200
    assert messages == ["No tube or booking has the code DP-ZZZZZZ-07. Check the label and scan again."]
    assert statuses(booking) == [It.COLLECTED, It.COLLECTED, It.PENDING]


def test_an_empty_scan_asks_again(tech):
    response = tech.post(RECEIVE, {"code": ""})

    assert response.status_code == 200
    assert b"This field is required." in response.content


def test_collectors_and_analysts_may_not_receive(booking):
    roles_setup()
    for role in (StaffRole.COLLECTOR, StaffRole.ANALYST):
        profile = StaffProfileFactory(role=role)
        staff_set_role(user=profile.user, role=role)
        client = Client()
        client.force_login(profile.user)

        assert client.post(RECEIVE, {"code": booking.code}).status_code == 403
    assert statuses(booking) == [It.COLLECTED, It.COLLECTED, It.PENDING]


def test_admin_search_finds_an_item_by_its_code(admin_client, booking):
    second = booking.items.get(sequence=2)

    response = admin_client.get(ITEMS, {"q": second.code.lower()})

    assert response.status_code == 200
    assert [item.pk for item in response.context["cl"].result_list] == [second.pk]
