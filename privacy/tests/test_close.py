"""``POST me/close``: tokens refused at once, personal data not needed for invoices gone, invoices intact, the
rest anonymised after the retention period; and the staff's ``anonymize_user`` also clears review comments."""

import datetime
import io
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import StaffRole
from accounts.tests.factories import (
    DEFAULT_PASSWORD,
    AddressFactory,
    NotificationFactory,
    StaffUserFactory,
    UserFactory,
)
from accounts.tests.staff import logged_in, staff_of
from billing.models import BillingRecord
from billing.services import invoice_assign_number, payment_record
from billing.tests.factories import BillingRecordFactory, item_add
from bookings.models import Booking
from bookings.services import report_deliver, report_verify
from bookings.tests.factories import BookingFactory, ReportShareFactory
from bookings.tests.publishing_helpers import submitted_report
from catalog.tests.factories import LabTestFactory
from privacy.models import AccountClosure
from privacy.services import closed_accounts_anonymise
from reviews.models import Review
from reviews.tests.factories import CompletedBookingFactory, ReviewFactory

CLOSE = "/api/v1/me/close"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(customer):
    """A completed, invoiced and paid visit with a review, an address, a notification."""
    booking = CompletedBookingFactory(user=customer, notes="Ring twice")
    record = BillingRecordFactory(booking=booking, status="finalized")
    item_add(record, test=LabTestFactory(), unit_price=Decimal("500.00"))
    record = invoice_assign_number(record=record)
    payment_record(record=record, amount=Decimal("500.00"), method="upi")
    ReviewFactory(booking=booking, comment="Lovely collector, my dog Bruno liked her", testimonial_consent=True)
    NotificationFactory(user=customer)
    AddressFactory(user=customer)
    return booking


def _login(api_client, user):
    response = api_client.post(TOKEN, {"username": user.phone, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200, response.data
    return response.data


def test_closing_refuses_the_refresh_token_at_once_and_keeps_the_invoice(api_client, customer, history):
    tokens = _login(api_client, customer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200, response.data
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    second = api_client.post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json")
    assert second.status_code == 401
    assert second.data["code"] == "user_inactive"
    api_client.credentials()
    assert api_client.post(TOKEN, {"username": customer.phone, "password": DEFAULT_PASSWORD}).status_code in (400, 401)

    customer.refresh_from_db()
    assert not customer.is_active
    assert customer.email is None
    assert not customer.addresses.exists()
    assert not customer.notifications.exists()
    assert customer.full_name  # printed on the invoice: kept until the retention period ends
    review = Review.objects.get(booking=history)
    assert (review.comment, review.testimonial_consent, review.visit_rating) == ("", False, 5)
    booking = Booking.objects.get(pk=history.pk)
    assert (booking.notes, booking.address_id) == ("", None)
    closure = AccountClosure.objects.get(user=customer)
    assert closure.anonymise_after.year == closure.closed_at.year + 8

    record = BillingRecord.objects.get(booking=history)
    assert (record.status, record.final_amount, record.amount_paid) == ("paid", Decimal("500.00"), Decimal("500.00"))
    invoice = logged_in(staff_of(StaffRole.ANALYST)).get(
        reverse("admin:billing_billingrecord_invoice", args=[record.pk])
    )
    assert invoice.status_code == 200
    text = PdfReader(io.BytesIO(b"".join(invoice.streaming_content))).pages[0].extract_text()
    assert record.invoice_number in text
    assert customer.full_name in text


def test_wrong_password_is_a_clean_400_and_changes_nothing(customer, customer_client):
    response = customer_client.post(CLOSE, {"password": "not-it"}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "wrong_password"
    customer.refresh_from_db()
    assert customer.is_active
    assert not AccountClosure.objects.exists()
    assert customer_client.post(CLOSE, {}, format="json").status_code == 400


def test_a_booking_under_way_blocks_closing(customer, customer_client):
    BookingFactory(user=customer, status=Booking.Status.CONFIRMED)

    response = customer_client.post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "open_bookings"


def test_the_account_is_anonymised_once_the_retention_period_ends(customer, customer_client, history, settings):
    settings.CLOSED_ACCOUNT_RETENTION_YEARS = 1
    assert customer_client.post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json").status_code == 200

    assert closed_accounts_anonymise() == 0  # not yet
    later = timezone.now() + datetime.timedelta(days=367)
    assert closed_accounts_anonymise(now=later) == 1
    assert closed_accounts_anonymise(now=later) == 0  # once

    customer.refresh_from_db()
    assert customer.anonymized_at is not None
    assert customer.full_name == "Anonymised customer"
    assert AccountClosure.objects.get(user=customer).anonymised_at is not None
    assert BillingRecord.objects.get(booking=history).invoice_number  # the bill stays


def test_staff_anonymize_user_clears_review_comments(history):
    customer = history.user
    other = ReviewFactory(comment="Keep me")

    call_command("anonymize_user", "--user-id", str(customer.pk), "--yes", stdout=io.StringIO())

    review = Review.objects.get(booking=history)
    assert (review.comment, review.testimonial_consent) == ("", False)
    other.refresh_from_db()
    assert other.comment == "Keep me"


def test_staff_cannot_close_through_the_api():
    from conftest import client_for

    staff = UserFactory(is_staff=True)
    response = client_for(staff).post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "staff_account"


def test_closing_withdraws_the_links_to_the_customers_reports(customer, customer_client, client):
    report = submitted_report(booking=BookingFactory(user=customer, status=Booking.Status.COMPLETED))
    report = report_deliver(report=report_verify(report=report, by=StaffUserFactory()), by=StaffUserFactory())
    shared = customer_client.post(reverse("bookings:report-share", args=[report.pk]), {}, format="json")
    assert shared.status_code == 201, shared.json()
    page = urlsplit(shared.json()["url"]).path
    assert client.get(page).status_code == 200
    someone_elses = ReportShareFactory()

    assert customer_client.post(CLOSE, {"password": DEFAULT_PASSWORD}, format="json").status_code == 200

    assert client.get(page).status_code == 410
    assert client.get(f"{page}/report.pdf").status_code == 410
    someone_elses.refresh_from_db()
    assert someone_elses.revoked_at is None
