"""The collector at the door: what the day sheet's buttons and the staff API's visit actions do.

- Samples are marked collected only on the visit's day (``visit_day_check``), with the position the phone gave.
- A no-show needs a reason from the list (``bookings.services.no_show``).
- A sample refused at the door (drawn but unusable: haemolysed, clotted, too little, …) is recorded on its item
  with the reason from the rejection reasons list; the item is cancelled (no sample goes to the lab) and its test
  goes into the booking's free re-collection, and the customer is told why. The rest of the visit's samples are
  then marked collected as usual.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notification_create
from bookings.locks import lock_booking_after_its_first, lock_items_of
from bookings.models import Booking, BookingItem
from bookings.services.lifecycle import recollection_add, rejection_reason_check
from bookings.states import BOOKING_SCHEDULED, BOOKING_UNSCHEDULED
from diagnopet.errors import Conflict, ValidationFailed

__all__ = ["visit_day_check", "visit_refuse_samples"]


def visit_day_check(booking: Booking) -> None:
    """Refuse (409 ``not_visit_day``) an action at the door on any day but the visit's own (clinic time)."""
    today = timezone.localdate()
    if booking.booking_date != today:
        raise Conflict(
            f"This visit is on {booking.booking_date:%d %b %Y}; it can be done only on that day.",
            code="not_visit_day",
        )


@transaction.atomic
def visit_refuse_samples(*, booking: Booking, by, reason: str, item_ids=(), notes: str = "") -> Booking:
    """Refuse the samples of ``item_ids`` (default: every item still pending) at the door, for ``reason`` (a
    ``BookingItem.RejectionReason``). Each is cancelled with the reason, the time and a note kept on the item; their
    tests go into the free re-collection booking, which is returned. One transaction."""
    reason = rejection_reason_check(reason)
    booking = lock_booking_after_its_first(booking_id=booking.pk)
    if booking.status in BOOKING_UNSCHEDULED:
        raise Conflict("This visit has no collection slot yet; schedule it first.", code="not_scheduled")
    if booking.status not in BOOKING_SCHEDULED:
        raise Conflict("Samples can be refused only before the visit is recorded.", code="invalid_transition")
    visit_day_check(booking)
    items = lock_items_of(booking)
    wanted = {int(i) for i in item_ids}
    if wanted - {item.pk for item in items}:
        raise ValidationFailed("Some items are not part of this booking.", code="unknown_items", field="items")
    chosen = [item for item in items if (item.pk in wanted if wanted else item.status == BookingItem.Status.PENDING)]
    if not chosen:
        raise Conflict("No sample of this visit is waiting to be taken.", code="no_items")
    if any(item.status != BookingItem.Status.PENDING for item in chosen):
        raise Conflict("Only samples not yet taken can be refused at the door.", code="invalid_transition")
    now = timezone.now()
    note = "Refused at the door" + (f": {notes.strip()}" if (notes or "").strip() else ".")
    for item in chosen:
        item.status, item.rejection_reason, item.rejection_notes = BookingItem.Status.CANCELLED, reason, note
        item.rejected_at = item.updated_at = now
    BookingItem.objects.bulk_update(
        chosen, ["status", "rejection_reason", "rejection_notes", "rejected_at", "updated_at"]
    )
    recollection = recollection_add(original=booking, items=chosen, now=now)
    label = BookingItem.RejectionReason(reason).label.lower()
    names = ", ".join(item.test.name for item in chosen)
    notification_create(
        user=booking.user,
        kind=Notification.Kind.SAMPLE_REJECTED,
        title=f"We need to take a sample again for {booking.code}",
        body=f"At the visit the sample for {names} could not be used ({label}). We will collect it again free of "
        f"charge (booking {recollection.code}).",
        data={"booking": booking.pk, "recollection": recollection.pk, "items": [item.pk for item in chosen]},
        event_key=f"booking:{booking.pk}:refused:{chosen[0].pk}",
    )
    return recollection
