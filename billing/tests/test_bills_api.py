"""A customer's bills, invoices and receipts through the API: own objects only, PDFs as attachments."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.services import invoice_assign_number, payment_record
from billing.tests.factories import BillingRecordFactory, item_add
from catalog.tests.factories import LabTestFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

BILLS = "/api/v1/bills/"


def _bill(user, **kwargs):
    return BillingRecordFactory(booking__user=user, **kwargs)


def _pdf_text(response) -> str:
    body = b"".join(response.streaming_content)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_list_shows_only_my_bills_newest_first(customer, customer_client):
    older, newer = _bill(customer), _bill(customer)
    _bill(BillingRecordFactory().user)  # another customer's

    response = customer_client.get(BILLS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.id, older.id]
    row = body["results"][0]
    assert row["booking_code"] == newer.booking.code
    assert (row["final_amount"], row["amount_due"], row["payment_status"]) == ("500.00", "500.00", "unpaid")
    assert row["invoice_url"] is None


def test_detail_has_payments_refunds_invoice_and_status(customer, customer_client):
    record = _bill(customer, status="finalized")
    item_add(record, test=LabTestFactory(), unit_price=Decimal("500.00"))
    invoice_assign_number(record=record)
    paid = payment_record(record=record, amount=Decimal("500.00"), method="card", reference="CARD-1")
    refund = payment_record(record=record, amount=Decimal("120.00"), method="card", kind="refund")
    record.refresh_from_db()

    body = customer_client.get(f"{BILLS}{record.id}/").json()

    assert body["invoice_number"] == record.invoice_number
    assert body["booking_code"] == record.booking.code
    assert body["status"] == "paid"  # money given back is not due again
    assert body["amount_paid"] == "380.00"
    assert body["amount_refunded"] == "120.00"
    assert body["amount_due"] == "0.00"
    assert body["payment_status"] == "partially_refunded"
    assert body["invoice_url"] == f"http://testserver{BILLS}{record.id}/invoice"
    assert [(p["id"], p["amount"], p["reference"]) for p in body["payments"]] == [(paid.id, "500.00", "CARD-1")]
    assert body["payments"][0]["receipt_url"] == f"http://testserver/api/v1/payments/{paid.id}/receipt"
    assert [(r["id"], r["amount"]) for r in body["refunds"]] == [(refund.id, "120.00")]


def test_invoice_download_renders_a_missing_pdf(customer, customer_client):
    record = _bill(customer, status="finalized")
    item_add(record, test=LabTestFactory(code="CBC-01", name="Complete blood count"), unit_price=Decimal("500.00"))
    invoice_assign_number(record=record)  # its rendering was queued after commit, which a test never reaches
    record.refresh_from_db()

    response = customer_client.get(f"{BILLS}{record.id}/invoice")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{record.invoice_number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    text = _pdf_text(response)
    assert record.invoice_number in text
    assert "Complete blood count" in text


def test_invoice_before_the_bill_is_invoiced_is_a_409(customer, customer_client):
    record = _bill(customer)

    response = customer_client.get(f"{BILLS}{record.id}/invoice")

    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_ready"


def test_receipt_download(customer, customer_client):
    record = _bill(customer)
    payment = payment_record(record=record, amount=Decimal("200.00"), method="upi", reference="UPI-42")

    response = customer_client.get(f"/api/v1/payments/{payment.id}/receipt")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="RCP-')
    text = _pdf_text(response)
    assert "UPI-42" in text
    assert "INR 200.00" in text


def test_another_customers_bill_invoice_and_receipt_are_404(customer, customer_client):
    theirs = BillingRecordFactory(status="finalized")
    item_add(theirs, test=LabTestFactory(), unit_price=Decimal("500.00"))
    invoice_assign_number(record=theirs)
    their_payment = payment_record(record=theirs, amount=Decimal("100.00"), method="cash")

    for path in (f"{BILLS}{theirs.id}/", f"{BILLS}{theirs.id}/invoice", f"/api/v1/payments/{their_payment.id}/receipt"):
        response = customer_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert customer_client.get(BILLS).json()["count"] == 0
    # The owner gets them.
    owner = client_for(theirs.user)
    assert owner.get(f"{BILLS}{theirs.id}/invoice").status_code == 200
    assert owner.get(f"/api/v1/payments/{their_payment.id}/receipt").status_code == 200


@pytest.mark.parametrize("which", ["refund", "failed", "missing", "abc"])
def test_receipt_of_a_refund_a_failed_or_no_payment_is_404(customer, customer_client, which):
    record = _bill(customer)
    paid = payment_record(record=record, amount=Decimal("200.00"), method="cash")
    refund = payment_record(record=record, amount=Decimal("50.00"), method="cash", kind="refund")
    failed = record.payments.create(
        amount=Decimal("10.00"), method="online", status="failed", received_at=paid.received_at
    )
    key = {"refund": refund.id, "failed": failed.id, "missing": 99999999, "abc": "abc"}[which]

    assert customer_client.get(f"/api/v1/payments/{key}/receipt").status_code == 404


def test_anonymous_is_401(api_client):
    assert api_client.get(BILLS).status_code == 401


def test_unknown_query_parameter_is_refused(customer_client):
    response = customer_client.get(BILLS, {"status": "paid"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


def test_list_query_count_is_constant(customer, customer_client, django_assert_max_num_queries):
    record = _bill(customer)
    payment_record(record=record, amount=Decimal("100.00"), method="cash")
    with django_assert_max_num_queries(3) as one:  # user, count, page
        assert len(customer_client.get(BILLS).json()["results"]) == 1
    for _ in range(19):
        record = _bill(customer)
        payment_record(record=record, amount=Decimal("300.00"), method="cash")
        payment_record(record=record, amount=Decimal("100.00"), method="cash", kind="refund")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = customer_client.get(BILLS)
    assert len(response.json()["results"]) == 20
    assert {row["payment_status"] for row in response.json()["results"]} == {"partially_paid", "partially_refunded"}
