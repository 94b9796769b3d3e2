"""The collector at the door, through the staff API and the day sheet's buttons: collected only on the visit's day,
no-show with a reason from the list, samples refused with a rejection reason, and never on another's visit."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from catalog.tests.factories import LabTestFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = reverse("admin:bookings_booking_today")


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def make_collector():
    profile = StaffProfileFactory(role=StaffRole.COLLECTOR)
    staff_set_role(user=profile.user, role=StaffRole.COLLECTOR)
    return profile.user


@pytest.fixture
def collector():
    return make_collector()


@pytest.fixture
def other_collector():
    return make_collector()


def visit(collector, day=None, *, start=9, **kwargs) -> Booking:
    day = day or timezone.localdate()
    slot = CollectionSlotFactory(date=day, start_time=datetime.time(start), end_time=datetime.time(start + 1))
    booking = BookingFactory(
        collection_staff=collector,
        status=Booking.Status.CONFIRMED,
        booking_date=day,
        slot=slot,
        latitude=Decimal("12.971600"),
        longitude=Decimal("77.640000"),
        **kwargs,
    )
    BookingItemFactory(
        booking=booking,
        sequence=1,
        test=LabTestFactory(
            name="Glucose",
            fasting_required=True,
            sample_type="Blood",
            tube_type="Grey top",
            collection_instructions="Fast for 12 hours; water allowed.",
        ),
    )
    BookingItemFactory(booking=booking, sequence=2, test=LabTestFactory(name="Urinalysis", sample_type="Urine"))
    BillingRecordFactory(booking=booking)
    return booking


def api(name: str, booking) -> str:
    return reverse(f"bookings:collection-{name}", args=[booking.pk])


def sheet(name: str, booking) -> str:
    return reverse(f"admin:bookings_booking_visit_{name}", args=[booking.pk])


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Collected only on the visit's day --------------------------------------------------------------------------


def test_collected_is_refused_before_the_visits_day(collector):
    tomorrow = visit(collector, timezone.localdate() + datetime.timedelta(days=1))

    response = client_for(collector).post(api("collected", tomorrow), {}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "not_visit_day")
    after = login(collector).post(sheet("collected", tomorrow))
    assert after.status_code == 302
    tomorrow.refresh_from_db()
    assert tomorrow.status == Booking.Status.CONFIRMED
    assert set(tomorrow.items.values_list("status", flat=True)) == {"pending"}


def test_collected_from_the_day_sheet_keeps_the_phones_position(collector):
    today = visit(collector)

    response = login(collector).post(sheet("collected", today), {"latitude": "12.971700", "longitude": "77.640100"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"?day={today.booking_date.isoformat()}#visit-{today.pk}")
    today.refresh_from_db()
    assert today.status == Booking.Status.COLLECTED
    assert (today.collected_latitude, today.collected_longitude) == (Decimal("12.971700"), Decimal("77.640100"))


# --- No-show ----------------------------------------------------------------------------------------------------


def test_no_show_without_a_reason_is_refused(collector):
    booking = visit(collector)
    client = client_for(collector)

    missing = client.post(api("no-show", booking), {}, format="json")
    blank = client.post(api("no-show", booking), {"reason": ""}, format="json")
    unknown = client.post(api("no-show", booking), {"reason": "felt like it"}, format="json")

    assert (missing.status_code, missing.json()["code"]) == (400, "reason_required")
    assert (blank.status_code, blank.json()["code"]) == (400, "reason_required")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_reason")
    assert login(collector).post(sheet("no_show", booking), {"reason": ""}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_no_show_with_a_reason_records_it(collector):
    booking = visit(collector)

    response = client_for(collector).post(
        api("no-show", booking), {"reason": "nobody_home", "notes": "Rang twice"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["no_show_reason"]) == ("no_show", "nobody_home")
    booking.refresh_from_db()
    assert "Nobody at home — Rang twice" in booking.notes


# --- Refused at the door ----------------------------------------------------------------------------------------


def test_refuse_at_the_door_records_the_reason_and_the_items(collector):
    booking = visit(collector)
    glucose, urine = booking.items.order_by("sequence")

    response = client_for(collector).post(
        api("refuse", booking), {"reason": "haemolysed", "items": [glucose.pk], "notes": "Tube cloudy"}, format="json"
    )

    assert response.status_code == 200, response.json()
    glucose.refresh_from_db()
    urine.refresh_from_db()
    assert (glucose.status, glucose.rejection_reason) == ("cancelled", "haemolysed")
    assert glucose.rejection_notes == "Refused at the door: Tube cloudy"
    assert glucose.rejected_at is not None
    assert (urine.status, urine.rejection_reason) == ("pending", "")
    recollection = Booking.objects.get(recollection_of=booking)
    assert [(i.test_id, i.unit_price) for i in recollection.items.all()] == [(glucose.test_id, Decimal("0.00"))]
    items = {i["id"]: i for i in response.json()["items"]}
    assert items[glucose.pk]["rejection_reason"] == "haemolysed"


def test_refuse_from_the_day_sheet_and_its_reason_checks(collector):
    booking = visit(collector)
    client = client_for(collector)

    assert client.post(api("refuse", booking), {}, format="json").json()["code"] == "reason_required"
    assert client.post(api("refuse", booking), {"reason": "bored"}, format="json").json()["code"] == "invalid_reason"
    tomorrow = visit(collector, timezone.localdate() + datetime.timedelta(days=1))
    assert client.post(api("refuse", tomorrow), {"reason": "clotted"}, format="json").status_code == 409

    response = login(collector).post(sheet("refuse", booking), {"reason": "clotted"})  # no item ticked: all

    assert response.status_code == 302
    assert sorted(booking.items.values_list("status", "rejection_reason")) == [
        ("cancelled", "clotted"),
        ("cancelled", "clotted"),
    ]


# --- Own visits only --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "payload"),
    [("collected", {}), ("no-show", {"reason": "nobody_home"}), ("refuse", {"reason": "clotted"})],
)
def test_collector_cannot_act_on_another_collectors_visit_through_the_api(collector, other_collector, name, payload):
    theirs = visit(other_collector)

    response = client_for(collector).post(api(name, theirs), payload, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    assert set(theirs.items.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    ("name", "payload"),
    [("collected", {}), ("no_show", {"reason": "nobody_home"}), ("refuse", {"reason": "clotted"})],
)
def test_collector_cannot_act_on_another_collectors_visit_from_the_day_sheet(collector, other_collector, name, payload):
    theirs = visit(other_collector)

    assert login(collector).post(sheet(name, theirs), payload).status_code == 404
    assert login(collector).get(sheet(name, theirs)).status_code == 403  # buttons post
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    assert set(theirs.items.values_list("status", flat=True)) == {"pending"}


def test_lab_technician_cannot_press_the_door_buttons(collector):
    profile = StaffProfileFactory(role=StaffRole.LAB_TECH)
    staff_set_role(user=profile.user, role=StaffRole.LAB_TECH)
    booking = visit(collector)
    assert login(profile.user).post(sheet("collected", booking)).status_code == 403


# --- The day sheet ----------------------------------------------------------------------------------------------


def test_day_sheet_shows_what_the_collector_needs_in_time_order(collector):
    late = visit(collector, start=11, notes="Dog is shy; ring twice")
    early = visit(collector, start=9)
    middle = visit(collector, start=10)

    response = login(collector).get(TODAY)

    ordered = [v.booking.pk for _, rows in response.context["groups"] for v in rows]
    assert ordered == [early.pk, middle.pk, late.pk]
    html = response.content.decode()
    assert f'href="tel:{late.user.phone}"' in html
    assert 'href="https://www.google.com/maps/search/?api=1&amp;query=12.971600,77.640000"' in html
    assert "Fasting required" in html
    assert "Fast for 12 hours; water allowed." in html
    assert "Blood · Grey top" in html
    assert "Dog is shy; ring twice" in html
    assert late.pet.get_species_display() in html
    assert html.count(">Collected</button>") == 3


def test_day_sheet_offers_collected_only_on_the_visits_day(collector):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    visit(collector, tomorrow)

    html = login(collector).get(TODAY, {"day": tomorrow.isoformat()}).content.decode()

    assert ">Collected</button>" not in html
    assert "No-show…" in html


def test_bookings_list_orders_a_days_visits_by_slot_start(admin_client, collector):
    nine, eleven, ten = visit(collector, start=9), visit(collector, start=11), visit(collector, start=10)

    response = admin_client.get(reverse("admin:bookings_booking_changelist"))

    assert [b.pk for b in response.context["cl"].result_list] == [nine.pk, ten.pk, eleven.pk]


def test_a_same_day_recollection_once_scheduled_can_be_refused_at_the_door_again(collector, monkeypatch, admin_user):
    today = timezone.localdate()
    at = timezone.make_aware(datetime.datetime.combine(today, datetime.time(10, 30)))
    monkeypatch.setattr(timezone, "now", lambda: at)
    booking = visit(collector, start=9)
    glucose, urine = booking.items.order_by("sequence")
    door = client_for(collector)

    # 09:00 visit: the glucose tube is refused at the door, the urine taken.
    first = door.post(api("refuse", booking), {"reason": "haemolysed", "items": [glucose.pk]}, format="json")
    assert first.status_code == 200, first.json()
    assert door.post(api("collected", booking), {}, format="json").status_code == 200
    recollection = Booking.objects.get(recollection_of=booking)
    assert (recollection.status, recollection.booking_date, recollection.slot) == ("awaiting_schedule", today, None)
    # Not scheduled yet: no door button on the day sheet, and the door action is refused.
    page = login(admin_user).get(TODAY)
    assert sheet("refuse", recollection) not in page.content.decode()
    unscheduled = login(admin_user).post(sheet("refuse", recollection), {"reason": "clotted"}, follow=True)
    assert "no collection slot yet" in unscheduled.content.decode()
    assert recollection.items.get().status == "pending"

    # The customer picks this afternoon's window: the visit is confirmed and goes back to the same collector.
    afternoon = CollectionSlotFactory(date=today, start_time=datetime.time(15), end_time=datetime.time(16))
    moved = client_for(booking.user).post(
        reverse("bookings:booking-reschedule", args=[recollection.pk]), {"slot": afternoon.pk}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    recollection.refresh_from_db()
    assert (recollection.status, recollection.collection_staff) == ("confirmed", collector)
    listed = door.get(reverse("bookings:collection-list")).json()["results"]
    assert [v["code"] for v in listed] == [booking.code, recollection.code]

    # 15:00: the new tube is clotted too. Refused at the door: its test goes into a new free re-collection of the
    # first booking (whose bill charged it), not into the visit being made.
    again = door.post(api("refuse", recollection), {"reason": "clotted"}, format="json")

    assert again.status_code == 200, again.json()
    item = recollection.items.get()
    assert (item.status, item.rejection_reason) == ("cancelled", "clotted")
    third = Booking.objects.exclude(pk__in=[booking.pk, recollection.pk]).get()
    assert (third.recollection_of, third.status) == (booking, "awaiting_schedule")
    assert list(third.items.values_list("test", "unit_price")) == [(glucose.test_id, Decimal("0.00"))]
