"""Collection slots: generation from clinic hours and holidays, the command, and the public list."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bookings.models import CollectionDay, CollectionSlot
from bookings.services import slot_generate, slot_regenerate
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from clinic.models import ClinicInfo
from clinic.services import opening_hours_set
from clinic.tests.factories import ClinicHolidayFactory, ClinicInfoFactory
from diagnopet.errors import ValidationFailed

pytestmark = pytest.mark.django_db

START = datetime.date(2030, 6, 3)


def test_generate_from_hours_skipping_holidays_and_idempotent():
    ClinicInfoFactory(
        opening_time=datetime.time(8), closing_time=datetime.time(12, 30), slot_minutes=60, home_slot_capacity=3
    )
    ClinicHolidayFactory(date=START + datetime.timedelta(days=1))
    assert slot_generate(start=START, days=3) == 8  # 08–12 in hour steps (12:30 cannot fit a window) × 2 days
    assert slot_generate(start=START, days=3) == 0
    assert not CollectionSlot.objects.filter(date=START + datetime.timedelta(days=1)).exists()
    first = CollectionSlot.objects.order_by("date", "start_time").first()
    assert (first.start_time, first.end_time, first.capacity) == (datetime.time(8), datetime.time(9), 3)


def test_generate_needs_a_clinic():
    with pytest.raises(CommandError, match="clinic"):
        call_command("generate_slots", "--days=2", stdout=io.StringIO())


def test_command_happy_path_second_run_and_bad_input():
    ClinicInfoFactory()
    out = io.StringIO()
    call_command("generate_slots", "--days=2", f"--start={START}", stdout=out)
    assert "20 new slot(s)" in out.getvalue()
    out = io.StringIO()
    call_command("generate_slots", "--days=2", f"--start={START}", stdout=out)
    assert "0 new slot(s)" in out.getvalue()
    for bad in (["--days=0"], ["--start=tomorrow"], ["--days=9999"]):
        with pytest.raises(CommandError):
            call_command("generate_slots", *bad, stdout=io.StringIO())


def test_slots_api_shows_remaining_places(api_client):
    day = timezone.localdate() + datetime.timedelta(days=3)
    slot = CollectionSlotFactory(date=day, start_time=datetime.time(9), end_time=datetime.time(10), capacity=4)
    CollectionSlot.objects.filter(pk=slot.pk).update(booked=3)
    CollectionSlotFactory(date=day, start_time=datetime.time(10), end_time=datetime.time(11), is_active=False)
    CollectionSlotFactory(date=day + datetime.timedelta(days=1))
    response = api_client.get(reverse("bookings:slot-list"), {"date": day.isoformat()})
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": slot.id,
            "date": day.isoformat(),
            "start": "09:00:00",
            "end": "10:00:00",
            "capacity": 4,
            "remaining": 1,
            "lab_remaining": None,
        }
    ]


def test_slots_api_hides_holidays_and_rejects_bad_dates(api_client):
    day = timezone.localdate() + datetime.timedelta(days=3)
    CollectionSlotFactory(date=day)
    ClinicHolidayFactory(date=day)
    assert api_client.get(reverse("bookings:slot-list"), {"date": day.isoformat()}).json() == []
    bad = api_client.get(reverse("bookings:slot-list"), {"date": "31/12/2030"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_date"


def test_slots_api_query_count_is_constant(api_client, django_assert_max_num_queries):
    day = timezone.localdate() + datetime.timedelta(days=3)
    CollectionSlotFactory(date=day, start_time=datetime.time(8), end_time=datetime.time(9))
    with django_assert_max_num_queries(1):
        assert len(api_client.get(reverse("bookings:slot-list")).json()) == 1
    for hour in range(9, 18):
        CollectionSlotFactory(date=day, start_time=datetime.time(hour), end_time=datetime.time(hour + 1))
    with django_assert_max_num_queries(1):
        assert len(api_client.get(reverse("bookings:slot-list")).json()) == 10


# --- Weekly hours, exceptions, buffer, daily caps; regeneration --------------------------------------------------

MONDAY = datetime.date(2030, 6, 3)  # START is a Monday
assert MONDAY.weekday() == 0


def week_clinic(**fields):
    """Mon–Sat 08:00–12:00, Sunday closed, hour-long windows, 3 home places and no lab limit."""
    clinic = ClinicInfoFactory(
        opening_time=datetime.time(8),
        closing_time=datetime.time(18),
        slot_minutes=60,
        home_slot_capacity=3,
        lab_slot_capacity=None,
        **fields,
    )
    opening_hours_set(week={day: [(datetime.time(8), datetime.time(12))] for day in range(6)})
    return clinic


def starts(day) -> list[str]:
    return [
        f"{s:%H:%M}"
        for s in CollectionSlot.objects.filter(date=day).order_by("start_time").values_list("start_time", flat=True)
    ]


def test_weekday_hours_close_sunday_and_exceptions_shorten_a_day():
    week_clinic()
    ClinicHolidayFactory(
        date=MONDAY + datetime.timedelta(days=1),
        name="Half day",
        opens_at=datetime.time(8),
        closes_at=datetime.time(10),
    )
    ClinicHolidayFactory(date=MONDAY + datetime.timedelta(days=2), name="Closed")

    slot_generate(start=MONDAY, days=7)

    assert starts(MONDAY) == ["08:00", "09:00", "10:00", "11:00"]
    assert starts(MONDAY + datetime.timedelta(days=1)) == ["08:00", "09:00"]  # the half-day exception
    assert starts(MONDAY + datetime.timedelta(days=2)) == []  # closed by exception
    assert starts(MONDAY + datetime.timedelta(days=5)) == ["08:00", "09:00", "10:00", "11:00"]  # Saturday
    assert starts(MONDAY + datetime.timedelta(days=6)) == []  # Sunday: no hours


def test_several_windows_a_day_and_a_buffer_between_slots():
    week_clinic(slot_buffer_minutes=15)
    opening_hours_set(week={0: [(datetime.time(8), datetime.time(11)), (datetime.time(14), datetime.time(16))]})

    slot_generate(start=MONDAY, days=2)

    # 08:00–09:00, 15 min free, 09:15–10:15; 10:30 would end after 11:00. Afternoon from 14:00 again.
    assert starts(MONDAY) == ["08:00", "09:15", "14:00"]
    ends = CollectionSlot.objects.filter(date=MONDAY).order_by("start_time").values_list("end_time", flat=True)
    assert [f"{t:%H:%M}" for t in ends] == ["09:00", "10:15", "15:00"]
    assert starts(MONDAY + datetime.timedelta(days=1)) == []  # Tuesday now has no hours


def test_overlapping_windows_are_refused():
    week_clinic()
    with pytest.raises(ValidationFailed):
        opening_hours_set(week={0: [(datetime.time(8), datetime.time(12)), (datetime.time(11), datetime.time(13))]})


def test_daily_cap_limits_a_day_over_all_its_windows(customer_client, booking_setup):
    clinic = booking_setup["clinic"]
    ClinicInfo.objects.filter(pk=clinic.pk).update(home_daily_capacity=1)
    day = timezone.localdate() + datetime.timedelta(days=3)
    slot_generate(start=day, days=1)
    first, second = CollectionSlot.objects.filter(date=day).order_by("start_time")[:2]
    assert CollectionDay.objects.get(date=day).capacity == 1

    ok = customer_client.post(
        reverse("bookings:booking-list"), booking_payload(booking_setup, slot=first.pk), format="json"
    )
    refused = customer_client.post(
        reverse("bookings:booking-list"),
        booking_payload(booking_setup, slot=second.pk, tests=[booking_setup["tests"][2].pk]),
        format="json",
    )

    assert ok.status_code == 201, ok.json()
    assert (refused.status_code, refused.json()["code"]) == (409, "slot_full")
    assert CollectionSlot.objects.get(pk=second.pk).booked == 0
    assert CollectionDay.objects.get(date=day).booked == 1


def test_a_full_day_shows_its_windows_full_and_quotes_and_books_none(customer_client, booking_setup):
    clinic = booking_setup["clinic"]
    ClinicInfo.objects.filter(pk=clinic.pk).update(home_daily_capacity=1, lab_daily_capacity=1)
    day = timezone.localdate() + datetime.timedelta(days=3)
    slot_generate(start=day, days=1)
    first, second = CollectionSlot.objects.filter(date=day).order_by("start_time")[:2]
    slots_url = reverse("bookings:slot-list")

    listed = {s["id"]: s for s in customer_client.get(slots_url, {"date": day.isoformat()}).json()}
    assert (listed[second.pk]["remaining"], listed[second.pk]["lab_remaining"]) == (1, 1)
    booked = customer_client.post(
        reverse("bookings:booking-list"), booking_payload(booking_setup, slot=first.pk), format="json"
    )
    assert booked.status_code == 201, booked.json()

    listed = {s["id"]: s for s in customer_client.get(slots_url, {"date": day.isoformat()}).json()}
    # The window itself has room (capacity 4, nobody in it), but its day is full for home visits; lab visits not.
    assert CollectionSlot.objects.get(pk=second.pk).booked == 0
    assert {s["remaining"] for s in listed.values()} == {0}
    assert listed[second.pk]["lab_remaining"] == 1
    other = {"tests": [booking_setup["tests"][2].pk], "slot": second.pk}
    quote = customer_client.post(
        reverse("bookings:booking-quote"), booking_payload(booking_setup, **other), format="json"
    )
    assert (quote.status_code, quote.json()["code"]) == (409, "slot_full")
    assert "fully booked" in quote.json()["detail"]
    refused = customer_client.post(
        reverse("bookings:booking-list"), booking_payload(booking_setup, **other), format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "slot_full")
    lab_quote = customer_client.post(
        reverse("bookings:booking-quote"),
        booking_payload(booking_setup, collection_type="lab", address=None, **other),
        format="json",
    )
    assert lab_quote.status_code == 200, lab_quote.json()


def test_slot_list_queries_do_not_grow_with_the_days_and_windows(api_client, django_assert_max_num_queries):
    week_clinic()
    slot_generate(start=timezone.localdate() + datetime.timedelta(days=1), days=6)
    with django_assert_max_num_queries(3):
        assert len(api_client.get(reverse("bookings:slot-list")).json()) > 10


def test_regenerate_never_touches_booked_slots():
    clinic = week_clinic()
    slot_generate(start=MONDAY, days=2)
    booked = CollectionSlot.objects.get(date=MONDAY, start_time=datetime.time(9))
    BookingFactory(slot=booked, booking_date=MONDAY)
    CollectionSlot.objects.filter(pk=booked.pk).update(booked=1)
    cancelled_only = CollectionSlot.objects.get(date=MONDAY, start_time=datetime.time(11))
    BookingFactory(slot=cancelled_only, booking_date=MONDAY, status="cancelled")
    untouched = {s.pk: (s.start_time, s.end_time, s.capacity) for s in CollectionSlot.objects.filter(pk=booked.pk)}

    # New hours: Monday 09:30–12:30, 30-minute windows.
    ClinicInfo.objects.filter(pk=clinic.pk).update(slot_minutes=30, home_slot_capacity=5)
    opening_hours_set(week={0: [(datetime.time(9, 30), datetime.time(12, 30))]})
    result = slot_regenerate(start=MONDAY, days=2)

    assert {s.pk for s in result.kept} == {booked.pk, cancelled_only.pk}
    assert [s.pk for s in result.closed] == [cancelled_only.pk]  # fits no more, holds no place: closed
    booked.refresh_from_db()
    assert {booked.pk: (booked.start_time, booked.end_time, booked.capacity)} == untouched
    assert booked.booked == 1
    assert booked.is_active
    assert not CollectionSlot.objects.get(pk=cancelled_only.pk).is_active
    # Empty windows were made again from the new hours, around the kept open one (09:00–10:00); the closed one
    # (11:00) only keeps its start time.
    assert starts(MONDAY) == ["09:00", "10:00", "10:30", "11:00", "11:30", "12:00"]
    assert CollectionSlot.objects.get(date=MONDAY, start_time=datetime.time(10)).capacity == 5
    assert starts(MONDAY + datetime.timedelta(days=1)) == []  # Tuesday lost its hours and had no booking
    assert result.removed == 6
    assert result.created == 4


def test_regenerate_command_lists_kept_slots():
    week_clinic()
    slot_generate(start=MONDAY, days=1)
    booked = CollectionSlot.objects.get(date=MONDAY, start_time=datetime.time(8))
    BookingFactory(slot=booked, booking_date=MONDAY)
    CollectionSlot.objects.filter(pk=booked.pk).update(booked=1)
    out = io.StringIO()
    call_command("generate_slots", "--regenerate", "--days=1", f"--start={MONDAY}", stdout=out)
    assert f"kept {booked}" in out.getvalue()
    assert "3 slot(s) created, 3 removed, 1 kept" in out.getvalue()


def test_regenerate_page_in_the_admin(admin_client):
    week_clinic()
    slot_generate(start=MONDAY, days=1)
    booked = CollectionSlot.objects.get(date=MONDAY, start_time=datetime.time(10))
    BookingFactory(slot=booked, booking_date=MONDAY)
    url = reverse("admin:bookings_collectionslot_regenerate")
    assert admin_client.get(url).status_code == 200
    assert url in admin_client.get(reverse("admin:bookings_collectionslot_changelist")).content.decode()

    response = admin_client.post(url, {"start": MONDAY.isoformat(), "days": 1})

    assert response.status_code == 200
    assert response.context["result"].kept == [booked]
    assert str(booked) in response.content.decode()
    past = admin_client.post(url, {"start": "2020-01-01", "days": 1})
    assert past.context["result"] is None
    assert "Past days" in past.content.decode()
