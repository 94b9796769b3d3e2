"""The pet's health record: published results (filter, 404 for another's pet, constant queries), trend charts,
weight history recorded at collection."""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory, StaffUserFactory
from billing.tests.factories import BillingRecordFactory
from bookings import health_record, trend
from bookings.models import Booking
from bookings.services import report_amend, report_deliver, report_verify
from bookings.tests.factories import BookingFactory, BookingItemFactory
from bookings.tests.publishing_helpers import submitted_report
from bookings.trend import HEIGHT_PX, WIDTH_PX
from catalog.tests.factories import LabTestFactory
from conftest import client_for
from pets.models import Pet
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def results_url(pet, **params):
    return reverse("bookings:pet-results", args=[pet.id])


def trend_url(pet, code):
    return reverse("bookings:pet-result-trend", args=[pet.id, code])


def published(pet, *, days_ago=0, status="delivered", values=None, test=None, analytes=3):
    booking = BookingFactory(user=pet.user, pet=pet)
    report = submitted_report(
        booking=booking,
        test=test,
        analytes=analytes,
        values=values,
        sampled_at=timezone.now() - datetime.timedelta(days=days_ago, hours=2),
    )
    report = report_verify(report=report, by=StaffUserFactory())
    if status == "delivered":
        report_deliver(report=report, by=StaffUserFactory())
    return report


def test_only_published_values_of_my_pet(customer, customer_client):
    pet = PetFactory(user=customer)
    cbc = LabTestFactory(code="HEM-CBC")
    old = published(pet, days_ago=30, test=cbc)
    new = published(pet, days_ago=1, test=cbc)
    submitted_report(booking=BookingFactory(user=customer, pet=pet), test=cbc)  # not verified: not shown
    published(pet, test=cbc, status="verified")  # verified, not released to the customer yet: not shown
    published(PetFactory(), test=cbc)  # someone else's

    body = customer_client.get(results_url(pet)).json()
    assert body["count"] == 6
    assert {r["report"] for r in body["results"]} == {old.id, new.id}
    first = body["results"][0]
    assert (first["analyte"], first["report"], first["value"], first["test_code"]) == ("HCT", new.id, "10.0", "HEM-CBC")
    hct = customer_client.get(results_url(pet), {"analyte": "hct"}).json()
    assert [r["report"] for r in hct["results"]] == [new.id, old.id]


def test_an_amendment_in_progress_keeps_the_verified_values(customer, customer_client):
    pet = PetFactory(user=customer)
    report = published(pet, status="delivered")
    report_amend(report=report, file=None, by=StaffUserFactory(), reason="Typo")
    body = customer_client.get(results_url(pet)).json()
    assert {r["report"] for r in body["results"]} == {report.id}


def test_another_customers_pet_is_404(customer_client):
    theirs = PetFactory()
    published(theirs)
    assert customer_client.get(results_url(theirs)).status_code == 404
    assert customer_client.get(trend_url(theirs, "HCT")).status_code == 404
    assert customer_client.get(reverse("bookings:pet-weights", args=[theirs.id])).status_code == 404


def test_results_query_count_does_not_grow_with_five_years(customer, customer_client, django_assert_max_num_queries):
    pet = PetFactory(user=customer)
    test = LabTestFactory()
    published(pet, days_ago=1, test=test)
    with django_assert_max_num_queries(4) as one:
        assert customer_client.get(results_url(pet)).json()["count"] == 3
    for month in range(2, 61):  # five years of monthly panels
        published(pet, days_ago=30 * month, test=test, analytes=3)
    with django_assert_max_num_queries(4) as many:
        assert customer_client.get(results_url(pet), {"page_size": 100}).json()["count"] == 180
    assert len(one.captured_queries) == len(many.captured_queries)


def test_trend_png_is_a_real_png_of_the_expected_size_and_cached(customer, customer_client, monkeypatch):
    drawn = []
    monkeypatch.setattr(health_record, "trend_png", lambda **kw: drawn.append(kw) or trend.trend_png(**kw))
    pet = PetFactory(user=customer)
    test = LabTestFactory()
    for days in (90, 60, 30):
        published(pet, days_ago=days, test=test, values=[Decimal(days / 2), Decimal(12), Decimal(1)])
    response = customer_client.get(trend_url(pet, "hct"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    image.verify()

    assert len(drawn[0]["points"]) == 3
    again = customer_client.get(trend_url(pet, "HCT"))
    assert again.content == response.content
    assert len(drawn) == 1  # served from the cache

    # A new verification (after commit) gives a new chart.
    with TestCase.captureOnCommitCallbacks(execute=True):
        published(pet, days_ago=1, test=test, values=[Decimal(70), Decimal(12), Decimal(1)])
    assert customer_client.get(trend_url(pet, "HCT")).content != response.content
    assert len(drawn) == 2
    assert len(drawn[1]["points"]) == 4
    assert customer_client.get(trend_url(pet, "NOPE")).status_code == 404


@pytest.mark.parametrize("code", ["HCT%00", "%00", "H%00CT"])
def test_a_trend_of_an_analyte_code_with_nul_is_404_not_a_server_error(customer, customer_client, code):
    # PostgreSQL refuses NUL in a text parameter: such a code names no analyte.
    pet = PetFactory(user=customer)
    published(pet)

    response = customer_client.get(f"/api/v1/pets/{pet.pk}/results/{code}/trend.png")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- Weight at collection -------------------------------------------------------------------------------------------


def _visit(collector):
    booking = BookingFactory(
        collection_staff=collector, status=Booking.Status.CONFIRMED, booking_date=timezone.localdate()
    )
    BookingItemFactory(booking=booking)
    BillingRecordFactory(booking=booking)
    return booking


def test_the_collector_records_the_weight_and_the_customer_sees_its_history():
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    booking = _visit(collector)
    url = reverse("bookings:collection-collected", args=[booking.id])
    for bad in ("0", "151", "-3"):
        response = client_for(collector).post(url, {"pet_weight_kg": bad}, format="json")
        assert response.status_code == 400, bad
    response = client_for(collector).post(url, {"pet_weight_kg": "23.40"}, format="json")
    assert response.status_code == 200, response.json()
    booking.refresh_from_db()
    assert booking.pet_weight_kg == Decimal("23.40")
    assert Pet.objects.get(pk=booking.pet_id).weight_kg == Decimal("23.40")

    body = client_for(booking.user).get(reverse("bookings:pet-weights", args=[booking.pet_id])).json()
    assert body["results"] == [
        {"booking_code": booking.code, "weighed_at": body["results"][0]["weighed_at"], "pet_weight_kg": "23.40"}
    ]


def test_the_day_sheet_form_records_the_weight(client):
    roles_setup()
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    staff_set_role(user=collector, role=StaffRole.COLLECTOR)
    booking = _visit(collector)
    client.force_login(collector)
    url = reverse("admin:bookings_booking_visit_collected", args=[booking.id])
    client.post(url, {"pet_weight_kg": "4000"})
    booking.refresh_from_db()
    assert (booking.status, booking.pet_weight_kg) == (Booking.Status.CONFIRMED, None)
    client.post(url, {"pet_weight_kg": "4.25"})
    booking.refresh_from_db()
    assert (booking.status, booking.pet_weight_kg) == (Booking.Status.COLLECTED, Decimal("4.25"))
