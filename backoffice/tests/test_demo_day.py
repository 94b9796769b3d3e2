"""Issue 21's "done when", on the demo data: each role's day through the admin and the API, as seeded.

A collector runs today's visits from the staff API (scan a tube, collected, no-show with a reason); the lab receives a
tube by scanning it and rejects it; the customer picks the free re-collection's time, and it is on the collector's day
at that time. The browser walk of the same day is ``browser_tests/test_demo_day_browser.py``.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from backoffice.tests.demo import ADMIN, COLLECTOR, staff
from backoffice.tests.demo import TECH as LAB_TECH
from bookings.models import Booking, BookingItem
from conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_data")]

VISITS = reverse("bookings:collection-list")
LOOKUP = reverse("bookings:collection-lookup")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_collector_runs_todays_demo_visits_from_the_staff_api():
    api = client_for(User.objects.get(phone=COLLECTOR))
    visits = api.get(VISITS).json()["results"]
    to_make = [v for v in visits if v["status"] == "confirmed"]
    assert len(to_make) >= 2
    first, second = to_make[:2]

    scanned = api.get(LOOKUP, {"code": first["items"][-1]["code"]})
    assert scanned.json()["id"] == first["id"]
    collected = api.post(
        reverse("bookings:collection-collected", args=[first["id"]]),
        {"latitude": "12.978500", "longitude": "77.640900"},
        format="json",
    )
    assert (collected.status_code, collected.json()["status"]) == (200, "collected"), collected.json()
    no_reason = api.post(reverse("bookings:collection-no-show", args=[second["id"]]), {}, format="json")
    assert no_reason.json()["code"] == "reason_required"
    absent = api.post(
        reverse("bookings:collection-no-show", args=[second["id"]]), {"reason": "nobody_home"}, format="json"
    )
    assert (absent.status_code, absent.json()["status"]) == (200, "no_show"), absent.json()


def test_a_demo_tube_is_received_by_scan_rejected_and_recollected_when_the_customer_picks():
    today = timezone.localdate()
    tube = (
        BookingItem.objects.filter(
            booking__booking_date=today,
            booking__collection_type="home",
            status=BookingItem.Status.COLLECTED,
        )
        .select_related("booking__user", "booking__collection_staff")
        .order_by("booking__slot__start_time", "sequence")
        .first()
    )
    booking = tube.booking
    lab = staff(LAB_TECH)

    received = lab.post(reverse("admin:bookings_bookingitem_receive"), {"code": tube.code.lower()})
    assert received.status_code == 200
    assert f"Received at the lab: {tube.code}" in " ".join(messages_of(received))
    assert set(booking.items.exclude(pk=tube.pk).values_list("status", flat=True)) == {BookingItem.Status.COLLECTED}

    rejected = lab.post(
        reverse("admin:bookings_booking_changelist"),
        {
            "action": "reject_sample",
            ACTION_CHECKBOX_NAME: [booking.pk],
            "apply": "1",
            "item": tube.pk,
            "reason": "haemolysed",
        },
    )
    assert rejected.status_code == 302, rejected.content.decode()[:2000]
    recollection = Booking.objects.get(recollection_of=booking)
    assert recollection.status == Booking.Status.AWAITING_SCHEDULE
    # The clinic admin's back-office lists it among the re-collections nobody scheduled yet.
    assert recollection.code in staff(ADMIN).get(reverse("admin:index")).content.decode()

    customer = client_for(booking.user)
    mine = customer.get(reverse("bookings:booking-detail", args=[recollection.pk])).json()
    assert mine["status"] == "awaiting_schedule"
    slots = customer.get(reverse("bookings:slot-list")).json()
    picked = next(s for s in slots if s["remaining"] > 0 and s["date"] > today.isoformat())
    moved = customer.post(
        reverse("bookings:booking-reschedule", args=[recollection.pk]), {"slot": picked["id"]}, format="json"
    )

    assert moved.status_code == 200, moved.json()
    assert (moved.json()["status"], moved.json()["slot"]["id"]) == ("confirmed", picked["id"])
    # On the day the customer picked, it is on the first visit's collector's list, with the rejected test.
    api = client_for(booking.collection_staff)
    listed = {v["id"]: v for v in api.get(VISITS, {"date": picked["date"]}).json()["results"]}
    assert recollection.pk in listed
    assert [i["test_code"] for i in listed[recollection.pk]["items"]] == [tube.test.code]
