"""Row locks for billing — the only module here that calls select_for_update.

Lock order (every transaction takes them in this order, so none can deadlock another): a bill is locked after its
booking (bookings/locks.py: customer → booking → slot → coupon → billing record), then the year's invoice
sequence (invoice_assign_number). No billing transaction locks a booking. A checkout holds its bill's lock across
the provider's order call (``billing.gateway.payment_order_create``) and takes no other lock.

A refund being sent to its provider is claimed by its own row's lock (``lock_refund_to_send``), held across the
provider's HTTP call and taken alone: that transaction takes no other lock, so a bill's lock holder that waits for
the refund row waits at most for the call.
"""

from billing.models import BillingRecord, DistancePricingConfig, InvoiceSequence, Payment


def lock_bill_of_booking(*, booking) -> BillingRecord | None:
    """The booking's billing record, locked (None if it has none)."""
    return BillingRecord.objects.select_for_update(of=("self",)).filter(booking=booking).first()


def lock_bill(*, record_id: int) -> BillingRecord:
    """A billing record read again under its row lock, for a payment, a refund or an invoice number."""
    # With what its name reads (the audit log writes it on each save): only the bill's own row is locked.
    return BillingRecord.objects.select_related("booking", "user").select_for_update(of=("self",)).get(pk=record_id)


def lock_invoice_sequence(*, year: int) -> InvoiceSequence:
    """The year's invoice counter (it must exist), locked: concurrent invoicers queue here, so numbers are
    gap-free."""
    return InvoiceSequence.objects.select_for_update(of=("self",)).get(year=year)


def lock_refund_to_send(*, refund_id: int) -> Payment | None:
    """A refund row locked for sending it to its provider, or None when another sender (the task's retry, the
    reconciliation) holds it now: ``skip_locked``, so a second sender gives way instead of calling the provider
    too. The caller checks it is still pending and unsent."""
    return (
        Payment.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("refund_of")
        .filter(pk=refund_id, kind=Payment.Kind.REFUND)
        .first()
    )


def lock_open_distance_pricing() -> list[DistancePricingConfig]:
    """The active distance-pricing rows without an end date, locked in primary-key order: a new pricing closes them,
    and two staff adding one at once queue here instead of both leaving the old row open."""
    rows = DistancePricingConfig.objects.select_for_update(of=("self",)).filter(
        is_active=True, effective_until__isnull=True
    )
    return list(rows.order_by("pk"))
