"""Row locks for billing — the only module here that calls select_for_update.

Lock order (every transaction takes them in this order, so none can deadlock another): a bill is locked after its
booking (bookings/locks.py: customer → booking → slot → coupon → billing record), then the year's invoice
sequence (invoice_assign_number). No billing transaction locks a booking.
"""

from billing.models import BillingRecord, InvoiceSequence


def lock_bill_of_booking(*, booking) -> BillingRecord | None:
    """The booking's billing record, locked (None if it has none)."""
    return BillingRecord.objects.select_for_update(of=("self",)).filter(booking=booking).first()


def lock_bill(*, record_id: int) -> BillingRecord:
    """A billing record read again under its row lock, for a payment, a refund or an invoice number."""
    return BillingRecord.objects.select_for_update(of=("self",)).get(pk=record_id)


def lock_invoice_sequence(*, year: int) -> InvoiceSequence:
    """The year's invoice counter (it must exist), locked: concurrent invoicers queue here, so numbers are
    gap-free."""
    return InvoiceSequence.objects.select_for_update(of=("self",)).get(year=year)
