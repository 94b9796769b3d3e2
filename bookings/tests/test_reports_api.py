"""Customers read and download only delivered, current reports of their own pets."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from bookings.tests.factories import BookingFactory, BookingItemFactory, TestReportFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

REPORTS = reverse("bookings:report-list")
PDF = b"%PDF-1.4\n% report\n%%EOF\n"


def report_for(user, status="delivered", **kwargs):
    booking = BookingFactory(user=user, pet=kwargs.pop("pet", None) or PetFactory(user=user))
    item = BookingItemFactory(booking=booking)
    return TestReportFactory(booking_item=item, status=status, report_file=ContentFile(PDF, name="r.pdf"), **kwargs)


def test_only_delivered_current_reports_of_my_pets(customer, customer_client):
    delivered = report_for(customer)
    for status in ("pending", "generated", "verified"):
        report_for(customer, status=status)
    report_for(customer, is_current=False)  # superseded by an amendment
    report_for(PetFactory().user)  # someone else's
    body = customer_client.get(REPORTS).json()
    assert [r["id"] for r in body["results"]] == [delivered.id]
    assert body["results"][0]["download_url"] == f"http://testserver/api/v1/reports/{delivered.id}/download"


def test_detail_and_download_are_404_for_everything_else(customer, customer_client):
    hidden = [
        report_for(customer, status="verified"),
        report_for(customer, is_current=False),
        report_for(PetFactory().user),
    ]
    for report in hidden:
        assert customer_client.get(reverse("bookings:report-detail", args=[report.id])).status_code == 404
        assert customer_client.get(reverse("bookings:report-download", args=[report.id])).status_code == 404


def test_download_is_an_attachment_never_inline(customer, customer_client):
    report = report_for(customer)
    response = customer_client.get(reverse("bookings:report-download", args=[report.id]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_download_needs_authentication(api_client, customer):
    report = report_for(customer)
    assert api_client.get(reverse("bookings:report-download", args=[report.id])).status_code == 401


def test_pet_reports(customer, customer_client):
    pet = PetFactory(user=customer)
    mine = report_for(customer, pet=pet)
    report_for(customer)  # another of my pets
    url = reverse("bookings:pet-reports", args=[pet.id])
    assert [r["id"] for r in customer_client.get(url).json()["results"]] == [mine.id]
    other_pet = PetFactory()
    assert customer_client.get(reverse("bookings:pet-reports", args=[other_pet.id])).status_code == 404


def test_reports_list_query_count_is_constant(customer, customer_client, django_assert_max_num_queries):
    report_for(customer)
    with django_assert_max_num_queries(3) as one:  # user, count, page
        customer_client.get(REPORTS)
    for _ in range(30):
        report_for(customer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(customer_client.get(REPORTS, {"page_size": 50}).json()["results"]) == 31
