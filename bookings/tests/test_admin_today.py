"""The day sheet (today's visits by slot) and the collectors' default of today on the booking changelist."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory

pytestmark = pytest.mark.django_db

TODAY_URL = reverse("admin:bookings_booking_today")
BOOKINGS = reverse("admin:bookings_booking_changelist")


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def make_staff(role: str, **profile):
    profile = StaffProfileFactory(role=role, **profile)
    staff_set_role(user=profile.user, role=role)
    return profile.user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def slots():
    today = timezone.localdate()
    return (
        CollectionSlotFactory(date=today, start_time=datetime.time(9), end_time=datetime.time(10)),
        CollectionSlotFactory(date=today, start_time=datetime.time(11), end_time=datetime.time(12)),
    )


def visit(slot, **kwargs) -> Booking:
    return BookingFactory(slot=slot, booking_date=slot.date if slot else timezone.localdate(), **kwargs)


def test_today_page_groups_visits_by_slot_with_collector_area_and_counts(admin_client, slots):
    early, late = slots
    collector = make_staff(StaffRole.COLLECTOR, assigned_area="Whitefield")
    a = visit(late, status=Booking.Status.CONFIRMED, collection_staff=collector)
    b = visit(early)
    c = visit(early, status=Booking.Status.CANCELLED)
    BookingFactory(booking_date=timezone.localdate() + datetime.timedelta(days=1))  # tomorrow: not listed

    response = admin_client.get(TODAY_URL)

    assert response.status_code == 200
    groups = [(slot, [v.booking.pk for v in rows]) for slot, rows in response.context["groups"]]
    assert groups == [(early, [b.pk, c.pk]), (late, [a.pk])]  # in slot order, then by code
    counts = dict(response.context["status_counts"])
    assert (counts["Pending"], counts["Confirmed"], counts["Cancelled"], counts["Completed"]) == (1, 1, 1, 0)
    assert response.context["total"] == 3
    page = response.content.decode()
    assert "Whitefield" in page
    assert "09:00–10:00" in page


def test_today_page_of_another_day_and_a_bad_day(admin_client, slots):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    later = BookingFactory(booking_date=tomorrow)

    response = admin_client.get(TODAY_URL, {"day": tomorrow.isoformat()})
    assert [v.booking.pk for _, rows in response.context["groups"] for v in rows] == [later.pk]

    assert admin_client.get(TODAY_URL, {"day": "not-a-day"}).context["day"] == timezone.localdate()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_at_the_end_of_the_calendar_shows_today_not_a_server_error(admin_client, day):
    # The page links the day before and after: none exists beyond these.
    response = admin_client.get(TODAY_URL, {"day": day})

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert admin_client.get(reverse("admin:bookings_booking_auto_assign"), {"day": day}).status_code == 200


def test_collector_lands_on_their_own_visits(slots):
    collector, other = make_staff(StaffRole.COLLECTOR), make_staff(StaffRole.COLLECTOR)
    mine = visit(slots[0], collection_staff=collector)
    visit(slots[0], collection_staff=other)
    visit(slots[1])

    response = login(collector).get(TODAY_URL)

    assert [v.booking.pk for _, rows in response.context["groups"] for v in rows] == [mine.pk]
    assert dict(response.context["status_counts"])["Pending"] == 1


def test_today_page_needs_booking_view_permission(db):
    assert login(make_staff(StaffRole.LAB_TECH)).get(TODAY_URL).status_code == 200
    no_role = StaffProfileFactory(role=StaffRole.COLLECTOR).user  # no role group: no permissions
    assert login(no_role).get(TODAY_URL).status_code == 403


def test_booking_changelist_links_to_today(admin_client):
    assert TODAY_URL in admin_client.get(BOOKINGS).content.decode()


def test_collectors_booking_changelist_defaults_to_today(slots):
    collector = make_staff(StaffRole.COLLECTOR)
    today = visit(slots[0], collection_staff=collector)
    tomorrow = BookingFactory(
        collection_staff=collector, booking_date=timezone.localdate() + datetime.timedelta(days=1)
    )
    client = login(collector)

    default = client.get(BOOKINGS)
    every_day = client.get(BOOKINGS, {"day": "all"})

    assert [b.pk for b in default.context["cl"].result_list] == [today.pk]
    assert {b.pk for b in every_day.context["cl"].result_list} == {today.pk, tomorrow.pk}


def test_other_staff_see_every_day_by_default(admin_client, slots):
    today = visit(slots[0])
    tomorrow = BookingFactory(booking_date=timezone.localdate() + datetime.timedelta(days=1))

    default = admin_client.get(BOOKINGS)
    only_today = admin_client.get(BOOKINGS, {"day": "today"})

    assert {b.pk for b in default.context["cl"].result_list} == {today.pk, tomorrow.pk}
    assert [b.pk for b in only_today.context["cl"].result_list] == [today.pk]


def _queries(client) -> int:
    client.get(TODAY_URL)  # warm-up: session, permissions
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TODAY_URL)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [None, StaffRole.COLLECTOR])
def test_today_page_runs_the_same_queries_at_5_and_50_visits(admin_user, slots, role):
    user = make_staff(role) if role else admin_user
    client = login(user)

    def add(n):
        for i in range(n):
            collector = user if role else make_staff(StaffRole.COLLECTOR)
            visit(slots[i % 2], collection_staff=collector, status=Booking.Status.CONFIRMED)

    add(5)
    few = _queries(client)
    add(195)
    many = _queries(client)

    assert login(user).get(TODAY_URL).context["total"] == 200
    assert many == few


def test_find_a_visit_by_booking_or_tube_code_opens_its_day(slots):
    collector = make_staff(StaffRole.COLLECTOR)
    tomorrow = CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=1))
    mine = visit(tomorrow, status=Booking.Status.CONFIRMED, collection_staff=collector)
    tube = BookingItemFactory(booking=mine, sequence=2)
    theirs = visit(slots[0], status=Booking.Status.CONFIRMED, collection_staff=make_staff(StaffRole.COLLECTOR))
    client = login(collector)

    for scanned in (tube.code, tube.code.lower(), mine.code):
        response = client.get(TODAY_URL, {"code": scanned})
        assert response.status_code == 302
        assert response["Location"] == f"{TODAY_URL}?day={tomorrow.date.isoformat()}#visit-{mine.pk}"

    # Another collector's visit, or a code that is nobody's: today's sheet with a message, never a 404 or 500.
    for scanned in (theirs.code, "DP-NOPE99-01", "\x00"):
        response = client.get(TODAY_URL, {"code": scanned}, follow=True)
        assert response.status_code == 200
        assert "No visit of yours has the code" in response.content.decode()


def test_booking_search_finds_a_visit_by_a_scanned_tube_code(admin_client):
    booking = BookingFactory()
    other = BookingFactory()
    tube = BookingItemFactory(booking=booking, sequence=3)

    response = admin_client.get(BOOKINGS, {"q": tube.code.lower()})

    assert response.status_code == 200
    shown = {b.pk for b in response.context["cl"].result_list}
    assert booking.pk in shown
    assert other.pk not in shown
