"""The date drill-down of large tables' changelists (``LargeTableAdmin``, diagnopet/templatetags/admin_dates.py):
every period from the first row to the last, read with two ordered look-ups instead of a SELECT DISTINCT over the
table; the same links as Django's. Small tables keep Django's own."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from billing.tests.factories import BillingRecordFactory
from bookings.tests.factories import BookingFactory
from clinic.tests.factories import ClinicHolidayFactory

pytestmark = pytest.mark.django_db

BOOKINGS = "/admin/bookings/booking/"


def _drill(admin_client, query: str = "") -> tuple[list[tuple[str, str]], list[str]]:
    """The date hierarchy's links (href, text) on the changelist, and the SQL the page ran."""
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(BOOKINGS + query)
    assert response.status_code == 200
    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', response.content.decode(), re.S)
    links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav.group(1)) if nav else []
    return [(html.unescape(href), html.unescape(text).strip()) for href, text in links], [
        q["sql"] for q in ctx.captured_queries
    ]


def _book(*days: datetime.date) -> None:
    for day in days:
        BookingFactory(booking_date=day)


def test_years_from_the_first_booking_to_the_last_without_a_distinct_scan(admin_client):
    _book(datetime.date(2024, 5, 10), datetime.date(2026, 2, 3))

    links, sql = _drill(admin_client)

    # 2025 has no booking: listed all the same (what the two index look-ups cannot tell).
    assert links == [
        ("?booking_date__year=2024", "2024"),
        ("?booking_date__year=2025", "2025"),
        ("?booking_date__year=2026", "2026"),
    ]
    assert not [q for q in sql if "DISTINCT" in q]
    # One count of the rows shown (show_full_result_count off: no second COUNT(*) of the whole table).
    assert sum(1 for q in sql if "COUNT(*)" in q) == 1


def test_months_of_a_year_and_days_of_a_month(admin_client):
    _book(datetime.date(2026, 1, 15), datetime.date(2026, 3, 2), datetime.date(2026, 3, 5), datetime.date(2025, 7, 1))

    months, _ = _drill(admin_client, "?booking_date__year=2026")
    days, _ = _drill(admin_client, "?booking_date__year=2026&booking_date__month=3")

    assert months == [
        ("?", "‹ All dates"),
        ("?booking_date__month=1&booking_date__year=2026", "Jan 2026"),
        ("?booking_date__month=2&booking_date__year=2026", "Feb 2026"),
        ("?booking_date__month=3&booking_date__year=2026", "Mar 2026"),
    ]
    assert days[0] == ("?booking_date__year=2026", "‹ 2026")
    assert [text for _href, text in days[1:]] == ["02 Mar", "03 Mar", "04 Mar", "05 Mar"]
    assert days[1][0] == "?booking_date__day=2&booking_date__month=3&booking_date__year=2026"


def test_bookings_of_one_month_open_on_its_days_and_one_day_shows_itself(admin_client):
    _book(datetime.date(2026, 3, 30), datetime.date(2026, 3, 31))

    links, _ = _drill(admin_client)
    day, _ = _drill(admin_client, "?booking_date__year=2026&booking_date__month=3&booking_date__day=31")

    assert [text for _href, text in links] == ["‹ 2026", "30 Mar", "31 Mar"]
    assert day == [("?booking_date__month=3&booking_date__year=2026", "‹ Mar 2026")]


def test_no_bookings_no_periods(admin_client):
    links, _ = _drill(admin_client)
    filtered, _ = _drill(admin_client, "?booking_date__year=2026")

    assert links == []
    assert filtered == [("?", "‹ All dates")]


def test_a_small_table_keeps_djangos_drill_down(admin_client):
    ClinicHolidayFactory(date=datetime.date(2024, 1, 26))
    ClinicHolidayFactory(date=datetime.date(2026, 1, 26))

    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get("/admin/clinic/clinicholiday/")

    assert response.status_code == 200
    # Only the years that have a row.
    assert b'href="?date__year=2024"' in response.content
    assert b'href="?date__year=2025"' not in response.content
    assert [q for q in ctx.captured_queries if "DISTINCT" in q["sql"]]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?booking_date__year=2026",
        "?booking_date__year=2026&booking_date__month=2",
        "?status=pending",
        "?booking_date__day=1",  # a day alone: Django starts from the years
    ],
)
def test_without_gaps_the_links_are_djangos(admin_client, monkeypatch, query):
    from bookings.admin import BookingAdmin

    _book(datetime.date(2025, 12, 31), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 2, 2))
    ours, ours_sql = _drill(admin_client, query)
    monkeypatch.setattr(BookingAdmin, "date_hierarchy_contiguous", False)
    djangos, djangos_sql = _drill(admin_client, query)

    assert ours == djangos
    assert ours
    assert [q for q in djangos_sql if "DISTINCT" in q]
    assert not [q for q in ours_sql if "DISTINCT" in q]


def test_a_datetime_hierarchy_counts_in_the_clinics_time_zone(admin_client, monkeypatch):
    from pets.admin import PetAdmin
    from pets.models import Pet
    from pets.tests.factories import PetFactory

    utc = datetime.UTC
    # In Asia/Kolkata (UTC+5:30) both are 1 January 2026; in UTC the first is still 2025.
    for moment in (
        datetime.datetime(2025, 12, 31, 19, 0, tzinfo=utc),
        datetime.datetime(2026, 1, 1, 10, 0, tzinfo=utc),
    ):
        Pet.objects.filter(pk=PetFactory().pk).update(created_at=moment)

    def drill(query=""):
        response = admin_client.get("/admin/pets/pet/" + query)
        assert response.status_code == 200
        nav = re.search(r'<nav class="toplinks">(.*?)</nav>', response.content.decode(), re.S)
        return [html.unescape(text).strip() for text in re.findall(r">([^<]+)</a>", nav.group(1))] if nav else []

    ours = drill()
    monkeypatch.setattr(PetAdmin, "date_hierarchy_contiguous", False)
    djangos = drill()

    assert ours == djangos == ["‹ 2026", "01 Jan"]


def test_a_collectors_bills_span_only_their_own_visits():
    """The span of a changelist scoped through a join (a collector's bills, by their bookings' collector)."""
    roles_setup()
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    staff_set_role(user=collector, role=StaffRole.COLLECTOR)
    client = Client()
    client.force_login(collector)
    for day in (datetime.date(2025, 3, 1), datetime.date(2026, 1, 9)):
        BillingRecordFactory(booking__collection_staff=collector, billing_date=day)
    BillingRecordFactory(billing_date=datetime.date(2023, 6, 1))  # another collector's visit

    response = client.get("/admin/billing/billingrecord/")

    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', response.content.decode(), re.S)
    assert re.findall(r">(\d{4})</a>", nav.group(1)) == ["2025", "2026"]
