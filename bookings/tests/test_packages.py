"""Booking a package: one item per component test (its own tube code, report and turnaround), the package's price
split across them to the paisa."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import StaffUserFactory
from billing.models import BillingRecord
from bookings.models import Booking, BookingItem, TestReport
from bookings.services import booking_mark_collected, item_receive, report_upload
from bookings.tests.conftest import booking_payload
from catalog.tests.factories import LabTestFactory, package_of

pytestmark = pytest.mark.django_db

CREATE = reverse("bookings:booking-list")
QUOTE = reverse("bookings:booking-quote")
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def package(booking_setup):
    """₹2,399 (discounted from ₹2,900) for HEM-CBC (₹450), BIO-LFT (₹800 discounted) and END-T4 (₹650)."""
    cbc, lft, t4 = booking_setup["tests"]
    cbc.tat_hours, t4.tat_hours = 6, 48
    cbc.save(), t4.save()
    return package_of(
        [cbc, lft, t4],
        code="PKG-WELL",
        name="Wellness Panel",
        price=Decimal("2900.00"),
        discounted_price=Decimal("2399.00"),
    )


def test_booking_a_package_books_each_component_at_its_share_of_the_price(customer_client, booking_setup, package):
    response = customer_client.post(CREATE, booking_payload(booking_setup, tests=[package.id]), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    # 2399 × 450/1900 = 568.18…, × 800/1900 = 1010.10(52…), × 650/1900 = 820.71…: the leftover paisa goes to the
    # largest remainder (the second).
    assert [(i["test_code"], i["unit_price"]) for i in body["items"]] == [
        ("HEM-CBC", "568.18"),
        ("BIO-LFT", "1010.11"),
        ("END-T4", "820.71"),
    ]
    assert body["subtotal"] == "2399.00"
    assert [i["code"] for i in body["items"]] == [f"{body['code']}-01", f"{body['code']}-02", f"{body['code']}-03"]
    assert {i["package"]["code"] for i in body["items"]} == {"PKG-WELL"}
    booking = Booking.objects.get(pk=body["id"])
    assert sum(item.unit_price * item.quantity for item in booking.items.all()) == Decimal("2399.00")
    bill = BillingRecord.objects.get(booking=booking)
    assert bill.base_amount == Decimal("2399.00")
    assert sorted(bill.tests.values_list("code", flat=True)) == ["BIO-LFT", "END-T4", "HEM-CBC"]

    detail = customer_client.get(reverse("bookings:booking-detail", args=[booking.pk])).json()
    assert detail["items"] == body["items"]


def test_package_items_sum_to_the_package_price_with_a_test_beside_it(customer_client, booking_setup, package):
    extra = LabTestFactory(code="URI-RM", price=Decimal("400.00"))
    response = customer_client.post(CREATE, booking_payload(booking_setup, tests=[extra.id, package.id]), format="json")

    assert response.status_code == 201, response.json()
    items = response.json()["items"]
    assert [(i["sequence"], i["test_code"], i["package"]) for i in items][:2] == [
        (1, "URI-RM", None),
        (2, "HEM-CBC", {"id": package.id, "code": "PKG-WELL", "name": "Wellness Panel"}),
    ]
    assert sum(Decimal(i["unit_price"]) for i in items) == Decimal("2799.00") == Decimal(response.json()["subtotal"])


def test_each_component_has_its_own_turnaround_and_report(booking_setup, package, customer_client):
    body = customer_client.post(CREATE, booking_payload(booking_setup, tests=[package.id]), format="json").json()
    booking = Booking.objects.get(pk=body["id"])
    collector, tech = StaffUserFactory(), StaffUserFactory()
    booking.status = Booking.Status.CONFIRMED
    booking.save(update_fields=["status"])

    booking_mark_collected(booking=booking, by=collector)
    for item in booking.items.order_by("sequence"):
        item = item_receive(item=item, by=tech)
        report_upload(item=item, file=SimpleUploadedFile("r.pdf", PDF_BYTES), by=tech)

    items = list(booking.items.order_by("sequence"))
    assert [item.due_at - item.collected_at for item in items] == [
        datetime.timedelta(hours=6),
        datetime.timedelta(hours=24),
        datetime.timedelta(hours=48),
    ]
    reports = TestReport.objects.filter(booking=booking)
    assert sorted(reports.values_list("booking_item_id", flat=True)) == sorted(item.pk for item in items)
    assert sorted(reports.values_list("test__code", flat=True)) == ["BIO-LFT", "END-T4", "HEM-CBC"]


def test_a_test_also_in_a_chosen_package_is_refused(customer_client, booking_setup, package):
    cbc = booking_setup["tests"][0]

    for url in (QUOTE, CREATE):
        response = customer_client.post(url, booking_payload(booking_setup, tests=[package.id, cbc.id]), format="json")

        assert response.status_code == 400, url
        assert response.json()["code"] == "duplicate_tests"
        assert "HEM-CBC is also in PKG-WELL" in str(response.json())
    assert not BookingItem.objects.exists()


def test_two_packages_sharing_a_test_are_refused(customer_client, booking_setup, package):
    other = package_of([booking_setup["tests"][0]], code="PKG-CBC")

    response = customer_client.post(CREATE, booking_payload(booking_setup, tests=[package.id, other.id]), format="json")

    assert response.status_code == 400
    assert "HEM-CBC is in both PKG-WELL and PKG-CBC" in str(response.json())


def test_the_quote_shows_the_package_and_its_components(customer_client, booking_setup, package):
    response = customer_client.post(QUOTE, booking_payload(booking_setup, tests=[package.id]), format="json")

    assert response.status_code == 200, response.json()
    (line,) = response.json()["items"]
    assert (line["code"], line["unit_price"], line["amount"]) == ("PKG-WELL", "2399.00", "2399.00")
    assert [(c["code"], c["unit_price"]) for c in line["components"]] == [
        ("HEM-CBC", "568.18"),
        ("BIO-LFT", "1010.11"),
        ("END-T4", "820.71"),
    ]
    assert response.json()["subtotal"] == "2399.00"


def test_a_package_without_components_is_booked_as_one_test(customer_client, booking_setup):
    bare = LabTestFactory(is_package=True, price=Decimal("999.00"))

    response = customer_client.post(CREATE, booking_payload(booking_setup, tests=[bare.id]), format="json")

    assert response.status_code == 201
    assert [(i["test"], i["unit_price"], i["package"]) for i in response.json()["items"]] == [(bare.id, "999.00", None)]


def test_item_codes_are_the_booking_code_and_a_two_digit_number(customer_client, booking_setup):
    tests = [LabTestFactory() for _ in range(11)]

    body = customer_client.post(
        CREATE, booking_payload(booking_setup, tests=[t.id for t in tests]), format="json"
    ).json()

    codes = [item["code"] for item in body["items"]]
    assert codes[0] == f"{body['code']}-01"
    assert codes[10] == f"{body['code']}-11"
    assert all(len(code) == len("DP-XXXXXX-01") for code in codes)
    assert BookingItem.objects.filter(code__in=codes).count() == 11
