"""Moving a booking to another collection slot, and giving an awaiting re-collection its first one."""

from django.db import transaction
from django.utils import timezone

from bookings.locks import lock_booking, lock_customer, slot_move
from bookings.models import Booking, CollectionType
from bookings.services.booking import cancellation_deadline
from bookings.services.lifecycle import booking_assign_collector
from bookings.services.notifications import notify_booking_rescheduled
from bookings.services.pricing import slot_for_visit
from bookings.states import BOOKING_UNSCHEDULED, BOOKING_UPCOMING, check_transition
from diagnopet.errors import Conflict, NotFound, ValidationFailed

B = Booking.Status


@transaction.atomic(durable=True)
def booking_reschedule(*, booking: Booking, slot_id, by, as_staff: bool | None = None) -> Booking:
    """Move a booking to the slot ``slot_id``: the old slot's place is given back and the new one taken in this one
    transaction (a full slot or day: ``slot_full``, 409, and nothing changes). Money does not change: the distance
    charge was priced from the address, which stays. A free re-collection awaiting its schedule gets its first
    slot this way and becomes confirmed (the lab asked for it; nothing is left to pay, so it must not wait in
    pending, which expires unpaid bookings) and, for a home visit, goes to the first visit's collector when they fit
    that day. The customer is told; the audit trail keeps every move (slot, day, status, who).

    A customer moves only their own booking (another's: 404), until the cancellation cutoff before its current slot
    (``reschedule_cutoff_passed``, 409); an awaiting re-collection has no cutoff. Staff (``as_staff``, default
    ``by.is_staff``; the customer API passes False) may move any upcoming booking at any time. The new slot follows
    the booking rules: active, not started, the clinic open that day, a place of the booking's kind (home or lab),
    and the customer's and the pet's open bookings on a new day within the limits.

    Locks: the customer's row (the per-day limits are counted under it, as booking_create does), the booking, then
    the slots by primary key and their days by date (``bookings.locks.slot_move``).
    """
    as_staff = bool(by.is_staff) if as_staff is None else as_staff
    if not as_staff and booking.user_id != by.pk:
        raise NotFound("Booking not found.")
    lock_customer(user_id=booking.user_id)
    booking = lock_booking(booking_id=booking.pk)
    if booking.status not in BOOKING_UPCOMING:
        raise Conflict(
            f"A booking that is {booking.get_status_display().lower()} cannot be rescheduled.",
            code="invalid_transition",
        )
    unscheduled = booking.status in BOOKING_UNSCHEDULED
    now = timezone.now()
    if not as_staff and not unscheduled:
        deadline = cancellation_deadline(booking)
        if deadline is not None and now > deadline:
            raise Conflict(
                f"Bookings can be rescheduled online until {timezone.localtime(deadline):%d %b %Y %H:%M}. "
                "Please call the clinic.",
                code="reschedule_cutoff_passed",
            )
    if booking.slot_id is not None and str(booking.slot_id) == str(slot_id):
        raise ValidationFailed("The booking is already in this slot.", code="same_slot", field="slot")
    # Re-collections are free and outside the per-day limits (as at booking); a move within the day adds nothing.
    counted = booking.recollection_of_id is None
    slot = slot_for_visit(slot_id=slot_id, collection_type=booking.collection_type, now=now)
    if counted and slot.date != booking.booking_date:
        slot_for_visit(slot_id=slot.pk, collection_type=booking.collection_type, now=now, limits_for=booking.pet)
    if not slot_move(from_slot_id=booking.slot_id, to_slot_id=slot.pk, collection_type=booking.collection_type):
        raise Conflict("This slot is fully booked; choose another one.", code="slot_full")
    previous_slot = booking.slot
    booking.slot, booking.booking_date = slot, slot.date
    fields = ["slot", "booking_date", "updated_at"]
    if unscheduled:
        check_transition("booking", booking.status, B.CONFIRMED)
        booking.status, booking.confirmed_at = B.CONFIRMED, now
        fields += ["status", "confirmed_at"]
    booking.save(update_fields=fields)
    notify_booking_rescheduled(booking, previous_slot=previous_slot)
    if unscheduled:
        _to_the_first_visits_collector(booking, by=by)
    return booking


def _to_the_first_visits_collector(booking: Booking, *, by) -> None:
    """A home re-collection that just got its slot goes to the collector who made the first booking's visit, when
    they fit that day (``booking_assign_collector`` refuses, with no warning to accept, a collector outside their
    areas, working days or daily cap, or no longer a collector): then it is on their day sheet at once, and they can
    collect or refuse its samples at the door. Otherwise it waits for dispatch like any visit without a collector
    (the assign action, the day's auto-assignment)."""
    collector = booking.recollection_of.collection_staff if booking.recollection_of_id else None
    if booking.collection_type != CollectionType.HOME or booking.collection_staff_id or collector is None:
        return
    try:
        booking_assign_collector(booking=booking, collector=collector, by=by, automatic=True)
    except (Conflict, ValidationFailed):
        return  # its savepoint is rolled back: the booking stays as rescheduled, without a collector
