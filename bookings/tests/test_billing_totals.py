"""The billing report's split by test category: computed from the bills' items by a rebuild (Celery beat every 10
minutes, ``manage.py billing_totals`` on demand), never written by a bill change; exact after each rebuild, whatever
happened since (bookings, cancellations, free re-collections, a test moved to another category), and the report
page says how old it is."""

import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.models import CategoryDayTotal
from billing.tasks import category_totals_rebuild_task
from bookings.models import Booking, BookingItem, CollectionSlot
from bookings.services.lifecycle import item_reject
from bookings.tests.conftest import booking_payload
from bookings.tests.test_concurrency import book, customer_setup
from catalog.tests.factories import TestCategoryFactory
from conftest import client_for, run_concurrently

BOOKINGS = reverse("bookings:booking-list")
SUMMARY = reverse("billing:billing-summary")


def expected_by_category() -> dict:
    """Straight from the items of the bookings whose bill is not void (what a rebuild must add up to)."""
    totals = defaultdict(lambda: [0, Decimal("0.00")])
    items = BookingItem.objects.exclude(booking__billing_record__status="void").select_related("test__category")
    for item in items.filter(booking__billing_record__isnull=False):
        total = totals[item.test.category.name]
        total[0] += 1
        total[1] += item.unit_price * item.quantity
    return {name: (count, f"{amount:.2f}") for name, (count, amount) in totals.items() if count}


def summary_of(slot) -> dict:
    analyst = StaffProfileFactory(role=StaffRole.ANALYST).user
    day = slot.date.isoformat()
    response = client_for(analyst).get(SUMMARY, {"period": "day", "from": day, "to": day})
    assert response.status_code == 200, response.json()
    return response.json()


def reported_by_category(slot) -> dict:
    return {row["category"]: (row["items"], row["amount"]) for row in summary_of(slot)["by_category"]}


def check_command() -> str:
    out = io.StringIO()
    call_command("billing_totals", "--check", stdout=out)
    return out.getvalue()


def refresh() -> str:
    out = io.StringIO()
    call_command("billing_totals", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_split_by_category_is_exact_after_a_rebuild(customer_client, booking_setup, settings):
    settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0  # three bookings of one pet on one day
    tests = booking_setup["tests"]
    made = []
    for chosen in ([tests[0], tests[1]], [tests[1], tests[2]], [tests[0], tests[2]]):
        payload = booking_payload(booking_setup, tests=[t.id for t in chosen])
        response = customer_client.post(BOOKINGS, payload, format="json")
        assert response.status_code == 201, response.json()
        made.append(Booking.objects.get(pk=response.json()["id"]))
    # Booking writes no category rows: the figures wait for the next rebuild.
    assert not CategoryDayTotal.objects.exists()
    assert reported_by_category(booking_setup["slot"]) == {}
    assert summary_of(booking_setup["slot"])["categories_as_of"] is None  # the API says the split is not computed

    assert "3 day/category row(s)" in refresh()
    assert summary_of(booking_setup["slot"])["categories_as_of"] is not None
    assert reported_by_category(booking_setup["slot"]) == {
        tests[0].category.name: (2, "900.00"),
        tests[1].category.name: (2, "1600.00"),
        tests[2].category.name: (2, "1300.00"),
    }

    cancelled = customer_client.post(reverse("bookings:booking-cancel", args=[made[0].id]), {}, format="json")
    assert cancelled.status_code == 200, cancelled.json()
    # A rejected sample of the second booking: its free re-collection adds an item at ₹0.
    item = made[1].items.get(test=tests[2])
    BookingItem.objects.filter(pk=item.pk).update(status=BookingItem.Status.RECEIVED)
    item.refresh_from_db()
    recollection = item_reject(item=item, by=StaffProfileFactory(role=StaffRole.LAB_TECH).user, reason="clotted")
    assert recollection.booking_date == booking_setup["slot"].date

    with pytest.raises(CommandError, match="differ"):
        check_command()  # stale until the next rebuild, and --check says so
    refresh()
    reported = reported_by_category(booking_setup["slot"])
    assert reported == expected_by_category()
    assert reported == {
        tests[0].category.name: (1, "450.00"),
        tests[1].category.name: (1, "800.00"),
        tests[2].category.name: (3, "1300.00"),
    }
    assert "match the bills" in check_command()
    assert CategoryDayTotal.objects.count() == 3


@pytest.mark.django_db
def test_check_finds_drift_and_rebuild_repairs_it(customer_client, booking_setup):
    response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")
    assert response.status_code == 201, response.json()
    refresh()
    row = CategoryDayTotal.objects.first()
    CategoryDayTotal.objects.create(day=row.day, category=row.category, items=1, amount=Decimal("99.00"))

    with pytest.raises(CommandError, match="1 day/category total"):
        check_command()
    out = io.StringIO()
    call_command("billing_totals", "--rebuild", stdout=out)
    assert "2 day/category row(s)" in out.getvalue()
    assert "match the bills" in check_command()
    assert reported_by_category(booking_setup["slot"]) == expected_by_category()


@pytest.mark.django_db(transaction=True)
def test_rebuilding_while_bookings_are_made_loses_nothing(booking_setup):
    CollectionSlot.objects.filter(pk=booking_setup["slot"].pk).update(capacity=50)
    calls = []
    for _ in range(8):
        user, setup = customer_setup(booking_setup)
        calls.append(book(user, booking_payload(setup)))
    for _ in range(3):
        calls.append(lambda: (call_command("billing_totals", "--rebuild", stdout=io.StringIO()), None))
    results = run_concurrently(calls)
    assert [status for status, _ in results[:8]] == [201] * 8, results
    refresh()
    assert "match the bills" in check_command()
    assert reported_by_category(booking_setup["slot"]) == expected_by_category()
    assert CategoryDayTotal.objects.count() == 2


@pytest.mark.django_db
def test_a_test_moved_to_another_category_is_reported_there_after_the_rebuild(customer_client, booking_setup):
    tests = booking_setup["tests"]
    made = []
    for _ in range(2):
        response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")
        assert response.status_code == 201, response.json()
        made.append(response.json()["id"])
    refresh()
    old = tests[0].category.name
    tests[0].category = TestCategoryFactory(name="Reclassified")
    tests[0].save()  # as the admin's change form and the catalog import do
    cancelled = customer_client.post(reverse("bookings:booking-cancel", args=[made[0]]), {}, format="json")
    assert cancelled.status_code == 200, cancelled.json()
    refresh()

    reported = reported_by_category(booking_setup["slot"])
    assert reported == expected_by_category()
    assert reported["Reclassified"] == (1, "450.00")
    assert old not in reported
    assert "match the bills" in check_command()


@pytest.mark.django_db
def test_the_report_page_says_how_old_the_category_figures_are(admin_client, customer_client, booking_setup):
    response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")
    assert response.status_code == 201, response.json()
    report = reverse("admin:billing_billingrecord_report")
    day = booking_setup["slot"].date.isoformat()
    query = {"period": "day", "date_from": day, "date_to": day}

    assert "have not been computed yet" in admin_client.get(report, query).content.decode()
    minutes = [timezone.localtime().strftime("%H:%M")]
    category_totals_rebuild_task()  # the beat task
    minutes.append(timezone.localtime().strftime("%H:%M"))
    page = admin_client.get(report, query)

    html = page.content.decode()
    assert any(f"Category figures as of {minute}" in html for minute in minutes), html
    assert page.context["summary"].categories_as_of is not None
    assert CategoryDayTotal.objects.count() == 2


def test_check_and_rebuild_are_one_or_the_other():
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("billing_totals", "--check", "--rebuild", stdout=io.StringIO())
