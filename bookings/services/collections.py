"""The collector's visit: samples taken and, optionally, money taken at the door — one transaction, on the visit's
day only (``visit_day_check``)."""

from decimal import Decimal

from django.db import transaction

from billing.models import BillingRecord
from billing.services import payment_record
from bookings.locks import lock_booking
from bookings.models import Booking
from bookings.services.lifecycle import booking_mark_collected
from bookings.services.visits import visit_day_check


@transaction.atomic
def collection_complete(
    *,
    booking: Booking,
    by,
    failed_item_ids=(),
    latitude=None,
    longitude=None,
    pet_weight_kg=None,
    payment_amount: Decimal | None = None,
    payment_method: str = "cash",
    payment_reference: str = "",
) -> Booking:
    """Mark the visit's samples collected (failed ones cancelled) and record a payment taken at the door.

    If the payment is refused (e.g. a bad method), nothing of the visit is recorded either. Refused (409
    ``not_visit_day``) on any day but the visit's.
    """
    visit_day_check(lock_booking(booking_id=booking.pk))
    booking = booking_mark_collected(
        booking=booking,
        by=by,
        failed_item_ids=failed_item_ids,
        latitude=latitude,
        longitude=longitude,
        pet_weight_kg=pet_weight_kg,
    )
    if payment_amount is not None:
        record = BillingRecord.objects.get(booking=booking)
        payment_record(
            record=record,
            amount=payment_amount,
            method=payment_method,
            by=by,
            reference=payment_reference,
            notes=f"Taken at the door for {booking.code}",
        )
    return booking
