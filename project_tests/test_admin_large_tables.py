"""What the large tables' changelists (``LargeTableAdmin``, diagnopet/admin_base.py) do for speed and must keep
doing: their statements planned for their own filter values, the samples newest first, Django's row checkbox."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Booking, BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory

pytestmark = pytest.mark.django_db


def test_a_changelist_is_planned_for_its_filter_values_and_leaves_the_connection_as_it_was(admin_client):
    BookingFactory()

    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get("/admin/bookings/booking/", {"pin": "far"})

    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    start, end = sql.index("SET plan_cache_mode = force_custom_plan"), sql.index("RESET plan_cache_mode")
    filtered = [i for i, q in enumerate(sql) if "collection_pin_gap_km" in q.split("WHERE")[-1]]
    # The count, the page and the date span all read inside, rendering included.
    assert len(filtered) >= 3
    assert all(start < i < end for i in filtered)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_samples_are_listed_newest_first(admin_client):
    old, new = BookingItemFactory(), BookingItemFactory()
    BookingItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))

    response = admin_client.get("/admin/bookings/bookingitem/")

    assert list(response.context["cl"].result_list) == [new, old]


@pytest.mark.parametrize("code", ["DP-7K3Q9X", 'DP-<b>&"x'])
def test_the_row_checkbox_is_djangos_markup(code):
    model_admin = admin.site.get_model_admin(Booking)
    booking = Booking(pk=7, code=code)

    assert model_admin.action_checkbox(booking) == admin.ModelAdmin.action_checkbox(model_admin, booking)
