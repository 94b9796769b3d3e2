"""Paying for a booking online: the booking's side of checkout (billing.gateway does the money)."""

from billing.gateway import payment_order_create
from billing.models import BillingRecord, PaymentOrder
from bookings.models import Booking
from diagnopet.errors import Conflict, NotFound


def booking_pay(*, booking: Booking, user, provider: str) -> PaymentOrder:
    """A provider order for what is still due on the customer's own booking (another's answers 404). A cancelled
    booking cannot be paid (409 ``booking_cancelled``); nothing due answers 409 ``nothing_due``."""
    if booking.user_id != user.pk:
        raise NotFound("Booking not found.")
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.NO_SHOW):
        raise Conflict("This booking was cancelled; there is nothing to pay.", code="booking_cancelled")
    record = BillingRecord.objects.filter(booking=booking).first()
    if record is None:
        raise Conflict("Nothing is due on this booking.", code="nothing_due")
    return payment_order_create(record=record, provider_name=provider)
