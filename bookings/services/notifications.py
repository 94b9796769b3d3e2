"""What a customer is told about their booking: placed, confirmed, rescheduled.

Each function creates one in-app notification per event (its ``event_key``), sent after commit on the channels the
customer chose (``accounts.notifications``). Called inside the service's transaction: a rollback sends nothing,
and calling again for the same event sends nothing more.
"""

from django.conf import settings

from accounts.models import Notification
from accounts.notifications import notification_create
from bookings.models import Booking, CollectionType


def _when(booking: Booking) -> str:
    """The visit's day and window, as the customer booked it ("12 Dec, 09:00–10:00")."""
    slot = booking.slot
    if slot is None:
        return f"{booking.booking_date:%d %b}"
    return f"{slot.date:%d %b}, {slot.start_time:%H:%M}–{slot.end_time:%H:%M}"


def notify_booking_placed(booking: Booking) -> Notification:
    """The booking was made: its code, the visit and the amount. Called by ``booking_create`` in the transaction
    that created the booking (so the event is new by construction)."""
    where = "at your address" if booking.collection_type == CollectionType.HOME else "at the lab"
    return notification_create(
        user=booking.user,
        kind=Notification.Kind.BOOKING_PLACED,
        title=f"Booking {booking.code} placed",
        body=f"Sample collection {where} on {_when(booking)}. Total {settings.CURRENCY} {booking.total_amount}. "
        "We will confirm it shortly.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:placed",
        new_event=True,  # the booking was created in this transaction
    )


def notify_booking_confirmed(booking: Booking, *, collector=None) -> Notification:
    """The booking was confirmed: by staff (a lab visit, ``booking_confirm``) or by giving a home visit its collector
    (``booking_assign_collector``, which names them). Once per booking, whichever way it happened."""
    body = f"See you on {_when(booking)}."
    if collector is not None:
        body = f"{collector.get_full_name() or 'Our collector'} will visit on {_when(booking)}."
    return notification_create(
        user=booking.user,
        kind=Notification.Kind.BOOKING_CONFIRMED,
        title=f"Booking {booking.code} confirmed",
        body=body,
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:confirmed",
    )


def notify_booking_rescheduled(booking: Booking, *, previous_slot=None) -> Notification:
    """The booking moved to another slot, or got its first one (a re-collection: ``previous_slot`` None). Call it
    after saving the booking with its new slot, in the same transaction. One notification per move: the event is
    the booking's new slot at the time of the save, so a retry of the same move sends nothing more, while moving
    again (even back to an earlier slot) is a new event."""
    moved_at = int(booking.updated_at.timestamp() * 1_000_000)
    first = previous_slot is None and booking.recollection_of_id is not None
    was = ""
    if previous_slot is not None:
        was = f" (was {previous_slot.date:%a %d %b} {previous_slot.start_time:%H:%M})"
    return notification_create(
        user=booking.user,
        kind=Notification.Kind.BOOKING_RESCHEDULED,
        title=f"Booking {booking.code} {'scheduled' if first else 'rescheduled'}",
        body=f"Your visit is now on {_when(booking)}{was}.",
        data={"booking": booking.pk, "slot": booking.slot_id},
        event_key=f"booking:{booking.pk}:rescheduled:{booking.slot_id}:{moved_at}",
    )
