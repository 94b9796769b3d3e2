"""Invoice and receipt PDFs: rendered after commit, stored once, read back with pypdf."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import Notification
from billing.documents import invoice_document, receipt_document
from billing.models import BillingDocument
from billing.services import invoice_assign_number, payment_record
from billing.tests.factories import BillingRecordFactory, item_add
from catalog.tests.factories import LabTestFactory
from clinic.tests.factories import ClinicInfoFactory

pytestmark = pytest.mark.django_db


def _text(document: BillingDocument) -> str:
    with document.file.open("rb") as stream:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stream.read())).pages)


@pytest.fixture
def bill():
    """A finalized bill: two tests (one twice) + a home-collection charge − a discount = 1,363.50."""
    record = BillingRecordFactory(
        booking__subtotal=Decimal("1250.00"),
        booking__distance_charge=Decimal("63.50"),
        booking__discount_amount=Decimal("100.00"),
        booking__estimated_distance_km=Decimal("6.35"),
        status="finalized",
    )
    item_add(record, test=LabTestFactory(code="CBC-01", name="Complete blood count"), unit_price=Decimal("450.00"))
    urinalysis = LabTestFactory(code="UA-02", name="Urinalysis & sediment")
    item_add(record, test=urinalysis, unit_price=Decimal("400.00"), quantity=2)
    return record


def _invoice(record, django_capture_on_commit_callbacks) -> BillingDocument:
    with django_capture_on_commit_callbacks(execute=True):
        invoice_assign_number(record=record)
    return BillingDocument.objects.get(billing_record=record, kind="invoice")


def test_invoice_pdf_has_its_number_lines_and_totals(bill, django_capture_on_commit_callbacks):
    ClinicInfoFactory()
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(record=bill, amount=Decimal("500.00"), method="cash")
    document = _invoice(bill, django_capture_on_commit_callbacks)
    bill.refresh_from_db()

    text = _text(document)
    assert document.number == bill.invoice_number
    assert bill.invoice_number.startswith("INV-")
    assert bill.invoice_number in text
    assert "DiagnoPet Veterinary Diagnostics" in text
    assert bill.booking.code in text
    for expected in ("CBC-01", "Complete blood count", "UA-02", "Urinalysis & sediment", "INR 800.00"):
        assert expected in text
    for label, amount in [
        ("Subtotal", "1,250.00"),
        ("Home collection charge (6.35 km)", "63.50"),
        ("Discount", "- INR 100.00"),
        ("Total", "1,213.50"),
        ("Amount due", "713.50"),
    ]:
        assert label in text
        assert amount in text
    assert "INR 500.00" in text  # paid
    assert "GST" not in text  # tax rate 0: no tax lines
    assert document.file.name.startswith("billing/")
    assert document.file.name.endswith(".pdf")


def test_invoice_shows_gst_when_the_clinic_sets_a_rate(bill, django_capture_on_commit_callbacks):
    ClinicInfoFactory(gstin="29ABCDE1234F1Z5", hsn_sac_code="999316", tax_rate=Decimal("18.00"))

    text = _text(_invoice(bill, django_capture_on_commit_callbacks))

    assert "Tax invoice" in text
    assert "GSTIN: 29ABCDE1234F1Z5" in text
    assert "999316" in text
    # 1,213.50 includes 18 %: 1,028.39 taxable + 185.11 tax.
    assert "Taxable value" in text
    assert "1,028.39" in text
    assert "GST @ 18% (included in the total)" in text
    assert "185.11" in text


def test_invoice_ready_is_told_once(bill, django_capture_on_commit_callbacks):
    document = _invoice(bill, django_capture_on_commit_callbacks)
    bill.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        assert invoice_document(bill) == document
    notices = Notification.objects.filter(user=bill.user, kind=Notification.Kind.INVOICE_READY)
    assert notices.count() == 1
    assert bill.invoice_number in notices.get().title
    assert BillingDocument.objects.filter(billing_record=bill).count() == 1


def test_no_invoice_before_a_number(bill):
    assert invoice_document(bill) is None
    assert not BillingDocument.objects.exists()


def test_receipt_pdf_of_a_payment(bill, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(record=bill, amount=Decimal("1000.00"), method="upi", reference="UPI-778899")

    document = BillingDocument.objects.get(payment=payment, kind="receipt")
    text = _text(document)
    assert document.number.startswith("RCP-")
    assert document.number in text
    for expected in ("INR 1,000.00", "UPI", "UPI-778899", bill.booking.code, "INR 1,213.50", "INR 213.50"):
        assert expected in text
    assert "not yet issued" in text  # no invoice number yet


def test_a_refund_has_no_receipt_and_a_missing_receipt_is_rendered_on_demand(bill):
    # on_commit callbacks not run: the queue never rendered these.
    payment = payment_record(record=bill, amount=Decimal("300.00"), method="cash")
    refund = payment_record(record=bill, amount=Decimal("100.00"), method="cash", kind="refund")

    assert receipt_document(refund) is None
    assert not BillingDocument.objects.exists()
    document = receipt_document(payment)
    assert document.payment == payment
    assert "INR 300.00" in _text(document)
    assert receipt_document(payment) == document
