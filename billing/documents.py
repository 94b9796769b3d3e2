"""Invoices and receipts as stored PDFs (``BillingDocument``): rendered once, after commit, and on demand.

A bill's invoice is rendered when it gets its number (``invoice_assign_number`` queues it after commit), a
receipt when a payment succeeds (``payment_record`` and ``billing.gateway.provider_payment_record`` queue it); the
customer is told once that the invoice is ready. A download finds the document missing (the worker has not run yet,
or the queue was down) and renders it there and then through the same function, so what is served never depends on
the queue. Rendering takes the bill's row lock (billing/locks.py) and looks again, so a task and a download at once
store one document.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notification_create
from billing import pdf
from billing.locks import lock_bill
from billing.models import BillingDocument, BillingRecord, Payment
from billing.selectors import record_payment
from clinic.models import ClinicInfo
from diagnopet.money import ZERO
from diagnopet.storage import files_kept_on_commit


def receipt_number(payment: Payment) -> str:
    """A payment's receipt number: the year it was received and its id (unique, never reused)."""
    return f"RCP-{timezone.localtime(payment.received_at):%Y}-{payment.pk:06d}"


def invoice_render_enqueue(record: BillingRecord) -> None:
    """Render the bill's invoice after this transaction commits (a Celery task; in-process without a broker)."""
    # billing.tasks imports the services, which call this: imported here, not at the top.
    from billing.tasks import invoice_render_task

    record_id = record.pk
    # robust: a broker outage must not turn a committed invoice into an error; the download renders it then.
    transaction.on_commit(lambda: invoice_render_task.delay(record_id), robust=True)


def receipt_render_enqueue(payment: Payment) -> None:
    """Render the payment's receipt after this transaction commits (whoever marks a payment succeeded calls this)."""
    from billing.tasks import receipt_render_task

    payment_id = payment.pk
    transaction.on_commit(lambda: receipt_render_task.delay(payment_id), robust=True)


def _letterhead() -> pdf.Letterhead:
    clinic = ClinicInfo.objects.first()
    if clinic is None:  # a fresh installation: the invoice still renders
        return pdf.Letterhead(name="DiagnoPet", address="")
    return pdf.Letterhead(
        name=clinic.name,
        address=clinic.address,
        phone=clinic.phone or clinic.whatsapp_number,
        email=clinic.email,
        gstin=clinic.gstin,
        hsn_sac_code=clinic.hsn_sac_code,
        tax_rate=clinic.tax_rate,
    )


def _refunded(record: BillingRecord):
    refunds = record.payments.filter(kind=Payment.Kind.REFUND, status=Payment.Status.SUCCEEDED)
    return refunds.aggregate(total=Sum("amount"))["total"] or ZERO


def _customer(user) -> str:
    return f"{user.full_name} ({user.phone})" if user.full_name else user.phone


def _moment(value) -> str:
    return f"{timezone.localtime(value):%d %b %Y %H:%M}"


def _invoice_pdf(record: BillingRecord) -> bytes:
    booking = record.booking
    # Through the bill's booking to its items (billing never imports bookings).
    items = booking.items.select_related("test").order_by("sequence")
    lines = [pdf.Line(code=i.test.code, name=i.test.name, quantity=i.quantity, unit_price=i.unit_price) for i in items]
    refunded = _refunded(record)
    return pdf.invoice_pdf(
        clinic=_letterhead(),
        currency=record.currency,
        invoice_number=record.invoice_number,
        invoice_date=f"{timezone.localtime(record.invoice_date):%d %b %Y}",
        customer=_customer(record.user),
        booking_code=booking.code,
        pet=booking.pet.name,
        lines=lines,
        base_amount=record.base_amount,
        distance_charge=record.distance_charge,
        distance_km=booking.estimated_distance_km if record.distance_charge else None,
        discount_amount=record.discount_amount,
        final_amount=record.final_amount,
        amount_paid=record.amount_paid,
        amount_refunded=refunded,
        amount_due=record_payment(record, amount_refunded=refunded).amount_due,
        as_of=_moment(timezone.now()),
    )


def _receipt_pdf(payment: Payment, record: BillingRecord) -> bytes:
    return pdf.receipt_pdf(
        clinic=_letterhead(),
        currency=record.currency,
        receipt_number=receipt_number(payment),
        received_at=_moment(payment.received_at),
        customer=_customer(record.user),
        booking_code=record.booking.code,
        invoice_number=record.invoice_number or "",
        amount=payment.amount,
        method=payment.get_method_display(),
        reference=payment.reference,
        final_amount=record.final_amount,
        amount_paid=record.amount_paid,
        amount_due=record_payment(record, amount_refunded=ZERO).amount_due,
        as_of=_moment(timezone.now()),
    )


def invoice_document(record: BillingRecord) -> BillingDocument | None:
    """The bill's stored invoice, rendered now if it is missing (None while the bill has no invoice number)."""
    if not record.invoice_number:
        return None
    stored = record.documents.filter(kind=BillingDocument.Kind.INVOICE).first()
    return stored or invoice_document_render(record_id=record.pk)


def receipt_document(payment: Payment) -> BillingDocument | None:
    """The payment's stored receipt, rendered now if it is missing (None unless it is a succeeded payment)."""
    stored = payment.documents.filter(kind=BillingDocument.Kind.RECEIPT).first()
    return stored or receipt_document_render(payment_id=payment.pk)


@files_kept_on_commit
@transaction.atomic
def invoice_document_render(*, record_id: int) -> BillingDocument | None:
    """The bill's invoice PDF, rendered and stored if it is not yet (None while the bill has no invoice number).
    The first rendering tells the customer that the invoice is ready (once per bill)."""
    record = lock_bill(record_id=record_id)
    if not record.invoice_number:
        return None
    document = record.documents.filter(kind=BillingDocument.Kind.INVOICE).first()
    if document is not None:
        return document
    document = BillingDocument.objects.create(
        kind=BillingDocument.Kind.INVOICE,
        billing_record=record,
        number=record.invoice_number,
        file=ContentFile(_invoice_pdf(record), name="invoice.pdf"),
    )
    notification_create(
        user=record.user,
        kind=Notification.Kind.INVOICE_READY,
        title=f"Invoice {record.invoice_number} is ready",
        body=f"The invoice for booking {record.booking.code} ({record.currency} {record.final_amount}) is ready "
        "to download in the app.",
        data={"bill": record.pk, "booking": record.booking_id},
        event_key=f"invoice-ready:{record.pk}",
    )
    return document


@files_kept_on_commit
@transaction.atomic
def receipt_document_render(*, payment_id: int) -> BillingDocument | None:
    """The payment's receipt PDF, rendered and stored if it is not yet (None unless it is a succeeded payment)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.kind != Payment.Kind.PAYMENT or payment.status != Payment.Status.SUCCEEDED:
        return None
    # The bill's lock serialises renderers of the same receipt (a task and a download at once).
    record = lock_bill(record_id=payment.billing_record_id)
    document = payment.documents.filter(kind=BillingDocument.Kind.RECEIPT).first()
    if document is not None:
        return document
    return BillingDocument.objects.create(
        kind=BillingDocument.Kind.RECEIPT,
        billing_record=record,
        payment=payment,
        number=receipt_number(payment),
        file=ContentFile(_receipt_pdf(payment, record), name="receipt.pdf"),
    )
