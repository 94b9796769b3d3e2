"""Collection slots: generation from clinic hours and holidays, the command, and the public list."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bookings.models import CollectionSlot
from bookings.services import slot_generate
from bookings.tests.factories import CollectionSlotFactory
from clinic.tests.factories import ClinicHolidayFactory, ClinicInfoFactory

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
