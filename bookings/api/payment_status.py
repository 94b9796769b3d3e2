"""A booking's ``payment_status`` and ``amount_due`` as the customer API shows them (the selectors and the
serializer both)."""

from billing.models import BillingRecord
from billing.selectors import bill_payment
from bookings.models import Booking
from diagnopet.money import ZERO


def payment_shown(*, bill_status, final_amount, amount_paid, amount_refunded, booking_status, total) -> dict:
    """``payment_status`` and ``amount_due`` of a booking, by billing's rule (``billing.selectors.bill_payment``).
    A booking without a bill (rows older than bills) counts as a bill of its total with nothing paid."""
    if bill_status is None:
        final_amount, amount_paid, amount_refunded = total, ZERO, ZERO
        void = booking_status == Booking.Status.CANCELLED
    else:
        # A cancelled booking's bill stays open while its refunds are pending: nothing is due on it either way.
        void = bill_status == BillingRecord.Status.VOID or booking_status == Booking.Status.CANCELLED
    state = bill_payment(
        final_amount=final_amount, amount_paid=amount_paid, amount_refunded=amount_refunded or ZERO, void=void
    )
    return {"payment_status": state.payment_status, "amount_due": format(state.amount_due, "f")}
