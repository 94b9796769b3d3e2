"""Marking a visit as a no-show: the customer was not there (or did not come to the lab).

Decisions, unlike a cancellation (``bookings.services.booking._cancel``):

- The bill stands: the draft billing record is *not* voided and the coupon use is *not* given back — the visit
  was reserved and the collector's time spent; whether to waive it is a separate, deliberate billing act.
- The slot place is given back only while the slot has not started yet (a no-show noted early, e.g. the customer
  called to say nobody will be home, frees the place for someone else). A past slot's place is history: freeing it
  would only make the slot's counters lie about the day.
- Items still pending are cancelled (no sample will come for them).
- A reason from ``Booking.NoShowReason`` is required (400 ``reason_required`` / ``invalid_reason``): it is kept in
  ``no_show_reason``, and a line with it and the optional free-text notes is appended to the booking's notes (and,
  like every change of a booking, kept by the audit trail with who and when).
"""

from django.db import transaction
from django.utils import timezone

from bookings.locks import lock_booking, slot_release
from bookings.models import Booking, BookingItem
from bookings.services.pricing import slot_starts_at
from bookings.states import check_transition
from diagnopet.errors import ValidationFailed

__all__ = ["booking_mark_no_show", "no_show_reason_check"]


def no_show_reason_check(reason: str) -> str:
    """The reason, checked: one of ``Booking.NoShowReason`` (shared by the API's and the admin's forms)."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why the visit did not happen.", code="reason_required", field="reason")
    if reason not in Booking.NoShowReason.values:
        raise ValidationFailed("Choose a no-show reason from the list.", code="invalid_reason", field="reason")
    return reason


@transaction.atomic
def booking_mark_no_show(*, booking: Booking, by, reason: str, notes: str = "") -> Booking:
    """Mark a pending or confirmed booking ``no_show`` for ``reason`` (a ``Booking.NoShowReason``); see the module
    docstring for what it keeps and frees."""
    reason = no_show_reason_check(reason)
    booking = lock_booking(booking_id=booking.pk)
    check_transition("booking", booking.status, Booking.Status.NO_SHOW)
    now = timezone.now()
    # Lock order: booking, then slot (bookings.locks).
    if booking.slot_id is not None and slot_starts_at(booking.slot) > now:
        slot_release(slot_id=booking.slot_id, collection_type=booking.collection_type)
    booking.items.filter(status=BookingItem.Status.PENDING).update(status=BookingItem.Status.CANCELLED, updated_at=now)
    booking.status, booking.no_show_at, booking.no_show_reason = Booking.Status.NO_SHOW, now, reason
    who = (by.get_full_name() or str(by)) if by is not None else "system"
    label = Booking.NoShowReason(reason).label
    notes = (notes or "").strip()
    line = f"No-show ({timezone.localtime(now):%d %b %Y %H:%M}, {who}): {label}" + (f" — {notes}" if notes else "")
    booking.notes = f"{booking.notes}\n{line}" if booking.notes else line
    booking.save(update_fields=["status", "no_show_at", "no_show_reason", "notes", "updated_at"])
    return booking
